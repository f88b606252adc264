// Protection of a data connection, in one place for every data-channel strategy: on a secure
// session the client is always the TLS client (RFC 4217, also on accepted active connections) and
// offers the newest unused TLS session of the control connection, which many servers require.
import type { Socket } from 'node:net';
import { connectTls } from '../transport/connect.js';
import { TlsEndWitness } from '../transport/tls-end.js';
import type { Session } from './session.js';

export interface ProtectedData {
  socket: Socket;
  /** Whether the TLS session was resumed; undefined on plain FTP. */
  tlsSessionReused: boolean | undefined;
  /**
   * Whether the server closed the TLS stream with close_notify; undefined when not watched (plain
   * FTP, uploads). Read it once the socket has ended.
   */
  endedCleanly: (() => boolean) | undefined;
  /**
   * Ends our side of the TLS stream now with close_notify, the TCP FIN held until the server's end
   * (TlsEndWitness.holdFin); undefined when the end is not watched (plain FTP, uploads).
   */
  sendCloseNotify: (() => void) | undefined;
  /**
   * The TLS socket when it runs on the raw one itself, so that its end is a shutdown of the raw
   * socket (resetSocket must know); undefined on plain FTP and over a TlsEndWitness, which decides
   * the raw socket's FIN itself (and holds it after an early close_notify, when a reset is still due).
   */
  layered: Socket | undefined;
}

/**
 * Runs the TLS handshake on `raw` when the session is secure; on plain FTP or after PROT C returns
 * `raw` as it is. `watchEnd` (downloads) feeds TLS through a TlsEndWitness so a truncated stream
 * can be told apart from a complete one.
 */
export async function protectData(
  session: Session,
  raw: Socket,
  what: string,
  signal: AbortSignal | undefined,
  watchEnd: boolean,
): Promise<ProtectedData> {
  if (session.tlsSessions === undefined || session.options.dataProtection === 'clear')
    return {
      socket: raw,
      tlsSessionReused: undefined,
      endedCleanly: undefined,
      sendCloseNotify: undefined,
      layered: undefined,
    };
  const witness = watchEnd ? new TlsEndWitness(raw) : undefined;
  const tlsSocket = await connectTls(
    { ...session.tlsOptions, socket: witness ?? raw, session: session.tlsSessions.take() },
    { timeoutMs: session.options.timeouts.connect, signal, what },
    session.tlsSessions,
    witness === undefined ? undefined : (socket) => witness.watch(socket),
  );
  return {
    socket: tlsSocket,
    tlsSessionReused: tlsSocket.isSessionReused(),
    endedCleanly: witness === undefined ? undefined : () => witness.endedCleanly,
    sendCloseNotify:
      witness === undefined
        ? undefined
        : () => {
            witness.holdFin();
            tlsSocket.end();
          },
    layered: witness === undefined ? tlsSocket : undefined,
  };
}
