// Error classes with stable codes. A leaf module: imports nothing from the project.

/** The last constructor argument of every error class. */
export interface FtpsErrorOptions {
  /** The underlying error or reply, kept as the error's `cause`. */
  cause?: unknown;
}

/**
 * Brand carried by every error instance: the names of its classes up to FtpsError. Registered with
 * Symbol.for so that two installed copies of ftps-client (or a bundled and an installed one) recognise
 * each other's errors with `instanceof`, the way undici does.
 */
const BRANDS = Symbol.for('ftps-client.error.brands');

/** Base class of every error this library throws on purpose. `code` is stable across versions: match on it. */
export class FtpsError extends Error {
  /** Stable error code, `ERR_FTPS_*` (docs/errors.md lists them): the contract to match on. */
  readonly code: string;

  /** True for instances of this class from any copy of ftps-client (brand check, see BRANDS). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const brands = typeof value === 'object' && value !== null ? (value as { [BRANDS]?: unknown })[BRANDS] : undefined;
    return Array.isArray(brands) && brands.includes(this.name);
  }

  constructor(code: string, message: string, options?: FtpsErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    const brands: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c))
      brands.push(c.name);
    Object.defineProperty(this, BRANDS, { value: Object.freeze(brands) });
  }
}

const REDACTED_VERB = /^(\s*)(PASS|ACCT)(?=\s|$)/i;

/** "PASS <redacted>" (also ACCT, any case); every other command line unchanged. */
export function redactCommand(line: string): string {
  const m = REDACTED_VERB.exec(line);
  return m === null ? line : `${m[1] ?? ''}${m[2] ?? ''} <redacted>`;
}

/**
 * The server answered a command with a 4xx/5xx (or otherwise unexpected) reply.
 *
 * Code `ERR_FTPS_REPLY`.
 */
export class FtpReplyError extends FtpsError {
  /** Reply code, e.g. 550. */
  readonly replyCode: number;
  /** Full reply text (all lines joined with \n). */
  readonly replyText: string;
  /** The command that got this reply, with a PASS argument redacted. */
  readonly command: string | undefined;
  /** True for 4xx replies: trying again later may work. */
  readonly transient: boolean;

  constructor(replyCode: number, replyText: string, command?: string, options?: FtpsErrorOptions) {
    if (command !== undefined) command = redactCommand(command); // never a password in an error
    const cmd = command === undefined ? '' : ` to "${command}"`;
    super('ERR_FTPS_REPLY', `Server replied ${replyCode}${cmd}: ${replyText}`, options);
    this.replyCode = replyCode;
    this.replyText = replyText;
    this.command = command;
    this.transient = replyCode >= 400 && replyCode < 500;
  }
}

/**
 * The server broke the protocol: malformed reply, oversized reply, bad PASV/EPSV answer.
 *
 * Code `ERR_FTPS_PROTOCOL`.
 */
export class ProtocolError extends FtpsError {
  constructor(message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_PROTOCOL', message, options);
  }
}

/**
 * TLS could not be established or verified, or the server refused AUTH TLS / PROT P.
 *
 * Code `ERR_FTPS_TLS`.
 */
export class TlsError extends FtpsError {
  constructor(message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_TLS', message, options);
  }
}

/**
 * The server's public key is not one of `tls.pin`. `expected` are the configured pins, `actual` the
 * pin of the certificate the server presented ('sha256/BASE64', or 'none').
 *
 * Code `ERR_FTPS_TLS_PIN`.
 */
export class TlsPinError extends TlsError {
  /** `'ERR_FTPS_TLS_PIN'`. */
  override readonly code: string = 'ERR_FTPS_TLS_PIN';
  /** The configured `tls.pin` values. */
  readonly expected: readonly string[];
  /** The presented certificate's pin, `'sha256/BASE64'` (or `'none'` without a certificate). */
  readonly actual: string;

  constructor(what: string, expected: readonly string[], actual: string, options?: FtpsErrorOptions) {
    super(
      `Certificate of ${what} does not match tls.pin: the server's key is ${actual}, expected ${expected.join(' or ')}`,
      options,
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * The network connection failed or was closed unexpectedly.
 *
 * Code `ERR_FTPS_CONNECTION`.
 */
export class ConnectionError extends FtpsError {
  constructor(message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_CONNECTION', message, options);
  }
}

/**
 * A proxy (`proxy` option) would not open the tunnel: `kind` is `'refused'` (it could not or would
 * not connect to the target: ruleset, unreachable host, HTTP 403/502…), `'auth'` (it wants
 * credentials, or refused the ones given) or `'protocol'` (its answer made no sense, or it closed).
 *
 * Code `ERR_FTPS_PROXY`.
 */
export class ProxyError extends ConnectionError {
  /** `'ERR_FTPS_PROXY'`. */
  override readonly code: string = 'ERR_FTPS_PROXY';
  /** Why the tunnel failed: `'refused'`, `'auth'` or `'protocol'` (see the class). */
  readonly kind: 'refused' | 'auth' | 'protocol';

  constructor(kind: 'refused' | 'auth' | 'protocol', message: string, options?: FtpsErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}

/**
 * Opening a session (TCP, TLS, greeting, login…) or setting up a data connection took longer than `timeouts.connect`.
 *
 * Code `ERR_FTPS_CONNECT_TIMEOUT`.
 */
export class ConnectTimeoutError extends FtpsError {
  constructor(message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_CONNECT_TIMEOUT', message, options);
  }
}

/**
 * No (complete) reply arrived within `timeouts.reply`. The connection is closed.
 *
 * Code `ERR_FTPS_REPLY_TIMEOUT`.
 */
export class ReplyTimeoutError extends FtpsError {
  constructor(message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_REPLY_TIMEOUT', message, options);
  }
}

/**
 * The data connection was idle longer than `timeouts.data`.
 *
 * Code `ERR_FTPS_DATA_TIMEOUT`.
 */
export class DataTimeoutError extends FtpsError {
  constructor(message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_DATA_TIMEOUT', message, options);
  }
}

/**
 * A call ran past its overall deadline (`timeouts.operation`, or the call's `timeout` option) and was aborted.
 *
 * Code `ERR_FTPS_OPERATION_TIMEOUT`.
 */
export class OperationTimeoutError extends FtpsError {
  constructor(message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_OPERATION_TIMEOUT', message, options);
  }
}

/**
 * A download's data stream ended before it was proven complete: the TLS connection closed without
 * close_notify (a plain FIN or a cut mid-record, the RFC 4217 §10 truncation attack), or fewer
 * bytes arrived than the 150 reply announced. The bytes received are not to be trusted as the
 * whole file or listing, even though the server may have replied 226.
 *
 * Code `ERR_FTPS_TRUNCATED`.
 */
export class TruncatedTransferError extends FtpsError {
  constructor(message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_TRUNCATED', message, options);
  }
}

/**
 * The client was closed (by `close()` or after a fatal error) before or during the operation.
 *
 * Code `ERR_FTPS_CLIENT_CLOSED`.
 */
export class ClientClosedError extends FtpsError {
  constructor(message = 'Client is closed', options?: FtpsErrorOptions) {
    super('ERR_FTPS_CLIENT_CLOSED', message, options);
  }
}

/**
 * A caller-supplied argument cannot be sent safely (CR, LF or NUL in a command argument, bad path).
 *
 * Code `ERR_FTPS_INVALID_ARGUMENT`.
 */
export class InvalidArgumentError extends FtpsError {
  constructor(message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_INVALID_ARGUMENT', message, options);
  }
}

/**
 * A transfer finished but its verification failed: the sizes or the hashes differ. `expected` is
 * what the client computed from the bytes it sent or received, `actual` what the server reported.
 *
 * Code `ERR_FTPS_VERIFY`.
 */
export class VerifyError extends FtpsError {
  /** `'size'`, or the hash algorithm (e.g. `'SHA-256'`). */
  readonly algorithm: string;
  /** Computed locally from the bytes moved (a byte count for `'size'`, lower-case hex for a hash). */
  readonly expected: string | number;
  /** Reported by the server (SIZE, HASH, XSHA256, …). */
  readonly actual: string | number;
  /** The remote path that was verified. */
  readonly path: string;

  constructor(
    path: string,
    algorithm: string,
    expected: string | number,
    actual: string | number,
    options?: FtpsErrorOptions,
  ) {
    super(
      'ERR_FTPS_VERIFY',
      `Verification of "${path}" failed: ${algorithm} is ${String(actual)} on the server, expected ${String(expected)}`,
      options,
    );
    this.path = path;
    this.algorithm = algorithm;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A name from a remote listing (or a local path) would take a tree transfer outside its target
 * folder: `..`, `.`, a `/`, `\` or NUL in a name, a drive letter, or a symlink on the way. Nothing
 * was written for that entry.
 *
 * Code `ERR_FTPS_UNSAFE_PATH`.
 */
export class UnsafePathError extends FtpsError {
  /** The offending name or relative path, as listed. */
  readonly path: string;

  constructor(path: string, message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_UNSAFE_PATH', message, options);
    this.path = path;
  }
}

/**
 * A listing or a tree scan grew past a cap (`maxListEntries` for one `list()`, the tree option
 * `maxEntries` for a whole remote scan). Nothing was acted on: no entry of that listing was
 * returned, no file of that run was copied or deleted. For folders this large use `listIter`,
 * which keeps only one received chunk's entries in memory, or raise the cap.
 *
 * Code `ERR_FTPS_LISTING_TOO_LARGE`.
 */
export class ListingTooLargeError extends FtpsError {
  /** The folder (or tree root) being listed. */
  readonly path: string;
  /** The cap that was exceeded. */
  readonly limit: number;

  constructor(path: string, limit: number, message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_LISTING_TOO_LARGE', message, options);
    this.path = path;
    this.limit = limit;
  }
}

/**
 * A recursive remote operation (`removeDir` with `recursive`) went deeper than its depth cap, or
 * found a folder inside itself (the same MLSD `unique` fact as one of its parents). Nothing below
 * that point was touched.
 *
 * Code `ERR_FTPS_TREE_TOO_DEEP`.
 */
export class TreeTooDeepError extends FtpsError {
  /** The folder where the walk stopped. */
  readonly path: string;

  constructor(path: string, message: string, options?: FtpsErrorOptions) {
    super('ERR_FTPS_TREE_TOO_DEEP', message, options);
    this.path = path;
  }
}
