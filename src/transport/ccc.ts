// CCC (RFC 4217 §6): ending the control connection's TLS layer and going on in clear text over the
// same TCP connection. Node has no API for that: a TLSSocket over a net.Socket owns its handle, and
// ending it ends the TCP connection. So when CCC may follow, the TLS layer runs over a
// DetachableTransport, a Duplex that forwards to the raw socket and can let go of it: the TLS
// close_notify exchange then happens without touching TCP, and the raw socket is handed back.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { ProtocolError } from '../errors.js';

export class DetachableTransport extends Duplex {
  readonly raw: Socket;
  /** Once set, ending or destroying this stream leaves the raw socket alone. */
  #keepRaw = false;
  readonly #onData = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.raw.pause();
  };
  readonly #onEnd = (): void => void this.push(null);
  readonly #onError = (err: Error): void => void this.destroy(err);
  readonly #onClose = (): void => void (this.destroyed || this.destroy());

  constructor(raw: Socket) {
    super({ allowHalfOpen: true });
    this.raw = raw;
    raw.on('data', this.#onData);
    raw.on('end', this.#onEnd);
    raw.on('error', this.#onError);
    raw.on('close', this.#onClose);
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.raw.write(chunk, (err) => callback(err ?? null));
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (!this.#keepRaw) this.raw.end();
    callback();
  }

  override _destroy(err: Error | null, callback: (err: Error | null) => void): void {
    if (!this.#keepRaw) this.raw.destroy(err ?? undefined);
    callback(err);
  }

  /** From now on the TLS layer may end; the TCP connection stays. */
  keepRaw(): void {
    this.#keepRaw = true;
  }

  /** Stops forwarding and returns the raw socket with no listeners of ours, paused. */
  detach(): Socket {
    this.#keepRaw = true;
    this.raw.off('data', this.#onData);
    this.raw.off('end', this.#onEnd);
    this.raw.off('error', this.#onError);
    this.raw.off('close', this.#onClose);
    this.raw.pause();
    return this.raw;
  }
}

/**
 * Ends the TLS layer of `tls` (running over `transport`) after a 200 to CCC: sends close_notify,
 * waits (bounded) for the server's, and returns the raw TCP socket, paused, to go on in clear text.
 * A server that sends no close_notify in time, or anything else, fails with ProtocolError: bytes
 * after it could not be told apart from the clear-text replies.
 */
export function clearTls(tls: TLSSocket, transport: DetachableTransport, timeoutMs: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    transport.keepRaw();
    let unexpected = 0;
    let theirs = false; // the server's close_notify arrived
    let ours = false; // our close_notify is written
    const onData = (chunk: Buffer): void => void (unexpected += chunk.length);
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      tls.off('end', onEnd);
      tls.off('finish', onFinish);
      tls.off('error', onError);
      tls.off('data', onData);
      const raw = transport.detach();
      tls.destroy();
      if (err !== undefined) {
        raw.destroy();
        reject(err);
      } else resolve(raw);
    };
    const check = (): void => {
      if (unexpected > 0) finish(new ProtocolError(`Server sent ${unexpected} bytes under TLS after accepting CCC`));
      else if (theirs && ours) finish();
    };
    const onEnd = (): void => {
      theirs = true;
      check();
    };
    const onFinish = (): void => {
      ours = true;
      check();
    };
    const onError = (err: Error): void =>
      finish(new ProtocolError(`TLS shutdown after CCC failed: ${err.message}`, { cause: err }));
    const timer = setTimeout(
      () =>
        finish(new ProtocolError(`No TLS close_notify exchange within ${timeoutMs} ms after the server accepted CCC`)),
      timeoutMs,
    );
    tls.on('data', onData);
    tls.once('error', onError);
    // Servers may send their close_notify right behind the 200 (proftpd): already read then.
    if (tls.readableEnded) theirs = true;
    else tls.once('end', onEnd);
    if (tls.writableFinished) ours = true;
    else tls.once('finish', onFinish);
    tls.end(); // our close_notify (once only: end() again is harmless)
    check();
  });
}
