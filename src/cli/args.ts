// Command-line parsing (node:util parseArgs) and the help text.
import { parseArgs } from 'node:util';
import { UsageError } from './exit.js';

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  recursive: { type: 'boolean', short: 'r' },
  long: { type: 'boolean', short: 'l' },
  parents: { type: 'boolean', short: 'p' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  parallel: { type: 'string' },
  atomic: { type: 'boolean' },
  resume: { type: 'boolean' },
  verify: { type: 'boolean' },
  retries: { type: 'string' },
  ca: { type: 'string' },
  pin: { type: 'string', multiple: true },
  'tls-min': { type: 'string' },
  insecure: { type: 'boolean', short: 'k' },
  timeout: { type: 'string' },
  plain: { type: 'boolean' },
  'password-stdin': { type: 'boolean' },
  'netrc-file': { type: 'string' },
  reverse: { type: 'boolean', short: 'R' },
  delete: { type: 'boolean' },
  'dry-run': { type: 'boolean', short: 'n' },
} as const;

export interface Flags {
  recursive: boolean;
  long: boolean;
  parents: boolean;
  json: boolean;
  progress: boolean;
  quiet: boolean;
  verbose: boolean;
  parallel: number;
  atomic: boolean;
  resume: boolean;
  verify: boolean;
  retries: number | undefined;
  ca: string | undefined;
  pin: string[];
  tlsMin: 'TLSv1.2' | 'TLSv1.3' | undefined;
  insecure: boolean;
  /** Seconds. */
  timeout: number | undefined;
  plain: boolean;
  passwordStdin: boolean;
  netrcFile: string | undefined;
  reverse: boolean;
  delete: boolean;
  dryRun: boolean;
}

export type Command = 'put' | 'get' | 'ls' | 'rm' | 'mkdir' | 'mv' | 'mirror' | 'probe';
export const COMMANDS: readonly Command[] = ['put', 'get', 'ls', 'rm', 'mkdir', 'mv', 'mirror', 'probe'];

export type Parsed =
  | { kind: 'help'; command: Command | undefined }
  | { kind: 'version' }
  | { kind: 'run'; command: Command; args: string[]; flags: Flags };

function integer(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

function tlsMin(value: string | undefined): Flags['tlsMin'] {
  if (value === undefined) return undefined;
  const v = value.replace(/^TLSv?/i, '');
  if (v === '1.2') return 'TLSv1.2';
  if (v === '1.3') return 'TLSv1.3';
  throw new UsageError(`--tls-min must be 1.2 or 1.3, got "${value}" (older versions: see docs/probe.md)`);
}

const PIN = /^sha256\/[A-Za-z0-9+/]{43}=$/;

export function parseCommandLine(argv: string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  const [name, ...args] = positionals;
  const command = COMMANDS.find((c) => c === name);
  if (v.version === true) return { kind: 'version' };
  if (v.help === true || name === undefined || name === 'help')
    return { kind: 'help', command: command ?? COMMANDS.find((c) => c === args[0]) };
  if (command === undefined) throw new UsageError(`Unknown command "${name}" (one of ${COMMANDS.join(', ')})`);
  for (const pin of v.pin ?? []) {
    if (!PIN.test(pin))
      throw new UsageError(
        `--pin must look like sha256/BASE64 (44 characters of base64; \`ftps probe\` prints it), got "${pin}"`,
      );
  }
  const timeout = v.timeout === undefined ? undefined : Number(v.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0))
    throw new UsageError(`--timeout must be a positive number of seconds, got "${v.timeout}"`);
  if (v.progress === true && v.json !== true)
    throw new UsageError('--progress goes with --json (NDJSON events); on a terminal the bars show by themselves');
  return {
    kind: 'run',
    command,
    args,
    flags: {
      recursive: v.recursive ?? false,
      long: v.long ?? false,
      parents: v.parents ?? false,
      json: v.json ?? false,
      progress: v.progress ?? false,
      quiet: v.quiet ?? false,
      verbose: v.verbose ?? false,
      parallel: integer('parallel', v.parallel, 1, 64) ?? 4,
      atomic: v.atomic ?? false,
      resume: v.resume ?? false,
      verify: v.verify ?? false,
      retries: integer('retries', v.retries, 0, 100),
      ca: v.ca,
      pin: v.pin ?? [],
      tlsMin: tlsMin(v['tls-min']),
      insecure: v.insecure ?? false,
      timeout,
      plain: v.plain ?? false,
      passwordStdin: v['password-stdin'] ?? false,
      netrcFile: v['netrc-file'],
      reverse: v.reverse ?? false,
      delete: v.delete ?? false,
      dryRun: v['dry-run'] ?? false,
    },
  };
}

export const USAGE = `Usage: ftps <command> [options] ...

Commands:
  put LOCAL... URL[/]        upload files (-r: folders)
  get URL... LOCAL           download files (-r: folders)
  ls URL                     list a folder (-l long form, --json)
  rm URL...                  delete files (-r: folders with their content)
  mkdir [-p] URL             create a folder (-p: with its parents, fine if it exists)
  mv URL NEWPATH             rename or move on the server (NEWPATH: a path or a URL on the same server)
  mirror LOCAL URL           make the remote folder like the local one (--reverse: the other way)
                             --delete removes what the source lacks, --dry-run only shows the plan
  probe HOST[:PORT]          what a port speaks: TLS mode, versions, certificate, features
                             (with a user in ftps://user@host or FTPS_USER: login and data checks)

URLs: ftps://host[:990]/path (implicit TLS), ftpes://host[:21]/path (explicit TLS),
      ftp://host/path (plain FTP, needs --plain). A user goes in the URL (ftpes://me@host/),
      the password never does.

Transfer options:
  --parallel N      connections at once (default 4)        --retries N   retries per file (default 2)
  --atomic          upload to a temporary name, rename when complete
  --resume          continue partial files                  --verify      compare size / hash afterwards
Connection options:
  --ca FILE         trust this CA (PEM)                      --pin sha256/BASE64  accept this public key
  --tls-min 1.2|1.3 lowest TLS version (default 1.2)         --timeout SECONDS    connect/reply/data timeouts
  --insecure, -k    accept any certificate (warns every run) --plain              allow ftp:// (no TLS)
Credentials (first match wins): user from the URL, then FTPS_USER, then netrc;
  password from --password-stdin, then FTPS_PASSWORD, then ~/.netrc (or --netrc-file FILE, mode 600).
Output:
  -v                protocol log on stderr (password redacted) -q  errors only
  --json            one JSON result on stdout                  --json --progress  NDJSON events
Exit codes: 0 ok, 2 usage, 3 connect/DNS, 4 TLS/certificate, 5 login, 6 refused by the server,
  7 transfer/verify failed, 8 some files of several failed, 130 interrupted, 1 other. See docs/cli.md.
`;
