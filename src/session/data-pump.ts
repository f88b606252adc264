// Moving the bytes of one transfer between the (protected) data socket and the local stream, with
// stream.pipeline so backpressure holds end to end.
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { DataTimeoutError } from '../errors.js';
import type { DataIo } from './data-local.js';

export interface PumpOptions {
  /** Idle time after which the data connection is given up. */
  timeoutMs: number;
  /** Names the connection in the timeout message. */
  what: string;
  /** Sees every payload chunk, in order. */
  onChunk?: ((chunk: Buffer) => void) | undefined;
}

/** Moves the payload; resolves with the byte count once the data socket has closed. */
export async function pumpData(socket: Socket, io: DataIo, options: PumpOptions): Promise<number> {
  let bytes = 0;
  const count = (chunk: Buffer): void => void (bytes += chunk.length);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.setTimeout(options.timeoutMs, () => socket.destroy(new DataTimeoutError(`No data moved on the ${options.what} for ${options.timeoutMs} ms`)));
  if (io.direction === 'download') {
    socket.on('data', count);
    if (options.onChunk !== undefined) socket.on('data', options.onChunk);
    await pipeline(socket, io.sink);
  } else {
    io.source.on('data', count);
    if (options.onChunk !== undefined) io.source.on('data', options.onChunk);
    // Keep reading: TLS 1.3 tickets arrive here, and unread bytes would turn our close into a reset.
    socket.resume();
    // pipeline ends the socket: close_notify + FIN. The server's close means it has read it all.
    await pipeline(io.source, socket);
  }
  await closed;
  return bytes;
}
