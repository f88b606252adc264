// Telling a clean end of a TLS stream (close_notify) from a truncated one. Node reports both a
// close_notify and a bare TCP FIN (or a cut in the middle of a record) as a plain 'end', and in
// TLS 1.3 the alert is encrypted, so record headers cannot show it either. So the TLS socket is
// fed through this duplex: when the raw socket ends, every byte received is first handed to the
// TLS layer (which decrypts synchronously, reaching close_notify if it was sent), and only then
// the end. The stream ended cleanly exactly when the TLS socket had ended by itself before that.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';

/** Raw chunks held while the TLS socket applies backpressure; beyond this the raw socket is paused. */
const MAX_QUEUED = 8;

export class TlsEndWitness extends Duplex {
  readonly #raw: Socket;
  #tls: TLSSocket | undefined;
  readonly #queue: Buffer[] = [];
  #rawEnded = false;
  #wanting = false;
  #eofDelivered = false;
  #tlsEndedFirst = false;
  #finHeld = false;
  #finDue = false;

  constructor(raw: Socket) {
    // highWaterMark 0: a chunk is pushed only when the TLS layer asks, so nothing waits unseen in
    // this stream's own buffer when the end is decided.
    // autoDestroy off: with both sides over (our close_notify went out first, the raw end has been
    // handed on) the TLS socket may still hold decrypted bytes and its own end for a slow reader; a
    // close now would destroy it before its 'end', and a pipeline() from it would never settle.
    // When to close is decided below, as it is for the raw socket's close.
    super({ readableHighWaterMark: 0, allowHalfOpen: true, autoDestroy: false });
    this.#raw = raw;
    raw.on('data', (chunk: Buffer) => {
      this.#queue.push(chunk);
      if (this.#queue.length >= MAX_QUEUED) raw.pause();
      if (this.#wanting) this._read();
    });
    raw.on('end', () => {
      this.#rawEnded = true;
      this.#releaseFin();
      if (this.#wanting) this._read();
    });
    raw.on('error', (err) => this.destroy(err));
    // Once the raw socket is gone and the TLS socket has handed out its end (ours, or its own after
    // close_notify: it may stop reading before ours reaches it), nothing can move any more: close,
    // or the TLS socket (which never ends its writable side toward a closed peer) stays open.
    // Not earlier: decrypted bytes may still wait in the TLS socket for a slow reader.
    raw.on('close', () => {
      if (!this.#rawEnded || this.#consumed()) this.destroy();
    });
  }

  /** Watches `tls` (the TLS socket running over this duplex) for an end of its own. */
  watch(tls: TLSSocket): void {
    this.#tls = tls;
    tls.once('end', () => {
      // Over a JS stream the TLS socket does not end its own side after the peer's end: answer the
      // close_notify now, or a server waiting for ours (bidirectional shutdown) holds the connection.
      if (!tls.writableEnded) tls.end();
      this.#releaseFin();
      this.#closeIfDone();
    });
    const push = tls.push.bind(tls);
    // The TLS layer pushes null on close_notify; push(null) before our end reached it means a clean end.
    tls.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (chunk === null && !this.#eofDelivered) this.#tlsEndedFirst = true;
      return push(chunk, encoding);
    };
  }

  // Only the TLS socket's own 'end' counts: destroyed between its push(null) and its 'end', a
  // stream.pipeline() from it would never settle.
  #consumed(): boolean {
    return this.#tls === undefined ? this.readableEnded : this.#tls.readableEnded;
  }

  #closeIfDone(): void {
    if (this.#raw.destroyed) setImmediate(() => this.destroy());
  }

  /**
   * Our end of the TLS stream sends close_notify only; the TCP FIN waits for the peer's end (its
   * close_notify or its FIN), as it would if we answered its close_notify. A proxy without TCP
   * half-close (tinyproxy) tears the whole tunnel down at our FIN, cutting a download off mid-way.
   */
  holdFin(): void {
    this.#finHeld = true;
  }

  #releaseFin(): void {
    if (!this.#finDue) return;
    this.#finDue = false;
    if (this.#raw.writable) this.#raw.end();
  }

  /** True once the peer closed the TLS stream with close_notify; false while open, after a truncation or an error. */
  get endedCleanly(): boolean {
    return this.#tlsEndedFirst;
  }

  override _read(): void {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      this.#wanting = false;
      if (this.#queue.length < MAX_QUEUED / 2) this.#raw.resume();
      this.push(chunk);
    } else if (this.#rawEnded) {
      this.#wanting = false;
      this.#eofDelivered = true;
      this.push(null);
    } else {
      this.#wanting = true;
      this.#raw.resume();
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // The peer may have closed already (our close_notify after its FIN): nothing left to tell it.
    if (!this.#raw.writable) callback();
    else this.#raw.write(chunk, (err) => callback(err ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#finHeld && !this.#rawEnded && this.#tls?.readableEnded !== true) this.#finDue = true;
    else if (this.#raw.writable) this.#raw.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#raw.destroy();
    callback(error);
  }
}
