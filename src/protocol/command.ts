import { InvalidArgumentError } from '../errors.js';
import type { TextEncoding } from './lines.js';

const VERB = /^[A-Za-z]{3,4}$/;
const LINE_BREAKING = /[\r\n\0]/;
// With the u flag only unpaired surrogates match: they cannot be encoded and would reach the server as U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Builds a command line "VERB arg" (no terminator); the verb is upper-cased, the argument kept
 * byte for byte (names may have leading or trailing spaces). An empty argument means none.
 * Throws InvalidArgumentError for a verb that is not 3–4 letters, or an argument with CR, LF, NUL
 * or an unpaired surrogate: a CR/LF would let the argument inject a second command.
 */
export function formatCommand(verb: string, arg?: string): string {
  if (!VERB.test(verb)) {
    throw new InvalidArgumentError(`FTP command verb must be 3–4 letters, got ${JSON.stringify(verb)}`);
  }
  const upper = verb.toUpperCase();
  if (arg === undefined || arg === '') return upper;
  // Callers check their arguments with checkPath; a non-string here would be sent as "null" or "42".
  if (typeof arg !== 'string')
    throw new InvalidArgumentError(`Argument of ${upper} must be a string, got ${typeof arg}`);
  checkText(arg, `Argument of ${upper}`);
  return `${upper} ${arg}`;
}

/**
 * The one check of a path argument of a public method, run before anything is queued or sent: a
 * non-empty string without CR, LF, NUL or an unpaired surrogate. `name` names the argument in the
 * message (e.g. `remotePath`); with `optional`, `undefined` passes (list() without a path).
 * Throws InvalidArgumentError: `remove(null)` must not become `DELE null`, nor `remove('')` a bare `DELE`.
 */
export function checkPath(
  value: unknown,
  name = 'path',
  { optional = false }: { optional?: boolean } = {},
): asserts value is string {
  if (optional && value === undefined) return;
  if (typeof value !== 'string') {
    const got = value === null ? 'null' : typeof value;
    throw new InvalidArgumentError(
      `Argument "${name}" must be ${optional ? 'a path string or undefined' : 'a path string'}, got ${got}`,
    );
  }
  if (value === '') throw new InvalidArgumentError(`Argument "${name}" must not be an empty path`);
  checkText(value, `Argument "${name}"`);
}

/** For raw `send(line)`: the full line as given; throws InvalidArgumentError on CR/LF/NUL or an empty line. */
export function formatRawCommand(line: string): string {
  if (line.trim() === '') throw new InvalidArgumentError('Command line is empty');
  checkText(line, 'Command line');
  return line;
}

/**
 * Bytes to put on the wire: line + CRLF. Re-checks for CR/LF/NUL, and in latin1 rejects characters
 * above U+00FF, which Buffer would otherwise truncate silently into a different name.
 */
export function encodeCommand(line: string, encoding: TextEncoding = 'utf8'): Buffer {
  checkText(line, 'Command line');
  if (encoding === 'latin1' && /[^\0-\xff]/.test(line)) {
    throw new InvalidArgumentError('Command line has characters that latin1 cannot encode');
  }
  return Buffer.from(`${line}\r\n`, encoding);
}

/** For logs and errors: "PASS <redacted>" (also ACCT, any case); lives in errors.ts, the one place errors are built. */
export { redactCommand } from '../errors.js';

function checkText(text: string, what: string): void {
  if (LINE_BREAKING.test(text)) throw new InvalidArgumentError(`${what} contains CR, LF or NUL`);
  if (LONE_SURROGATE.test(text)) throw new InvalidArgumentError(`${what} contains an unpaired surrogate`);
}
