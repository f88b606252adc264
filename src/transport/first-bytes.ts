// Telling implicit from explicit FTPS by listening: a plain FTP server greets at once ("220 ..."),
// an implicit FTPS server says nothing until the client's TLS ClientHello.
import type { Socket } from 'node:net';
import { ConnectionError } from '../errors.js';

/**
 * Waits up to `waitMs` for the server's first bytes without consuming them: `'spoke'` (the bytes
 * stay in the socket's buffer for the next reader) or `'silent'`. The socket is left paused; the
 * next reader resumes it. Rejects with ConnectionError if the server closes first.
 */
export function waitForFirstBytes(socket: Socket, waitMs: number, signal?: AbortSignal): Promise<'spoke' | 'silent'> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      socket.pause();
    };
    const onData = (chunk: Buffer): void => {
      done();
      socket.unshift(chunk);
      resolve('spoke');
    };
    const onClose = (): void => {
      done();
      reject(new ConnectionError('Server closed the connection before its greeting'));
    };
    const onError = (err: Error): void => {
      done();
      reject(new ConnectionError(`Connection failed before the greeting: ${err.message}`, { cause: err }));
    };
    const onAbort = (): void => {
      done();
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve('silent');
    }, waitMs);
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.resume(); // a socket paused by an earlier wait must flow again to be heard
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
