// ~/.netrc: "machine HOST login USER password PASS" entries (and "default"), the format curl and
// ftp read. Like them, a file holding a password must not be readable by group or others.
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from './exit.js';

export interface NetrcEntry {
  /** undefined for the `default` entry. */
  machine: string | undefined;
  login?: string;
  password?: string;
  account?: string;
}

/** Tokens separated by white space; "double quoted" tokens may hold spaces (curl's extension). */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    tokens.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] as string));
  }
  return tokens;
}

export function parseNetrc(text: string): NetrcEntry[] {
  // macdef bodies run to the next empty line: drop them before tokenizing.
  const withoutMacros = text.replace(/(^|\s)macdef\s+\S+[^\n]*\n(?:.+\n)*?(?:\s*\n|$)/g, '$1');
  const tokens = tokenize(withoutMacros);
  const entries: NetrcEntry[] = [];
  let current: NetrcEntry | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === 'machine') {
      current = { machine: tokens[++i] };
      entries.push(current);
    } else if (token === 'default') {
      current = { machine: undefined };
      entries.push(current);
    } else if (current !== undefined && (token === 'login' || token === 'password' || token === 'account')) {
      const value = tokens[++i];
      if (value !== undefined) current[token] = value;
    }
  }
  return entries;
}

/** The entry for `host` (and `user`, when one is already known), else the `default` entry. */
export function findNetrcEntry(entries: NetrcEntry[], host: string, user: string | undefined): NetrcEntry | undefined {
  const fits = (e: NetrcEntry): boolean => user === undefined || e.login === undefined || e.login === user;
  return (
    entries.find((e) => e.machine !== undefined && e.machine.toLowerCase() === host.toLowerCase() && fits(e)) ??
    entries.find((e) => e.machine === undefined && fits(e))
  );
}

/**
 * Reads a netrc file; a missing file is no entries unless `required` (an explicit --netrc-file).
 * Refuses a file with a password that group or others can read, or that another user owns.
 */
export function readNetrc(file: string, required: boolean): NetrcEntry[] {
  let text: string;
  let mode: number;
  let uid: number;
  try {
    const st = statSync(file);
    mode = st.mode;
    uid = st.uid;
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UsageError(`Cannot read netrc file ${file}: ${(err as Error).message}`);
  }
  const entries = parseNetrc(text);
  if (entries.some((e) => e.password !== undefined) && process.platform !== 'win32') {
    if ((mode & 0o077) !== 0) {
      throw new UsageError(
        `${file} holds a password and is readable by others (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${file}`,
      );
    }
    if (typeof process.getuid === 'function' && uid !== process.getuid()) {
      throw new UsageError(`${file} holds a password and is not owned by you: refusing to use it`);
    }
  }
  return entries;
}
