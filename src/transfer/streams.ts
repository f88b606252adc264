// Remote files as Node streams. The transfer runs inside the client's queue (it holds the
// connection for its whole duration); these bridges connect it to the stream the caller holds.
//
// Backpressure is end to end: a slow reader of the Readable leaves the bridge's write callback
// pending, so runTransfer's pipeline stops reading the data socket and TCP flow control stops the
// server. A slow uploader simply leaves the source without data.
// Both streams end only after the server confirmed the transfer (226): the Readable's 'end' and the
// Writable's 'finish' wait for the transfer's promise, not just for the data socket.
import { Readable, Writable } from 'node:stream';

export type StreamTransfer<T> = (signal: AbortSignal) => Promise<T>;

function abortReason(err: Error | null): unknown {
  return err ?? new DOMException('The stream was destroyed before the transfer completed', 'AbortError');
}

/**
 * A Readable of a download. `start(sink, signal)` must run the transfer into `sink` and settle when
 * the server confirmed it; destroying the Readable aborts the transfer through `signal`.
 */
export function downloadStream<T>(
  start: (sink: Writable, signal: AbortSignal) => Promise<T>,
  highWaterMark = 64 * 1024,
): { stream: Readable; result: Promise<T> } {
  const controller = new AbortController();
  let pending: (() => void) | undefined;
  let settled = false;
  const stream = new Readable({
    highWaterMark,
    read() {
      const callback = pending;
      pending = undefined;
      callback?.();
    },
    destroy(err, callback) {
      if (!settled) controller.abort(abortReason(err));
      const callback2 = pending;
      pending = undefined;
      callback2?.();
      callback(err);
    },
  });
  const sink = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      if (stream.destroyed) return callback(new Error('download stream destroyed'));
      if (stream.push(chunk)) callback();
      else pending = callback;
    },
    // The data connection ended; the Readable ends only once the transfer (226) is confirmed.
    final(callback) {
      callback();
    },
  });
  const result = start(sink, controller.signal);
  result.then(
    () => {
      settled = true;
      stream.push(null);
    },
    (err: unknown) => {
      settled = true;
      stream.destroy(err instanceof Error ? err : new Error(String(err)));
    },
  );
  result.catch(() => undefined);
  return { stream, result };
}

/**
 * A Writable of an upload. `start(source, signal)` must run the transfer from `source`; 'finish'
 * is emitted only after it settled successfully. Destroying the Writable aborts the transfer.
 */
export function uploadStream<T>(
  start: (source: Readable, signal: AbortSignal) => Promise<T>,
  highWaterMark = 64 * 1024,
): { stream: Writable; result: Promise<T> } {
  const controller = new AbortController();
  let pending: (() => void) | undefined;
  let settled = false;
  const source = new Readable({
    highWaterMark,
    read() {
      const callback = pending;
      pending = undefined;
      callback?.();
    },
  });
  // eslint-disable-next-line prefer-const
  let result: Promise<T>;
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      if (source.push(chunk)) callback();
      else pending = callback;
    },
    final(callback) {
      source.push(null);
      result.then(
        () => callback(),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    },
    destroy(err, callback) {
      if (!settled) {
        controller.abort(abortReason(err));
        source.destroy(err ?? undefined);
      }
      callback(err);
    },
  });
  result = start(source, controller.signal);
  result.then(
    () => {
      settled = true;
    },
    (err: unknown) => {
      settled = true;
      stream.destroy(err instanceof Error ? err : new Error(String(err)));
    },
  );
  result.catch(() => undefined);
  return { stream, result };
}
