import { dosEntry } from './dos.js';
import { mlsdEntry } from './mlsd.js';
import {
  type EntryResult,
  type FileInfo,
  type ListFormat,
  isDotName,
  isSafeName,
  SKIP,
  unknownEntry,
} from './types.js';
import { unixEntry } from './unix.js';

/**
 * A parser for listing lines of a server the built-in parsers do not read (VMS, z/OS, …), given as
 * the `parseList` client option. Called for every LIST line (not for MLSD, which is standard).
 * Return the entry (`raw` may be left out), `null` for a line that is no entry (a header, a total),
 * or `undefined` to let the built-in parsers try the line. The name must be one path segment: a
 * name with '/' or NUL becomes an 'unknown' entry, and '.' and '..' are skipped. A parser that
 * throws fails the listing with its error.
 */
export type ListLineParser = (
  line: string,
  context: { readonly now: Date },
) => (Omit<FileInfo, 'raw'> & Partial<Pick<FileInfo, 'raw'>>) | null | undefined;

export interface ListParserOptions {
  /** Reference time for Unix "Mon DD HH:MM" dates (default: when the parser is created). */
  now?: Date;
  format?: ListFormat | 'auto';
  /** Tried before the built-in parsers on every line unless the format is 'mlsd'. */
  custom?: ListLineParser;
}

// Unix first: it is the most common, and its lines cannot look like DOS or MLSD lines.
const DETECTION_ORDER: ListFormat[] = ['unix', 'dos', 'mlsd'];

/**
 * Parses a listing line by line. In 'auto' mode the first line a parser recognises fixes the format
 * for the rest of the listing (a listing does not mix formats; guessing per line could read a
 * strange name as another format). A line nothing recognises gives { type: 'unknown', name: '' }.
 * Never throws.
 */
export class ListParser {
  #format: ListFormat | undefined;
  readonly #now: Date;
  readonly #custom: ListLineParser | undefined;

  constructor(options: ListParserOptions = {}) {
    this.#format = options.format === 'auto' ? undefined : options.format;
    this.#now = options.now ?? new Date();
    this.#custom = options.format === 'mlsd' ? undefined : options.custom;
  }

  /** The format in use: fixed by the options or detected so far. */
  get format(): ListFormat | undefined {
    return this.#format;
  }

  /** Undefined for lines to skip (total, ".", "..", empty). Throws only what a custom parser throws. */
  parseLine(line: string): FileInfo | undefined {
    if (this.#custom !== undefined) {
      const custom = this.#custom(line, { now: this.#now });
      if (custom === null) return undefined;
      if (custom !== undefined) return checkedCustom(custom, line);
    }
    if (this.#format !== undefined) return settle(this.#entry(this.#format, line), line);
    if (line.trim() === '') return undefined;
    for (const format of DETECTION_ORDER) {
      const r = this.#entry(format, line);
      if (r !== undefined) {
        this.#format = format;
        return settle(r, line);
      }
    }
    return unknownEntry(line);
  }

  #entry(format: ListFormat, line: string): EntryResult {
    // A NUL anywhere (name, target, fact) makes the line untrustworthy.
    if (line.includes('\0')) return unknownEntry(line);
    switch (format) {
      case 'unix':
        return unixEntry(line, this.#now);
      case 'dos':
        return dosEntry(line);
      case 'mlsd':
        return mlsdEntry(line);
    }
  }
}

const TYPES: readonly string[] = ['file', 'directory', 'symlink', 'unknown'];

/** A custom parser's entry, held to the same rules as the built-in ones' (one safe path segment). */
function checkedCustom(entry: Omit<FileInfo, 'raw'> & { raw?: string }, line: string): FileInfo | undefined {
  if (typeof entry !== 'object' || typeof entry.name !== 'string' || !TYPES.includes(entry.type))
    return unknownEntry(line);
  if (isDotName(entry.name)) return undefined;
  if (!isSafeName(entry.name)) return unknownEntry(line);
  return { ...entry, raw: typeof entry.raw === 'string' ? entry.raw : line };
}

function settle(r: EntryResult, line: string): FileInfo | undefined {
  return r === SKIP ? undefined : (r ?? unknownEntry(line));
}

/** Parses a whole listing (CRLF or LF lines). */
export function parseList(text: string, options: ListParserOptions = {}): FileInfo[] {
  const parser = new ListParser(options);
  const out: FileInfo[] = [];
  for (const line of text.split('\n')) {
    const info = parser.parseLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (info !== undefined) out.push(info);
  }
  return out;
}
