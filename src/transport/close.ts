// Closing sockets cleanly. A TLS socket's end() sends close_notify; reading on until the peer's
// close lets the server see a complete stream (vsftpd strict_ssl_read_eof, FileZilla 426) and
// keeps unread TLS 1.3 tickets from turning our close into a TCP reset.
import type { Socket } from 'node:net';

/** Ends the socket and waits for it to close, destroying it if the peer has not closed within `timeoutMs`. */
export function endAndWaitClose(socket: Socket, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    // Swallow late errors (e.g. ECONNRESET while closing): the close above settles either way.
    socket.on('error', () => undefined);
    socket.resume();
    socket.end();
  });
}

/** Resets (RST) a TCP socket; anything else (a caller's connector's stream) is destroyed. */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy(); // throws for a handle that is no TCP one (a pipe)
  } catch {
    socket.destroy();
  }
}
