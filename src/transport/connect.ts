// Opening sockets: plain TCP, TLS from the first byte (implicit) and TLS over an existing socket
// (explicit AUTH TLS upgrade, and every protected data connection).
import net from 'node:net';
import tls from 'node:tls';
import { ConnectionError, ConnectTimeoutError, TlsError } from '../errors.js';
import type { FtpsTlsOptions } from '../options.js';
import { logTls } from '../log.js';
import type { TlsSessionStore } from './tls-session.js';

export interface ConnectLimits {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Names the connection in error messages, e.g. "control connection to ftp.example.com:21". */
  what: string;
}

/**
 * Options for tls.connect from the user's TLS settings, with one SecureContext built up front: a
 * session opens a TLS connection per transfer, and building a context (parsing the CA bundle) for
 * each costs more CPU than the resumed handshake itself. SNI only for names (RFC 6066 forbids IPs).
 */
export function tlsConnectOptions(host: string, settings: FtpsTlsOptions): tls.ConnectionOptions {
  const { servername, rejectUnauthorized, checkServerIdentity, ...contextOptions } = settings;
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext(contextOptions);
  } catch (err) {
    throw new TlsError(`Invalid TLS options: ${(err as Error).message}`, { cause: err });
  }
  const options: tls.ConnectionOptions = { host, secureContext };
  if (rejectUnauthorized !== undefined) options.rejectUnauthorized = rejectUnauthorized;
  if (checkServerIdentity !== undefined) options.checkServerIdentity = checkServerIdentity;
  const sni = servername ?? (net.isIP(host) === 0 ? host : undefined);
  if (sni !== undefined) options.servername = sni;
  return options;
}

/**
 * Waits for `readyEvent` on a socket being opened, turning errors, the timeout and an abort into
 * typed errors; the socket is destroyed on every failure so nothing leaks.
 */
function settleOpen<S extends net.Socket>(socket: S, readyEvent: string, limits: ConnectLimits, wrapError: (err: Error) => Error): Promise<S> {
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
    const timer = setTimeout(() => fail(new ConnectTimeoutError(`${limits.what} not established within ${limits.timeoutMs} ms`)), limits.timeoutMs);
    socket.on(readyEvent, onReady);
    socket.on('error', onError);
    socket.on('close', onClose);
    if (limits.signal?.aborted === true) onAbort();
    else limits.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function connectTcp(host: string, port: number, limits: ConnectLimits): Promise<net.Socket> {
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  return settleOpen(socket, 'connect', limits, (err) => new ConnectionError(`${limits.what} failed: ${err.message}`, { cause: err }));
}

/**
 * TLS handshake, either on a fresh TCP connection (implicit mode) or over `options.socket`
 * (explicit upgrade, data connections). Certificate problems and handshake failures are TlsErrors;
 * a refused or unreachable TCP connection is a ConnectionError.
 */
export function connectTls(options: tls.ConnectionOptions, limits: ConnectLimits, sessions?: TlsSessionStore): Promise<tls.TLSSocket> {
  const socket = tls.connect(options);
  // Track before the handshake completes: TLS 1.3 tickets may arrive right after it.
  sessions?.track(socket);
  let tcpUp = options.socket !== undefined;
  if (!tcpUp) socket.once('connect', () => (tcpUp = true));
  socket.setNoDelay(true);
  const wrap = (err: Error): Error =>
    tcpUp
      ? new TlsError(`TLS handshake on ${limits.what} failed: ${err.message}`, { cause: err })
      : new ConnectionError(`${limits.what} failed: ${err.message}`, { cause: err });
  return settleOpen(socket, 'secureConnect', limits, wrap).then((s) => {
    logTls('%s: %s %s, session reused: %s', limits.what, s.getProtocol(), s.getCipher().name, s.isSessionReused());
    return s;
  });
}
