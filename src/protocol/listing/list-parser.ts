import { dosEntry } from './dos.js';
import { mlsdEntry } from './mlsd.js';
import { type EntryResult, type FileInfo, type ListFormat, SKIP, unknownEntry } from './types.js';
import { unixEntry } from './unix.js';

export interface ListParserOptions {
  /** Reference time for Unix "Mon DD HH:MM" dates (default: when the parser is created). */
  now?: Date;
  format?: ListFormat | 'auto';
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

  constructor(options: ListParserOptions = {}) {
    this.#format = options.format === 'auto' ? undefined : options.format;
    this.#now = options.now ?? new Date();
  }

  /** The format in use: fixed by the options or detected so far. */
  get format(): ListFormat | undefined {
    return this.#format;
  }

  /** Undefined for lines to skip (total, ".", "..", empty). */
  parseLine(line: string): FileInfo | undefined {
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
