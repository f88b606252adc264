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

/**
 * Resets (RST) a TCP socket; anything else (a caller's connector's stream) is destroyed. `layered`:
 * a TLS socket running over it. Node's resetAndDestroy() fails (EINVAL) while a shutdown is pending
 * (after end() of the socket, or of a TLS socket over it, which sends close_notify) and then never
 * closes the handle, so the process cannot exit: an ended socket is destroyed instead (its FIN is
 * on its way anyway).
 */
export function resetSocket(socket: Socket, layered?: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded || layered?.writableEnded === true) return void socket.destroy();
  try {
    socket.resetAndDestroy(); // throws for a handle that is no TCP one (a pipe)
  } catch {
    socket.destroy();
  }
}
