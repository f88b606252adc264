// Option types, defaults and validation. Validation throws TypeError/RangeError naming the option,
// so a mistake in the caller's code is told apart from a fault of the server or the network.
import type { ListLineParser } from './protocol/listing/index.js';
import { createSecureContext, type ConnectionOptions, type PeerCertificate, type SecureVersion } from 'node:tls';
import { isIP } from 'node:net';
import { directConnect, type SocketConnect } from './transport/connect.js';
import { PIN_PATTERN } from './transport/pin.js';
import { parseProxyUrl, proxyConnector, type ProxySpec } from './transport/proxy.js';

/**
 * `'explicit'` (AUTH TLS on port 21), `'implicit'` (TLS from the first byte, port 990), `'auto'`
 * (listen first: a greeting within `autoDetectMs` means explicit, silence means implicit; never
 * plain FTP) or `false` (plain FTP).
 */
export type SecureMode = 'explicit' | 'implicit' | 'auto' | false;

/** TLS settings passed through to `tls.connect` for the control and every data connection. */
export interface FtpsTlsOptions {
  /** CA certificates (PEM) to trust instead of Node's bundled roots: for a private-CA or self-signed server. */
  ca?: ConnectionOptions['ca'];
  /** Client certificate (PEM), for servers that authenticate clients by certificate. */
  cert?: ConnectionOptions['cert'];
  /** Private key (PEM) of `cert`. */
  key?: ConnectionOptions['key'];
  /** Passphrase of `key` or `pfx`. */
  passphrase?: string;
  /** Client certificate and key as PKCS#12, instead of `cert` and `key`. */
  pfx?: ConnectionOptions['pfx'];
  /** OpenSSL cipher list, as `tls.connect`'s `ciphers`; default Node's. */
  ciphers?: string;
  /** Default `'TLSv1.2'`. */
  minVersion?: SecureVersion;
  /** Default Node's (`'TLSv1.3'`); `'TLSv1.2'` for servers that break on TLS 1.3. */
  maxVersion?: SecureVersion;
  /** Default `true`. Turning it off accepts any certificate: only for testing. */
  rejectUnauthorized?: boolean;
  /** SNI name and the name the certificate must match. Default: the host, when it is a name (not an IP). */
  servername?: string;
  /** Replaces Node's host name check (`tls.checkServerIdentity`): return an Error to refuse the certificate. */
  checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
  /**
   * Public-key pins, curl `--pinnedpubkey` format: `'sha256/'` + base64 of the SHA-256 of the
   * certificate's SubjectPublicKeyInfo (see `spkiPin`). Checked on the control and every data
   * connection. When set, the pin alone authenticates the server: a self-signed or private-CA
   * certificate is accepted without `ca`, and neither the chain nor the host name is checked
   * (`checkServerIdentity`, if given, still runs). A key not listed fails with `ERR_FTPS_TLS_PIN`.
   */
  pin?: readonly string[] | string;
}

/**
 * Timeouts in milliseconds: each from 1 to 2^31-1 (Node's timer limit, about 24.8 days), or
 * `Infinity` for no timeout. Anything else is a RangeError naming the option.
 */
export interface TimeoutOptions {
  /**
   * Opening a session (TCP, TLS, greeting, AUTH, login, PBSZ/PROT, FEAT, TYPE), and each of the TCP and TLS setups of a
   * data connection. Default 15 000 ms.
   */
  connect?: number;
  /** Waiting for the final reply to a command, from sending it: 1xx replies do not extend it. Default 30 000 ms. */
  reply?: number;
  /** A data connection without any bytes moving. Default 30 000 ms. */
  data?: number;
  /**
   * Overall deadline of one call (a command, a transfer, a tree operation on the client), from
   * when it starts running: past it the call is aborted and rejects with OperationTimeoutError.
   * Default `Infinity` (none). A call's own `timeout` option overrides it.
   */
  operation?: number;
}

/**
 * How to reach and log in to the server: the first argument of {@link FtpsClient.connect} and
 * {@link createPool} (or the overrides of a URL). Checked at once: a mistake is a TypeError or
 * RangeError naming the option, before anything is sent.
 */
export interface FtpsClientOptions {
  /** Host name or IP address of the server. */
  host: string;
  /** Default 21 (explicit, plain) or 990 (implicit). */
  port?: number;
  /** Default `'anonymous'`. */
  user?: string;
  /** Default `'anonymous@'`. */
  password?: string;
  /** Sent when the server asks for an account (332). */
  account?: string;
  /** Default `'explicit'`; `true` means `'explicit'`. With `'auto'` the default port is 21. */
  secure?: SecureMode | true;
  /** With `secure: 'auto'`: how long to wait for a plain greeting before starting TLS. Default 1500 ms. */
  autoDetectMs?: number;
  /** TLS settings for the control and every data connection (CA, pins, client certificate, versions). */
  tls?: FtpsTlsOptions;
  /** Per-phase timeouts (connect, reply, data, operation); defaults in {@link TimeoutOptions}. */
  timeouts?: TimeoutOptions;
  /**
   * Connect data connections to the address a 227 reply names instead of the control host.
   * Default `false`: servers behind NAT often name an unreachable address, and trusting it lets a
   * server point the client at any host.
   */
  trustPasvAddress?: boolean;
  /** Encoding of paths and listings on the wire. Default `'utf8'`. */
  encoding?: 'utf8' | 'latin1';
  /** Cap on the bytes of one server reply. Default 64 KiB. */
  maxReplyBytes?: number;
  /**
   * A parser for LIST lines the built-in Unix and DOS parsers do not read (VMS, z/OS, …); see
   * docs/listings.md. Tried first on every LIST line; MLSD listings never use it.
   */
  parseList?: ListLineParser;
  /**
   * Cap on the entries one `list()` collects (trees and `removeDir` list through it too). Beyond it
   * the call rejects with ListingTooLargeError; `listIter` has no cap (it holds one chunk's
   * entries). Default 100 000.
   */
  maxListEntries?: number;
  /**
   * Opens every connection (control and data): `(request) => socket`, see `ConnectRequest`. For
   * tunnels, custom proxies, tests. Data connections then go to `host` as given here (or to the
   * address in 227 with `trustPasvAddress`), never to the address the socket happens to report.
   */
  connect?: SocketConnect;
  /** Local address to connect from (passed to the connector, the default one binds to it). */
  localAddress?: string;
  /** 4 or 6: the IP family the default connector resolves `host` to. */
  family?: 4 | 6;
  /**
   * `'socks5://[user:pass@]host:port'` or `'http://[user:pass@]host:port'` (HTTP CONNECT): the
   * control and every data connection go through the proxy, to `host` as given (the proxy resolves
   * names). The proxy itself is reached through `connect` when that is set too.
   */
  proxy?: string | URL;
  /**
   * `'private'` (default: PROT P, every data connection TLS) or `'clear'` (PROT C: data connections
   * in clear text, the control connection and the password still under TLS). Only for trusted
   * networks that must inspect the data; see docs/networks.md.
   */
  dataProtection?: 'private' | 'clear';
  /**
   * The AUTH mechanism of explicit mode: `'TLS'` (default), `'SSL'` (the deprecated AUTH SSL of old
   * servers) or `'TLS-then-SSL'` (AUTH SSL after a refused AUTH TLS). Never a clear-text fallback.
   */
  auth?: 'TLS' | 'SSL' | 'TLS-then-SSL';
  /**
   * Idle keepalive: after this many ms without a call, the client sends `NOOP` (and again after
   * each further interval while idle), so NAT and firewall idle timeouts (often 60–300 s) do not
   * cut the connection, and a dead one is found while idle. TCP keepalive probes are on for the
   * control connection as well, starting after the same idle time (at most 30 s). Default
   * 30 000 ms; `false` sends no NOOP (TCP keepalive stays on, after 30 s).
   */
  keepAlive?: number | false;
  /**
   * Default `false`. `true`: when the connection was lost between calls (server closed it, reset,
   * keepalive or reply timeout), the next call logs in again and restores the working directory
   * before it runs. A call that fails midway is never repeated. See docs/errors.md.
   */
  reconnect?: boolean;
  /**
   * `'passive'` (default: EPSV/PASV, the client connects) or `'active'` (EPRT/PORT: the server
   * connects to a port the client listens on, on the control connection's local address; only a
   * connection from the server's address is accepted). Not with `proxy`.
   */
  dataConnection?: 'passive' | 'active';
  /** Active mode: the ports to listen on, `[min, max]` (firewall rules). Default: any free port. */
  activePortRange?: readonly [number, number];
  /** Active mode: the address to announce in EPRT/PORT instead of the local one (behind NAT). */
  activeAddress?: string;
  /**
   * Default `false`. `true`: after login (explicit mode only) send `CCC` and go on with the control
   * connection in clear text, so a NAT firewall can read and rewrite PORT/PASV replies. The password
   * and the set-up stay under TLS, data connections stay TLS; the commands after it (paths, file
   * names) are visible and can be tampered with on the way. See docs/networks.md.
   */
  ccc?: boolean;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  account: string | undefined;
  secure: SecureMode;
  autoDetectMs: number;
  tls: FtpsTlsOptions;
  timeouts: Required<TimeoutOptions>;
  trustPasvAddress: boolean;
  encoding: 'utf8' | 'latin1';
  maxReplyBytes: number;
  parseList: ListLineParser | undefined;
  maxListEntries: number;
  /** Opens every connection: the caller's `connect`, wrapped by the proxy if any, else direct TCP. */
  connector: SocketConnect;
  /** True with `connect` or `proxy`: a socket's remote address is not the server's, use `host`. */
  tunneled: boolean;
  proxy: ProxySpec | undefined;
  localAddress: string | undefined;
  family: 4 | 6 | undefined;
  dataProtection: 'private' | 'clear';
  auth: 'TLS' | 'SSL' | 'TLS-then-SSL';
  /** NOOP interval on an idle connection; undefined: no NOOPs. */
  keepAliveMs: number | undefined;
  /** Idle time before TCP keepalive probes start. */
  tcpKeepAliveMs: number;
  reconnect: boolean;
  dataConnection: 'passive' | 'active';
  activePortRange: readonly [number, number] | undefined;
  activeAddress: string | undefined;
  ccc: boolean;
}

/** The longest delay Node's timers support (about 24.8 days); longer ones overflow and fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const DEFAULT_TIMEOUTS: Readonly<Required<TimeoutOptions>> = {
  connect: 15_000,
  reply: 30_000,
  data: 30_000,
  operation: MAX_TIMER_MS,
};

/** Default NOOP interval on an idle connection: below the shortest common NAT idle timeout (60 s). */
export const DEFAULT_KEEPALIVE_MS = 30_000;

/** Default cap on the entries of one `list()` (≈ 40 MB of FileInfo objects at most). */
export const DEFAULT_MAX_LIST_ENTRIES = 100_000;

const SECURE_VERSIONS: readonly string[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * Parses `ftps://` (implicit), `ftpes://` (explicit) and `ftp://` (plain) URLs; user, password and port come from the
 * URL.
 */
export function optionsFromUrl(url: string | URL): FtpsClientOptions {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch (err) {
    throw new TypeError(`Invalid FTP URL: ${String(url)}`, { cause: err });
  }
  const modes: Record<string, SecureMode> = { 'ftps:': 'implicit', 'ftpes:': 'explicit', 'ftp:': false };
  const secure = modes[parsed.protocol];
  if (secure === undefined) {
    throw new TypeError(
      `Unsupported URL scheme "${parsed.protocol}": use ftps:// (implicit), ftpes:// (explicit) or ftp:// (plain)`,
    );
  }
  // URL keeps brackets around IPv6 hosts; sockets want them off.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: FtpsClientOptions = { host, secure };
  if (parsed.port !== '') options.port = Number(parsed.port);
  if (parsed.username !== '') options.user = decodeURIComponent(parsed.username);
  if (parsed.password !== '') options.password = decodeURIComponent(parsed.password);
  return options;
}

/** A timeout in ms: 1 to 2^31-1, or `Infinity` for none (kept as MAX_TIMER_MS, so sums and minimums stay finite). */
function checkTimeout(name: string, value: unknown, prefix = 'timeouts.'): number | undefined {
  if (value === undefined) return undefined;
  if (value === Number.POSITIVE_INFINITY) return MAX_TIMER_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new RangeError(
      `Option "${prefix}${name}" must be a number of milliseconds from 1 to ${MAX_TIMER_MS}, or Infinity for no timeout; got ${String(value)}`,
    );
  }
  return value;
}

/** `timeout` of one call: as a timeouts.* value; undefined when not given. */
export function checkCallTimeout(value: unknown): number | undefined {
  return checkTimeout('timeout', value, '');
}

function checkKeepAlive(value: unknown): number | undefined {
  if (value === undefined) return DEFAULT_KEEPALIVE_MS;
  if (value === false) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMER_MS) {
    throw new RangeError(
      `Option "keepAlive" must be an integer number of milliseconds from 1 to ${MAX_TIMER_MS}, or false; got ${String(value)}`,
    );
  }
  return value;
}

function checkString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`Option "${name}" must be a string`);
  if (/[\r\n\0]/.test(value)) throw new TypeError(`Option "${name}" must not contain CR, LF or NUL`);
  return value;
}

function checkPins(pin: unknown): void {
  if (pin === undefined) return;
  const pins: unknown[] = typeof pin === 'string' ? [pin] : Array.isArray(pin) ? pin : [pin];
  for (const p of pins) {
    if (typeof p !== 'string' || !PIN_PATTERN.test(p)) {
      throw new TypeError(
        `Option "tls.pin" must hold pins like 'sha256/' + 44 base64 characters (curl --pinnedpubkey format), got ${String(p)}`,
      );
    }
  }
}

/** Bad certificates, keys or CA data fail here, naming the option, rather than at the handshake. */
function checkTlsMaterial(settings: FtpsTlsOptions): void {
  const { servername: _s, rejectUnauthorized: _r, checkServerIdentity: _c, pin: _p, ...contextOptions } = settings;
  try {
    createSecureContext(contextOptions);
  } catch (err) {
    throw new TypeError(`Option "tls" is not usable: ${(err as Error).message}`, { cause: err });
  }
}

export function resolveOptions(input: FtpsClientOptions): ResolvedOptions {
  if (input === null || typeof input !== 'object') throw new TypeError('Options must be an object');
  if (typeof input.host !== 'string' || input.host.trim() === '')
    throw new TypeError('Option "host" must be a non-empty string');
  const secureIn = input.secure ?? 'explicit';
  if (
    secureIn !== true &&
    secureIn !== false &&
    secureIn !== 'explicit' &&
    secureIn !== 'implicit' &&
    secureIn !== 'auto'
  ) {
    throw new TypeError(
      `Option "secure" must be 'explicit', 'implicit', 'auto', true or false, got ${String(secureIn)}`,
    );
  }
  const autoDetectMs = input.autoDetectMs ?? 1500;
  if (typeof autoDetectMs !== 'number' || !Number.isFinite(autoDetectMs) || autoDetectMs <= 0) {
    throw new RangeError(
      `Option "autoDetectMs" must be a positive number of milliseconds, got ${String(input.autoDetectMs)}`,
    );
  }
  const secure: SecureMode = secureIn === true ? 'explicit' : secureIn;
  const port = input.port ?? (secure === 'implicit' ? 990 : 21);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new RangeError(`Option "port" must be an integer 1-65535, got ${String(input.port)}`);
  const encoding = input.encoding ?? 'utf8';
  if (encoding !== 'utf8' && encoding !== 'latin1') throw new TypeError(`Option "encoding" must be 'utf8' or 'latin1'`);
  const maxReplyBytes = input.maxReplyBytes ?? 64 * 1024;
  if (!Number.isInteger(maxReplyBytes) || maxReplyBytes < 512)
    throw new RangeError('Option "maxReplyBytes" must be an integer >= 512');
  if (input.parseList !== undefined && typeof input.parseList !== 'function')
    throw new TypeError('Option "parseList" must be a function');
  const maxListEntries = input.maxListEntries ?? DEFAULT_MAX_LIST_ENTRIES;
  if (!Number.isSafeInteger(maxListEntries) || maxListEntries < 1)
    throw new RangeError('Option "maxListEntries" must be an integer >= 1');
  const tls = { ...(input.tls ?? {}) };
  for (const key of ['minVersion', 'maxVersion'] as const) {
    const v = tls[key];
    if (v !== undefined && !SECURE_VERSIONS.includes(v))
      throw new TypeError(`Option "tls.${key}" must be one of ${SECURE_VERSIONS.join(', ')}`);
  }
  tls.minVersion ??= 'TLSv1.2';
  if (
    tls.maxVersion !== undefined &&
    SECURE_VERSIONS.indexOf(tls.maxVersion) < SECURE_VERSIONS.indexOf(tls.minVersion)
  ) {
    throw new RangeError(`Option "tls.maxVersion" (${tls.maxVersion}) is below "tls.minVersion" (${tls.minVersion})`);
  }
  checkPins(tls.pin);
  checkTlsMaterial(tls);
  const t = input.timeouts ?? {};
  if (input.connect !== undefined && typeof input.connect !== 'function')
    throw new TypeError('Option "connect" must be a function');
  if (input.family !== undefined && input.family !== 4 && input.family !== 6)
    throw new TypeError('Option "family" must be 4 or 6');
  const localAddress = checkString('localAddress', input.localAddress);
  if (localAddress !== undefined && isIP(localAddress) === 0)
    throw new TypeError(`Option "localAddress" must be an IP address, got ${localAddress}`);
  const dataProtection = input.dataProtection ?? 'private';
  if (dataProtection !== 'private' && dataProtection !== 'clear')
    throw new TypeError(`Option "dataProtection" must be 'private' or 'clear'`);
  const auth = input.auth ?? 'TLS';
  if (auth !== 'TLS' && auth !== 'SSL' && auth !== 'TLS-then-SSL')
    throw new TypeError(`Option "auth" must be 'TLS', 'SSL' or 'TLS-then-SSL'`);
  const dataConnection = input.dataConnection ?? 'passive';
  if (dataConnection !== 'passive' && dataConnection !== 'active')
    throw new TypeError(`Option "dataConnection" must be 'passive' or 'active'`);
  const range = input.activePortRange;
  if (range !== undefined) {
    const valid =
      Array.isArray(range) &&
      range.length === 2 &&
      range.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535) &&
      range[0] <= range[1];
    if (!valid) throw new RangeError('Option "activePortRange" must be [min, max], integers 1-65535 with min <= max');
  }
  const activeAddress = checkString('activeAddress', input.activeAddress);
  if (activeAddress !== undefined && isIP(activeAddress) === 0)
    throw new TypeError(`Option "activeAddress" must be an IP address, got ${activeAddress}`);
  if (dataConnection === 'active' && input.proxy !== undefined)
    throw new TypeError(
      'Option "dataConnection: \'active\'" cannot work through a proxy (the server would have to connect to the client)',
    );
  const ccc = input.ccc ?? false;
  if (typeof ccc !== 'boolean') throw new TypeError('Option "ccc" must be a boolean');
  if (ccc && secure !== 'explicit')
    throw new TypeError('Option "ccc" needs secure: \'explicit\' (CCC ends the TLS of an AUTH TLS control connection)');
  const proxy = input.proxy === undefined ? undefined : parseProxyUrl(input.proxy);
  const base = input.connect ?? directConnect;
  const keepAlive = checkKeepAlive(input.keepAlive);
  if (input.reconnect !== undefined && typeof input.reconnect !== 'boolean')
    throw new TypeError('Option "reconnect" must be a boolean');
  const reconnect = input.reconnect ?? false;
  return {
    connector: proxy === undefined ? base : proxyConnector(proxy, base),
    tunneled: input.connect !== undefined || proxy !== undefined,
    dataProtection,
    auth,
    dataConnection,
    activePortRange: range === undefined ? undefined : [range[0], range[1]],
    activeAddress,
    ccc,
    proxy,
    localAddress,
    family: input.family,
    host: input.host,
    port,
    user: checkString('user', input.user) ?? 'anonymous',
    password: checkString('password', input.password) ?? 'anonymous@',
    account: checkString('account', input.account),
    secure,
    autoDetectMs,
    tls,
    timeouts: {
      connect: checkTimeout('connect', t.connect) ?? DEFAULT_TIMEOUTS.connect,
      reply: checkTimeout('reply', t.reply) ?? DEFAULT_TIMEOUTS.reply,
      data: checkTimeout('data', t.data) ?? DEFAULT_TIMEOUTS.data,
      operation: checkTimeout('operation', t.operation) ?? DEFAULT_TIMEOUTS.operation,
    },
    trustPasvAddress: input.trustPasvAddress ?? false,
    encoding,
    maxReplyBytes,
    parseList: input.parseList,
    maxListEntries,
    keepAliveMs: keepAlive,
    tcpKeepAliveMs: Math.min(keepAlive ?? DEFAULT_KEEPALIVE_MS, DEFAULT_KEEPALIVE_MS),
    reconnect,
  };
}
