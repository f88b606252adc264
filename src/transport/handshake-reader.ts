// Reading a proxy's handshake replies off a raw socket without taking bytes that belong to the
// tunnel: paused-mode reads through 'readable', the surplus unshifted back, and the socket left
// as fresh (no listener, flowing state reset) for whoever reads it next.
import type { Socket } from 'node:net';
import { ProxyError } from '../errors.js';

/**
 * Reads until `complete(bytes)` returns the length of the reply (undefined: not complete yet).
 * Fails with ProxyError when the proxy closes first or sends more than `maxBytes` without completing;
 * aborting `signal` destroys the socket.
 */
export function readReply(
  socket: Socket,
  complete: (bytes: Buffer) => number | undefined,
  maxBytes: number,
  signal: AbortSignal,
  what: string,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const cleanup = (): void => {
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onReadable = (): void => {
      for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null;) {
        buffered = Buffer.concat([buffered, chunk]);
        const length = complete(buffered);
        if (length !== undefined) {
          cleanup();
          if (buffered.length > length) socket.unshift(buffered.subarray(length));
          resolve(buffered.subarray(0, length));
          return;
        }
        if (buffered.length > maxBytes)
          return fail(new ProxyError('protocol', `${what}: reply longer than ${maxBytes} bytes`));
      }
    };
    const onEnd = (): void =>
      fail(new ProxyError('protocol', `${what}: the proxy closed the connection during its handshake`));
    const onError = (err: Error): void => fail(new ProxyError('protocol', `${what}: ${err.message}`, { cause: err }));
    const onAbort = (): void => fail(signal.reason);
    if (signal.aborted) return onAbort();
    socket.on('readable', onReadable);
    socket.on('end', onEnd);
    socket.on('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
