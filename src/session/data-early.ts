// Early data TLS: the data connection's handshake starts as soon as its TCP connection is up, while
// the transfer command goes out, instead of after the 1xx reply; that saves one round trip per
// transfer. Servers that start TLS only once they have read the command (vsftpd, proftpd) find the
// ClientHello waiting in their socket buffer: the client never waits for the handshake before
// writing the command, so there is no deadlock. Servers that close a data connection which got bytes
// before the command was processed (stock pyftpdlib) are told apart here, and the session then falls
// back to the order of curl (TLS after the 1xx) for good: see DataTransfer in data.ts. A reset on the
// way looks the same to the client (pyftpdlib closes with the ClientHello unread: an RST), so only
// the server's answer tells: a 1xx before the close is a refusal, a bare 425 may be either.
import type { ProtectedData } from './data-protect.js';
import type { Session } from './session.js';

/** Whether a transfer on this session starts its data TLS early. */
export function earlyTlsFor(session: Session): boolean {
  // Active connections exist only after the server read the command: nothing to gain there.
  return (
    session.dataTlsOrder === 'early' &&
    session.secure &&
    session.options.dataProtection !== 'clear' &&
    session.options.dataConnection !== 'active'
  );
}

/** Socket error codes meaning the server closed or reset the data connection under the handshake. */
const PEER_CLOSED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** Whether `err` (or a cause of it) says the peer closed or reset the connection. */
function closedByPeer(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== undefined && PEER_CLOSED.has(code)) return true;
  }
  return false;
}

/**
 * The handshake of one early attempt and what became of it: `refused` once the server closed or
 * reset the connection before the handshake completed (no payload byte can have moved then).
 */
export class EarlyHandshake {
  #state: 'pending' | 'done' | 'refused' | 'failed' = 'pending';
  readonly result: Promise<ProtectedData>;
  /** Settles (never rejects) when the handshake does. */
  readonly settled: Promise<void>;

  constructor(handshake: Promise<ProtectedData>) {
    this.result = handshake;
    this.settled = handshake.then(
      () => void (this.#state = 'done'),
      (err: unknown) => void (this.#state = closedByPeer(err) ? 'refused' : 'failed'),
    );
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  get refused(): boolean {
    return this.#state === 'refused';
  }
}

/** Thrown by an early attempt the server refused, once the control connection is back in step; never leaves data.ts. */
export class EarlyTlsRefused extends Error {
  constructor(
    cause: unknown,
    /**
     * Whether it is surely the server's rule: it took the command (1xx) and then dropped the early
     * connection (stock pyftpdlib). A bare 425 is not: a connection reset on the way under the
     * handshake gets one too (proftpd), so the session learns only from a second one (data.ts).
     */
    readonly certain = true,
  ) {
    super('The server closed the data connection that carried the TLS handshake before the transfer command', {
      cause,
    });
  }
}
