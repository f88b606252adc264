// TLS session store for data-channel resumption. Servers such as vsftpd (require_ssl_reuse),
// proftpd and FileZilla Server refuse a data connection that does not resume the control
// connection's TLS session. TLS 1.3 tickets arrive after the handshake (on data sockets too) and
// may be single-use, so the newest unused one is preferred. Only sessions from a connection that
// passed every check are kept: a resumed handshake presents no certificate, so a session is as
// trusted as the connection it came from.
import type { TLSSocket } from 'node:tls';

const KEEP = 4;

export class TlsSessionStore {
  #sessions: { data: Buffer; used: boolean }[] = [];

  /**
   * Records every session/ticket the socket receives from now on; those arriving before `trust()`
   * are held back and dropped if it is never called (the connection failed verification).
   */
  track(socket: TLSSocket): { trust(): void } {
    let pending: Buffer[] | undefined = [];
    socket.on('session', (session: Buffer) => {
      if (pending === undefined) this.#add(session);
      else pending.push(session);
    });
    return {
      trust: () => {
        for (const session of pending ?? []) this.#add(session);
        pending = undefined;
      },
    };
  }

  #add(session: Buffer): void {
    this.#sessions.unshift({ data: session, used: false });
    this.#sessions.length = Math.min(this.#sessions.length, KEEP);
  }

  /** The session to offer on the next data connection: the newest not yet used, else the newest. */
  take(): Buffer | undefined {
    const entry = this.#sessions.find((s) => !s.used) ?? this.#sessions[0];
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.data;
  }
}
