// Moving the bytes of one transfer between the (protected) data socket and the local stream, with
// stream.pipeline so backpressure holds end to end.
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { DataTimeoutError } from '../errors.js';
import { DataIdleTimer } from './data-idle.js';
import type { DataIo } from './data-local.js';

export interface PumpOptions {
  /** Time the server may stay silent while the local side is ready for more (see DataIdleTimer). */
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
  const timeout = (): void => void socket.destroy(new DataTimeoutError(`No data moved on the ${options.what} for ${options.timeoutMs} ms`));
  if (io.direction === 'download') {
    const sink = io.sink;
    // A full sink (pipeline has paused the socket) stops the clock; its 'drain' restarts it.
    const idle = new DataIdleTimer(options.timeoutMs, () => !sink.writableNeedDrain, timeout);
    const touch = (): void => idle.touch();
    socket.on('data', count);
    socket.on('data', touch);
    sink.on('drain', touch);
    // After the server's FIN only the local sink is left to finish: not the server's silence.
    socket.once('end', () => idle.stop());
    socket.once('close', () => idle.stop());
    if (options.onChunk !== undefined) socket.on('data', options.onChunk);
    try {
      await pipeline(socket, io.sink);
    } finally {
      idle.stop();
      sink.off('drain', touch);
    }
  } else {
    const source = io.source;
    // Counts while bytes wait on the socket, or once we have ended and wait for the server's close;
    // a source with nothing to give (nothing pending) stops the clock until its next chunk.
    const idle = new DataIdleTimer(options.timeoutMs, () => socket.writableEnded || socket.writableLength > 0, timeout);
    const touch = (): void => idle.touch();
    source.on('data', count);
    source.on('data', touch);
    source.on('end', touch);
    socket.on('drain', touch);
    socket.on('finish', touch);
    socket.once('close', () => idle.stop());
    if (options.onChunk !== undefined) source.on('data', options.onChunk);
    // Keep reading: TLS 1.3 tickets arrive here, and unread bytes would turn our close into a reset.
    socket.resume();
    // pipeline ends the socket: close_notify + FIN. The server's close means it has read it all.
    try {
      await pipeline(io.source, socket);
      await closed;
    } finally {
      idle.stop();
      source.off('data', touch);
      source.off('end', touch);
    }
    return bytes;
  }
  await closed;
  return bytes;
}
