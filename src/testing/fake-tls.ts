/**
 * Server-side TLS plumbing for the fake FTP server.
 *
 * - One `SecureContext` (hence one set of session-ticket keys) is shared by the control and every
 *   data connection, so a ticket issued on the control connection resumes on a data connection
 *   (TLS 1.2 and TLS 1.3).
 * - TLS 1.2 session-ID resumption (clients that send no ticket) needs a server-side session cache:
 *   Node only consults one through the `newSession`/`resumeSession` events of a `tls.Server`, so a
 *   never-listening `tls.Server` carries a small Map-backed cache and is passed as `server` to every
 *   server-side `TLSSocket`.
 * - Truncation detection: Node's TLSSocket emits a plain 'end' both when the peer sent close_notify
 *   and when the TCP connection just ended (FIN) without it. To tell them apart, the TLS socket is
 *   layered over `EofTap`, a Duplex around the raw TCP socket that records when the raw FIN arrived.
 *   A close_notify makes the TLS socket end *before* the raw FIN is seen (the alert is processed
 *   synchronously when its record arrives); a bare FIN reaches the TLS layer only through the tap, so
 *   `tap.rawEof` is already true when the TLS 'end' fires.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import tls from 'node:tls';

export interface TlsEndpointOptions {
  key: string | Buffer;
  cert: string | Buffer;
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
}

/** OpenSSL 3 refuses TLS 1.0/1.1 (SHA-1 handshake signatures) unless the security level is 0. */
const LEGACY_CIPHERS = 'DEFAULT@SECLEVEL=0';
const isLegacy = (v: tls.SecureVersion): boolean => v === 'TLSv1' || v === 'TLSv1.1';

/** Duplex over a raw TCP socket that remembers whether/when the peer's FIN or an error arrived. */
export class EofTap extends Duplex {
  /** The peer's FIN arrived on the raw socket. */
  rawEof = false;
  /** The raw socket failed (e.g. ECONNRESET). */
  rawError: Error | undefined;

  #cutAfter: number | undefined;

  /**
   * Passes only `bytes` more bytes of output to the raw socket, then ends it (FIN) and drops the
   * rest: a cut in the middle of a TLS record, without close_notify.
   */
  cutOutputAfter(bytes: number): void {
    this.#cutAfter = bytes;
  }

  /** `pre`: bytes already taken off `raw` that belong in front of its stream (e.g. read with a command line). */
  constructor(
    readonly raw: Socket,
    pre?: Buffer,
  ) {
    super({ allowHalfOpen: true });
    if (pre && pre.length > 0) this.push(pre);
    raw.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) raw.pause();
    });
    raw.on('end', () => {
      this.rawEof = true;
      this.push(null);
    });
    raw.on('error', (err) => {
      this.rawError = err;
      this.destroy(err);
    });
    raw.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.raw.destroyed || this.raw.writableEnded) {
      cb();
      return;
    }
    if (this.#cutAfter !== undefined) {
      const keep = chunk.subarray(0, this.#cutAfter);
      this.#cutAfter -= keep.length;
      if (keep.length > 0) this.raw.write(keep);
      if (this.#cutAfter === 0) this.raw.end();
      cb();
      return;
    }
    this.raw.write(chunk, (err) => cb(err ?? null));
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.raw.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.raw.destroy();
    cb(err);
  }
}

/** A server-side TLS socket over a raw socket, with close_notify bookkeeping. */
export interface ServerTls {
  tls: tls.TLSSocket;
  tap: EofTap;
  /** Resolves after 'secure' (true) or on a handshake failure/close (false). */
  secure: Promise<boolean>;
  /** Set when the TLS socket ended: true = close_notify received before the TCP FIN. */
  readonly closeNotify: boolean | undefined;
}

export class TlsEndpoint {
  readonly context: tls.SecureContext;
  private readonly sessionServer: tls.Server;
  private readonly sessionCache = new Map<string, Buffer>();

  constructor(opts: TlsEndpointOptions) {
    this.context = tls.createSecureContext({
      key: opts.key,
      cert: opts.cert,
      minVersion: opts.minVersion,
      maxVersion: opts.maxVersion,
      // A server told to accept TLS 1.0/1.1 (to test legacy diagnostics) really does.
      ...(isLegacy(opts.minVersion) ? { ciphers: LEGACY_CIPHERS } : {}),
    });
    this.sessionServer = tls.createServer({ key: opts.key, cert: opts.cert });
    this.sessionServer.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      if (this.sessionCache.size > 1000) this.sessionCache.clear();
      this.sessionCache.set(id.toString('hex'), data);
      done();
    });
    this.sessionServer.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, this.sessionCache.get(id.toString('hex')) ?? null);
    });
  }

  /** Starts a server-side TLS handshake on `raw` (bytes already buffered in `raw` are kept). */
  accept(raw: Socket, onError: (err: Error) => void, pre?: Buffer): ServerTls {
    const tap = new EofTap(raw, pre);
    const sock = new tls.TLSSocket(tap, {
      isServer: true,
      secureContext: this.context,
      server: this.sessionServer,
    });
    let closeNotify: boolean | undefined;
    sock.on('end', () => {
      closeNotify = !tap.rawEof && tap.rawError === undefined;
    });
    sock.on('error', onError);
    sock.on('close', () => raw.destroy());
    const secure = new Promise<boolean>((resolve) => {
      sock.once('secure', () => resolve(true));
      sock.once('close', () => resolve(false));
    });
    return {
      tls: sock,
      tap,
      secure,
      get closeNotify() {
        return closeNotify;
      },
    };
  }
}
