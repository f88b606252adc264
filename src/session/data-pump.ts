// Moving the bytes of one transfer between the (protected) data socket and the local stream, with
// stream.pipeline so backpressure holds end to end.
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataTimeoutError, FtpsError, TruncatedTransferError } from '../errors.js';
import { DataIdleTimer } from './data-idle.js';
import type { DataIo } from './data-local.js';

export interface PumpOptions {
  /** Time the server may stay silent while the local side is ready for more (see DataIdleTimer). */
  timeoutMs: number;
  /** Names the connection in the timeout message. */
  what: string;
  /** Sees every payload chunk, in order. */
  onChunk?: ((chunk: Buffer) => void) | undefined;
  /**
   * Downloads only: take exactly this many bytes, then call `onLengthReached` (which stops the data
   * connection) and resolve once the sink has finished, without waiting for the socket's close.
   */
  length?: number | undefined;
  onLengthReached?: (() => void) | undefined;
}

/**
 * Passes on the first `length` bytes (the last chunk sliced), then ends its readable side and
 * reports it; fewer bytes by the end of the input is a TruncatedTransferError.
 */
class RangeCut extends Transform {
  #left: number;
  readonly #length: number;
  readonly #what: string;
  readonly #onChunk: ((chunk: Buffer) => void) | undefined;
  readonly #onReached: () => void;

  constructor(length: number, what: string, onChunk: ((chunk: Buffer) => void) | undefined, onReached: () => void) {
    super();
    this.#left = this.#length = length;
    this.#what = what;
    this.#onChunk = onChunk;
    this.#onReached = onReached;
  }

  get reached(): boolean {
    return this.#left === 0;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#left === 0) return callback(); // bytes still in flight after the stop
    const piece = chunk.length > this.#left ? chunk.subarray(0, this.#left) : chunk;
    this.#left -= piece.length;
    this.#onChunk?.(piece);
    this.push(piece);
    if (this.#left === 0) {
      this.push(null);
      this.#onReached();
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#left === 0) return callback();
    callback(this.shortfall());
  }

  /** The range did not get its bytes: why, with how many arrived (a reset or close before the end is the `cause`). */
  shortfall(cause?: Error): TruncatedTransferError {
    const got = this.#length - this.#left;
    const why = cause === undefined ? '' : `: ${cause.message}`;
    const message = `The ${this.#what} ended after ${got} of the ${this.#length} bytes of the range${why}`;
    return new TruncatedTransferError(message, cause === undefined ? undefined : { cause });
  }
}

/** Moves the payload; resolves with the byte count once the data socket has closed. */
export async function pumpData(socket: Socket, io: DataIo, options: PumpOptions): Promise<number> {
  if (io.direction === 'download' && options.length !== undefined)
    return pumpRange(socket, io.sink, options.length, options);
  let bytes = 0;
  const count = (chunk: Buffer): void => void (bytes += chunk.length);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const timeout = (): void =>
    void socket.destroy(new DataTimeoutError(`No data moved on the ${options.what} for ${options.timeoutMs} ms`));
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

/**
 * A download of exactly `length` bytes. The socket feeds the cut by hand (not through pipeline): once
 * the length is reached the socket is unpiped and torn down by the caller, and that must not destroy
 * the sink, which pipeline would do. Resolves with `length` once the sink has finished.
 */
async function pumpRange(socket: Socket, sink: Writable, length: number, options: PumpOptions): Promise<number> {
  const timeout = (): void =>
    void socket.destroy(new DataTimeoutError(`No data moved on the ${options.what} for ${options.timeoutMs} ms`));
  const idle = new DataIdleTimer(options.timeoutMs, () => !sink.writableNeedDrain && !cut.writableNeedDrain, timeout);
  const touch = (): void => idle.touch();
  const cut = new RangeCut(length, options.what, options.onChunk, () => {
    idle.stop();
    socket.unpipe(cut);
    options.onLengthReached?.();
  });
  // What pipeline would do for the socket: its failure, or a close before its end, fails the cut.
  // Before the length, a failing socket means a short range (our own typed errors, a data timeout
  // say, stay as they are); after it, the reset we caused is expected.
  const onError = (err: Error): void => {
    if (!cut.reached) cut.destroy(err instanceof FtpsError ? err : cut.shortfall(err));
  };
  const onClose = (): void => {
    if (!cut.reached && !cut.writableEnded)
      cut.destroy(cut.shortfall(new Error(`The ${options.what} closed before its end`)));
  };
  socket.on('data', touch);
  sink.on('drain', touch);
  socket.on('error', onError);
  socket.once('close', onClose);
  socket.once('end', () => idle.stop());
  socket.pipe(cut);
  try {
    await pipeline(cut, sink);
  } finally {
    idle.stop();
    socket.off('data', touch);
    sink.off('drain', touch);
    socket.off('error', onError);
    socket.off('close', onClose);
    if (!cut.reached) socket.destroy();
  }
  return length;
}
