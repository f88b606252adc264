/** What a listed entry is; `'unknown'` for a line no parser understood (or an unsafe name). */
export type FileType = 'file' | 'directory' | 'symlink' | 'unknown';

/** One directory entry. Dates are UTC as far as the listing can tell (see each parser). */
export interface FileInfo {
  /** Never contains '/' or NUL; '' only for type 'unknown' (a line that could not be parsed safely). */
  name: string;
  /** File, folder, symlink, or `'unknown'`. */
  type: FileType;
  /** Bytes, when known. */
  size?: number;
  /** Modification time, when the listing gives one. */
  modifiedAt?: Date;
  /** How precise `modifiedAt` is: MLSD gives seconds or better, Unix LIST minutes (recent) or days (older). */
  modifiedPrecision?: 'millisecond' | 'second' | 'minute' | 'day';
  /** Unix 'rwxr-xr-x' style, or the MLSD perm fact. */
  permissions?: string;
  /** Numeric Unix permission bits (0o7777 mask) when known. */
  mode?: number;
  /** Owner name or id, as listed. */
  owner?: string;
  /** Group name or id, as listed. */
  group?: string;
  /** Symlink target, as the server sent it. */
  target?: string;
  /** MLSD unique fact. */
  unique?: string;
  /** MLSD facts, lower-cased names, values as sent. */
  facts?: Record<string, string>;
  /** The original line. */
  raw: string;
}

export type ListFormat = 'mlsd' | 'unix' | 'dos';

/** Internal marker: the line belongs to the format but is no entry ("total 8", ".", ".."). */
export const SKIP: unique symbol = Symbol('skip');

/** Internal parse outcome: an entry, a line to skip, or undefined for "not this format". */
export type EntryResult = FileInfo | typeof SKIP | undefined;

/** The entry for a line that cannot be parsed safely. */
export function unknownEntry(raw: string): FileInfo {
  return { name: '', type: 'unknown', raw };
}

/** A name that can be used as one path segment: non-empty, no '/' and no NUL. */
export function isSafeName(name: string): boolean {
  return name !== '' && !name.includes('/') && !name.includes('\0');
}

export function isDotName(name: string): boolean {
  return name === '.' || name === '..';
}

/** Parses a decimal size, dropping values a JS number cannot hold exactly. */
export function parseSize(digits: string): number | undefined {
  if (!/^\d+$/.test(digits)) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}
