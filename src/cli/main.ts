#!/usr/bin/env node
// The `ftps` command. Thin over the public API (../index.js); see docs/cli.md.
import { readFileSync } from 'node:fs';
import createDebug from 'debug';
import { parseCommandLine, USAGE, type Command, type Flags } from './args.js';
import { mirror } from './commands/mirror.js';
import { ls, mkdir, mv, rm } from './commands/files.js';
import { probeCommand } from './commands/probe.js';
import type { CommandResult } from './commands/tally.js';
import { get, put } from './commands/transfer.js';
import { Context } from './context.js';
import { readPasswordFromStdin } from './credentials.js';
import { describeError, EXIT, exitCodeOf, InterruptedError, type ExitCode } from './exit.js';
import { HumanReporter, JsonReporter, showCursor, type Reporter } from './output.js';

const COMMAND_FNS: Record<Command, (ctx: Context, args: string[]) => Promise<CommandResult>> = {
  put,
  get,
  ls,
  rm,
  mkdir,
  mv,
  mirror,
  probe: probeCommand,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function reporterFor(flags: Flags): Reporter {
  if (flags.json) return new JsonReporter(process.stdout, { events: flags.progress });
  return new HumanReporter(process.stdout, process.stderr, { quiet: flags.quiet });
}

/** Ctrl-C once: abort the transfers and clean up. Twice: leave at once (terminal restored). */
function trapSignals(controller: AbortController, reporter: Reporter): void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    count++;
    reporter.restore();
    if (count > 1) {
      showCursor(process.stdout);
      process.exit(EXIT.interrupted);
    }
    controller.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

async function main(argv: string[]): Promise<ExitCode> {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    process.stderr.write(`ftps: ${describeError(err)}\nRun "ftps --help" for usage.\n`);
    return EXIT.usage;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  const { command, args, flags } = parsed;
  if (flags.verbose) createDebug.enable('ftps:*'); // the library's protocol log; PASS is redacted there
  const reporter = reporterFor(flags);
  if (flags.insecure)
    reporter.warn(
      '--insecure: the server certificate is NOT verified; anyone on the path can read and change this session',
    );
  const controller = new AbortController();
  trapSignals(controller, reporter);
  let stdinPassword: Promise<string | undefined> | undefined;
  const ctx = new Context(flags, reporter, controller.signal, {
    env: process.env,
    stdinPassword: () =>
      (stdinPassword ??= flags.passwordStdin ? readPasswordFromStdin(process.stdin) : Promise.resolve(undefined)),
  });
  try {
    const { code, result } = await COMMAND_FNS[command](ctx, args);
    reporter.finish({ command, exitCode: code, ...result });
    if (code === EXIT.interrupted) process.stderr.write('ftps: interrupted\n');
    return code;
  } catch (err) {
    const code = controller.signal.aborted ? EXIT.interrupted : exitCodeOf(err, ctx.connected);
    reporter.restore();
    if (flags.json)
      reporter.finish({
        command,
        exitCode: code,
        ok: false,
        error: describeError(err),
        code: (err as { code?: unknown }).code ?? null,
      });
    process.stderr.write(`ftps: ${code === EXIT.interrupted ? 'interrupted' : describeError(err)}\n`);
    return code;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Whatever may still hold the event loop (a server that never answers QUIT), do not hang.
setTimeout(() => process.exit(code), 3000).unref();
