// TLS session store for data-channel resumption. Servers such as vsftpd (require_ssl_reuse),
// proftpd and FileZilla Server refuse a data connection that does not resume the control
// connection's TLS session. TLS 1.3 tickets arrive after the handshake (on data sockets too) and
// may be single-use, so the newest unused one is preferred.
import type { TLSSocket } from 'node:tls';

const KEEP = 4;

export class TlsSessionStore {
  #sessions: { data: Buffer; used: boolean }[] = [];

  /** Records every session/ticket the socket receives from now on. */
  track(socket: TLSSocket): void {
    socket.on('session', (session: Buffer) => {
      this.#sessions.unshift({ data: session, used: false });
      this.#sessions.length = Math.min(this.#sessions.length, KEEP);
    });
  }

  /** The session to offer on the next data connection: the newest not yet used, else the newest. */
  take(): Buffer | undefined {
    const entry = this.#sessions.find((s) => !s.used) ?? this.#sessions[0];
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.data;
  }
}
