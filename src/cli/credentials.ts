// Where the user name and password come from, first match wins (docs/cli.md):
//   user:     the URL, FTPS_USER, the netrc entry for the host, else anonymous;
//   password: --password-stdin, FTPS_PASSWORD, the netrc entry (host and login must match).
// There is no password flag and a password in the URL is refused: both would show in `ps`.
import { homedir } from 'node:os';
import path from 'node:path';
import { UsageError } from './exit.js';
import { findNetrcEntry, readNetrc } from './netrc.js';

export interface Credentials {
  user: string;
  password: string;
  /** Where each came from, for -v and tests (never the value of the password). */
  source: { user: string; password: string };
}

export interface CredentialInputs {
  host: string;
  urlUser: string | undefined;
  /** What --password-stdin read (undefined without the flag). */
  stdinPassword: string | undefined;
  env: NodeJS.ProcessEnv;
  netrcFile: string | undefined;
}

export function resolveCredentials(input: CredentialInputs): Credentials {
  let user = input.urlUser;
  let userSource = 'url';
  if (user === undefined && input.env.FTPS_USER !== undefined && input.env.FTPS_USER !== '') {
    user = input.env.FTPS_USER;
    userSource = 'env';
  }
  let password = input.stdinPassword;
  let passwordSource = 'stdin';
  if (password === undefined && input.env.FTPS_PASSWORD !== undefined) {
    password = input.env.FTPS_PASSWORD;
    passwordSource = 'env';
  }
  if (user === undefined || password === undefined) {
    const file = input.netrcFile ?? path.join(input.env.HOME ?? homedir(), '.netrc');
    const entry = findNetrcEntry(readNetrc(file, input.netrcFile !== undefined), input.host, user);
    if (entry !== undefined) {
      if (user === undefined && entry.login !== undefined) {
        user = entry.login;
        userSource = 'netrc';
      }
      if (
        password === undefined &&
        entry.password !== undefined &&
        (entry.login === undefined || entry.login === user)
      ) {
        password = entry.password;
        passwordSource = 'netrc';
      }
    }
  }
  if (user === undefined || user === 'anonymous' || user === 'ftp') {
    return {
      user: user ?? 'anonymous',
      password: password ?? 'anonymous@',
      source: {
        user: user === undefined ? 'default' : userSource,
        password: password === undefined ? 'default' : passwordSource,
      },
    };
  }
  if (password === undefined) {
    throw new UsageError(
      `No password for user "${user}": give it with --password-stdin, FTPS_PASSWORD or a netrc entry for ${input.host}`,
    );
  }
  return { user, password, source: { user: userSource, password: passwordSource } };
}

/** Reads the password from stdin: the first line, without its line end. */
export async function readPasswordFromStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(buf);
    size += buf.length;
    if (buf.includes(0x0a) || size > 64 * 1024) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line === '') throw new UsageError('--password-stdin: stdin gave no password');
  return line;
}
