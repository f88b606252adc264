// Opening sockets: plain TCP, TLS from the first byte (implicit) and TLS over an existing socket
// (explicit AUTH TLS upgrade, and every protected data connection).
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { ConnectionError, ConnectTimeoutError, FtpsError, TlsError, TlsPinError } from '../errors.js';
import type { FtpsTlsOptions } from '../options.js';
import { logTls } from '../log.js';
import { spkiPin } from './pin.js';
import type { TlsSessionStore } from './tls-session.js';

export interface ConnectLimits {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Names the connection in error messages, e.g. "control connection to ftp.example.com:21". */
  what: string;
}

/** tls.connect options plus what connectTls checks itself after the handshake. */
export interface TlsDialOptions extends tls.ConnectionOptions {
  /**
   * Accepted public-key pins ('sha256/BASE64'). When set, the pin replaces the chain and host-name
   * checks (Node's own verification is off), and `identityCheck` runs after the pin matched.
   */
  pin?: readonly string[];
  identityCheck?: { hostname: string; check: (hostname: string, cert: tls.PeerCertificate) => Error | undefined };
  /** What `secureContext` was built from, to build a variant (preferGroup). */
  contextOptions?: tls.SecureContextOptions;
}

/**
 * Options for tls.connect from the user's TLS settings, with one SecureContext built up front: a
 * session opens a TLS connection per transfer, and building a context (parsing the CA bundle) for
 * each costs more CPU than the resumed handshake itself. SNI only for names (RFC 6066 forbids IPs).
 */
export function tlsConnectOptions(host: string, settings: FtpsTlsOptions): TlsDialOptions {
  const { servername, rejectUnauthorized, checkServerIdentity, pin, ...contextOptions } = settings;
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext(contextOptions);
  } catch (err) {
    throw new TlsError(`Invalid TLS options: ${(err as Error).message}`, { cause: err });
  }
  const options: TlsDialOptions = { host, secureContext, contextOptions };
  const sni = servername ?? (net.isIP(host) === 0 ? host : undefined);
  if (sni !== undefined) options.servername = sni;
  if (pin !== undefined && pin.length > 0) {
    // Node checks the host name only when the chain verified, and a self-signed chain never does:
    // with a pin, connectTls does all the checking itself, on every connection.
    options.pin = typeof pin === 'string' ? [pin] : [...pin];
    options.rejectUnauthorized = false;
    options.checkServerIdentity = () => undefined;
    if (checkServerIdentity !== undefined)
      options.identityCheck = { hostname: servername ?? host, check: checkServerIdentity };
    return options;
  }
  if (rejectUnauthorized !== undefined) options.rejectUnauthorized = rejectUnauthorized;
  if (checkServerIdentity !== undefined) options.checkServerIdentity = checkServerIdentity;
  return options;
}

/** OpenSSL 3's default key-exchange groups, in its order; a TLS 1.3 client sends a key share for the first only. */
const DEFAULT_GROUPS = ['X25519', 'P-256', 'X448', 'P-521', 'P-384'];
const GROUP_NAMES: Record<string, string> = {
  X25519: 'X25519',
  X448: 'X448',
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/**
 * The dial options again, with the key-exchange group the server chose on `socket` offered first:
 * a TLS 1.3 server that takes only P-256 (vsftpd, pure-ftpd) answers a key share for X25519 with a
 * HelloRetryRequest, one round trip more on every data connection. Undefined when nothing changes.
 */
export function preferGroupOf(options: TlsDialOptions, socket: tls.TLSSocket): TlsDialOptions | undefined {
  const info = socket.getEphemeralKeyInfo() as { name?: string } | null;
  const chosen = GROUP_NAMES[info?.name ?? ''];
  if (chosen === undefined || chosen === DEFAULT_GROUPS[0] || options.contextOptions === undefined) return undefined;
  const ecdhCurve = [chosen, ...DEFAULT_GROUPS.filter((g) => g !== chosen)].join(':');
  try {
    return { ...options, secureContext: tls.createSecureContext({ ...options.contextOptions, ecdhCurve }) };
  } catch {
    return undefined; // a build without one of the groups: the default order still works
  }
}

/** The pin (and the caller's own identity check, if any) on a finished handshake; throws a TlsError. */
function checkPin(socket: tls.TLSSocket, options: TlsDialOptions, what: string): void {
  if (options.pin === undefined) return;
  // A resumed handshake carries no certificate; it proves the peer holds a session that only a
  // connection which passed this check can have stored (TlsSessionStore keeps no other).
  if (socket.isSessionReused()) return;
  const cert = socket.getPeerCertificate(true);
  const actual = (cert.raw as Buffer | undefined) === undefined ? 'none' : spkiPin(cert);
  if (!options.pin.includes(actual)) throw new TlsPinError(what, options.pin, actual);
  const failure = options.identityCheck?.check(options.identityCheck.hostname, cert);
  if (failure !== undefined)
    throw new TlsError(`Certificate of ${what} refused by checkServerIdentity: ${failure.message}`, { cause: failure });
}

/**
 * Waits for `readyEvent` on a socket being opened, turning errors, the timeout and an abort into
 * typed errors; the socket is destroyed on every failure so nothing leaks.
 */
function settleOpen<S extends net.Socket>(
  socket: S,
  readyEvent: string,
  limits: ConnectLimits,
  wrapError: (err: Error) => Error,
): Promise<S> {
  return new Promise<S>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off(readyEvent, onReady);
      socket.off('error', onError);
      socket.off('close', onClose);
      limits.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown): void => {
      cleanup();
      // The socket is thrown away: an error still on its way (a TLS socket over a raw one destroyed
      // with an error, say) must not become an unhandled 'error' event that crashes the process.
      socket.on('error', () => undefined);
      socket.destroy();
      reject(err);
    };
    const onReady = (): void => {
      cleanup();
      resolve(socket);
    };
    const onError = (err: Error): void => fail(wrapError(err));
    const onClose = (): void => fail(new ConnectionError(`${limits.what} closed while connecting`));
    const onAbort = (): void => fail(limits.signal?.reason);
    const timer = setTimeout(
      () => fail(new ConnectTimeoutError(`${limits.what} not established within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    socket.on(readyEvent, onReady);
    socket.on('error', onError);
    socket.on('close', onClose);
    if (limits.signal?.aborted === true) onAbort();
    else limits.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What a `connect` function is asked for: a connected TCP (or TCP-like) socket to host:port. */
export interface ConnectRequest {
  /** Host name or address to connect to. */
  host: string;
  /** TCP port. */
  port: number;
  /** The `localAddress` option, if set. */
  localAddress?: string | undefined;
  /** The `family` option, if set. */
  family?: 4 | 6 | undefined;
  /** Which connection of the session this is for. */
  purpose: 'control' | 'data';
  /** Aborted when the client gives up (connect timeout, the caller's signal): stop and clean up. */
  signal: AbortSignal;
}

/**
 * Opens a connection for the client: the control connection and every data connection. Returns
 * (or resolves to) a socket that is connected, or still connecting (then its 'connect' is awaited):
 * `(req) => net.connect(req)` is a valid one. TLS is added on top by the client.
 */
export type SocketConnect = (request: ConnectRequest) => Socket | Promise<Socket>;

/** The default connector: plain TCP, waiting for 'connect'. */
export const directConnect: SocketConnect = (request) => {
  const options: net.NetConnectOpts = { host: request.host, port: request.port };
  if (request.localAddress !== undefined) options.localAddress = request.localAddress;
  if (request.family !== undefined) options.family = request.family;
  return net.connect(options);
};

/** A socket that is still connecting resolves on 'connect'; fails on error, close or abort. */
export function whenConnected(socket: Socket, signal: AbortSignal): Promise<Socket> {
  if (!socket.connecting) {
    return socket.destroyed
      ? Promise.reject(new Error('the socket was closed before it was handed over'))
      : Promise.resolve(socket);
  }
  return settleOpen(socket, 'connect', { timeoutMs: 2 ** 31 - 1, signal, what: 'connection' }, (err) => err);
}

/**
 * Opens a connection through `connector`, bounded by `limits` (timeout, abort): a socket that
 * arrives after the client gave up is destroyed. Failures are ConnectionErrors naming `what`
 * (typed errors of a proxy as they are), the timeout a ConnectTimeoutError, an abort `signal.reason`.
 */
export async function connectTcp(
  connector: SocketConnect,
  request: Omit<ConnectRequest, 'signal'>,
  limits: ConnectLimits,
): Promise<Socket> {
  const controller = new AbortController();
  const timeout = new ConnectTimeoutError(`${limits.what} not established within ${limits.timeoutMs} ms`);
  const timer = setTimeout(() => controller.abort(timeout), limits.timeoutMs);
  const onAbort = (): void => controller.abort(limits.signal?.reason);
  if (limits.signal?.aborted === true) onAbort();
  else limits.signal?.addEventListener('abort', onAbort, { once: true });
  const gaveUp = new Promise<never>((_resolve, reject) => {
    const fail = (): void => reject(controller.signal.reason);
    if (controller.signal.aborted) fail();
    else controller.signal.addEventListener('abort', fail, { once: true });
  });
  gaveUp.catch(() => undefined);
  let pending: Promise<Socket> | undefined;
  try {
    pending = Promise.resolve().then(() => connector({ ...request, signal: controller.signal }));
    const socket = await Promise.race([pending.then((s) => whenConnected(s, controller.signal)), gaveUp]);
    if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    return socket;
  } catch (err) {
    pending?.then(
      (late) => late.destroy(),
      () => undefined,
    );
    if (controller.signal.aborted) throw controller.signal.reason;
    if (err instanceof FtpsError) throw err;
    throw new ConnectionError(`${limits.what} failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
    limits.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * TLS handshake, either on a fresh TCP connection (implicit mode) or over `options.socket`
 * (explicit upgrade, data connections). Certificate problems and handshake failures are TlsErrors;
 * a refused or unreachable TCP connection is a ConnectionError.
 */
export function connectTls(
  options: TlsDialOptions,
  limits: ConnectLimits,
  sessions?: TlsSessionStore,
  /** Sees the TLS socket before any byte is read (e.g. TlsEndWitness.watch). */
  onCreated?: (socket: tls.TLSSocket) => void,
): Promise<tls.TLSSocket> {
  const { pin: _pin, identityCheck: _identity, contextOptions: _context, ...connectOptions } = options;
  const socket = tls.connect(connectOptions);
  onCreated?.(socket);
  // Track before the handshake completes: TLS 1.3 tickets may arrive right after it.
  const sessionGate = sessions?.track(socket);
  let tcpUp = options.socket !== undefined;
  if (!tcpUp) socket.once('connect', () => (tcpUp = true));
  socket.setNoDelay(true);
  const wrap = (err: Error): Error =>
    tcpUp
      ? new TlsError(`TLS handshake on ${limits.what} failed: ${err.message}`, { cause: err })
      : new ConnectionError(`${limits.what} failed: ${err.message}`, { cause: err });
  return settleOpen(socket, 'secureConnect', limits, wrap).then((s) => {
    try {
      checkPin(s, options, limits.what);
      sessionGate?.trust();
    } catch (err) {
      s.destroy();
      throw err;
    }
    logTls('%s: %s %s, session reused: %s', limits.what, s.getProtocol(), s.getCipher().name, s.isSessionReused());
    return s;
  });
}
