// Outcome of a run over several files: exit 0, the failure's class for a single failure, 8 when
// some files of several failed.
import { EXIT, exitCodeOf, UsageError, type ExitCode } from '../exit.js';

export interface CommandResult {
  code: ExitCode;
  /** The --json document. */
  result: Record<string, unknown>;
}

export class Tally {
  ok = 0;
  readonly failures: unknown[] = [];

  /** `interrupted`: Ctrl-C came; whatever failed after it failed because of it. */
  exitCode(connected: boolean, interrupted = false): ExitCode {
    const [first] = this.failures;
    if (first === undefined) return EXIT.ok;
    if (interrupted || this.failures.some((e) => exitCodeOf(e, connected) === EXIT.interrupted))
      return EXIT.interrupted;
    if (this.ok > 0) return EXIT.partial;
    return exitCodeOf(first, connected);
  }
}

export function usage(condition: boolean, message: string): void {
  if (condition) throw new UsageError(message);
}
