// Exit codes, one per failure class (docs/cli.md), and the mapping from the library's typed errors.
import {
  ClientClosedError,
  ConnectionError,
  ConnectTimeoutError,
  FtpReplyError,
  FtpsError,
  TlsError,
  VerifyError,
} from '../index.js';

export const EXIT = {
  ok: 0,
  /** Anything not classified below (a bug, an unexpected local error). */
  internal: 1,
  usage: 2,
  connect: 3,
  tls: 4,
  login: 5,
  refused: 6,
  transfer: 7,
  partial: 8,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake on the command line, or a local setting that cannot be used (netrc permissions). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Ctrl-C (SIGINT) or SIGTERM. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(signal: string) {
    super(`Interrupted (${signal})`);
  }
}

const LOGIN_COMMANDS = new Set(['login', 'USER', 'PASS', 'ACCT']);

/**
 * The class of a failure. `connected` tells a connection lost mid-operation (a failed transfer)
 * from one that never opened.
 */
export function exitCodeOf(err: unknown, connected: boolean): ExitCode {
  if (err instanceof UsageError || err instanceof TypeError || err instanceof RangeError) return EXIT.usage;
  if (err instanceof InterruptedError || (err instanceof Error && err.name === 'AbortError')) return EXIT.interrupted;
  if (err instanceof TlsError) return EXIT.tls;
  if (err instanceof FtpReplyError) {
    if (err.command !== undefined && LOGIN_COMMANDS.has(err.command)) return EXIT.login;
    if (err.command === 'greeting') return EXIT.connect;
    return EXIT.refused;
  }
  if (err instanceof ConnectionError || err instanceof ConnectTimeoutError)
    return connected ? EXIT.transfer : EXIT.connect;
  if (err instanceof ClientClosedError) return connected ? EXIT.transfer : EXIT.connect;
  if (err instanceof VerifyError) return EXIT.transfer;
  if (err instanceof FtpsError) return connected ? EXIT.transfer : EXIT.connect;
  // Local file system errors while copying.
  if (err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string') return EXIT.transfer;
  return EXIT.internal;
}

/** A one-line message for stderr; never contains a password (the library redacts PASS). */
export function describeError(err: unknown): string {
  const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();
  if (err instanceof FtpsError) return `${oneLine(err.message)} [${err.code}]`;
  if (err instanceof Error) return oneLine(err.message);
  return oneLine(String(err));
}
