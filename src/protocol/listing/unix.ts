import { utcDate } from '../time.js';
import { type EntryResult, type FileInfo, type FileType, isDotName, isSafeName, SKIP, unknownEntry } from './types.js';

/**
 * Abbreviated month names as `ls -l` prints them in common locales (glibc's `abmon`), lower-case,
 * without a trailing '.': en, de, fr, es, it, pt, nl, sv/da/no, pl, tr, ru. No two languages use
 * one abbreviation for different months, so one table serves every locale.
 */
const MONTH_NAMES: readonly (readonly string[])[] = [
  ['jan', 'janv', 'ene', 'gen', 'sty', 'oca', 'янв'],
  ['feb', 'févr', 'fév', 'fevr', 'fev', 'lut', 'şub', 'фев'],
  ['mar', 'mär', 'mrz', 'mars', 'mrt', 'мар'],
  ['apr', 'avr', 'avril', 'abr', 'kwi', 'nis', 'апр'],
  ['may', 'mai', 'mag', 'mei', 'maj', 'май', 'мая'],
  ['jun', 'juin', 'juni', 'giu', 'cze', 'haz', 'июн'],
  ['jul', 'juil', 'juli', 'lug', 'lip', 'tem', 'июл'],
  ['aug', 'août', 'aout', 'ago', 'sie', 'ağu', 'авг'],
  ['sep', 'sept', 'set', 'wrz', 'eyl', 'сен'],
  ['oct', 'okt', 'ott', 'out', 'paź', 'eki', 'окт'],
  ['nov', 'lis', 'kas', 'ноя'],
  ['dec', 'déc', 'dez', 'dic', 'des', 'gru', 'ara', 'дек'],
];
const MONTHS = new Map<string, number>(MONTH_NAMES.flatMap((names, i) => names.map((n) => [n, i + 1] as const)));

/** Month tokens as listed, already looked up: a listing repeats a dozen of them on every line. */
const monthCache = new Map<string, number>();
/** Tokens are at most 6 characters, but a hostile listing could still send many distinct ones. */
const MONTH_CACHE_MAX = 256;

/** 1–12 for a month token ('Mär', 'févr.', 'ene', '5月', '5월'), 0 when it is none. */
function monthNumber(token: string): number {
  const cached = monthCache.get(token);
  if (cached !== undefined) return cached;
  const cjk = /^(\d{1,2})[月월]$/.exec(token);
  const month =
    cjk !== null
      ? Number(cjk[1]) <= 12
        ? Number(cjk[1])
        : 0
      : (MONTHS.get(token.normalize('NFC').toLowerCase().replace(/\.$/, '')) ?? 0);
  if (monthCache.size < MONTH_CACHE_MAX) monthCache.set(token, month);
  return month;
}

/**
 * Owner, group and permissions repeat on nearly every line of a listing: each entry gets the one
 * copy kept here instead of a string of its own (10,000 entries retain ~0.8 MB less). Bounded in
 * count and length like the month cache, against listings made of distinct tokens.
 */
const tokenCache = new Map<string, string>();
const TOKEN_CACHE_MAX = 1024;
const TOKEN_MAX_LENGTH = 32;

function shared(token: string): string {
  const known = tokenCache.get(token);
  if (known !== undefined) return known;
  if (tokenCache.size < TOKEN_CACHE_MAX && token.length <= TOKEN_MAX_LENGTH) tokenCache.set(token, token);
  return token;
}

/*
 * type, 9 permission chars, optional ACL/xattr/SELinux marker (+ @ .), links, owner, optional group,
 * size or "major, minor", then the date in one of the forms below, exactly one space, then the name
 * as is. Owner and group cannot contain ',' so "root 8, 0" is read as a device without a group column.
 * Date forms, as GNU ls prints them (each alternative has its own group names):
 *   month first  "Jan  5 10:00", "Jan  5  2023", "ene  5 10:00" (es), "мая 12  2023" (ru),
 *                " 5月 12  2023" (ja), "11月 5日 10:00" (zh_CN), "11월  5일  10:00" (ko)
 *   day first    "05 Jan 10:00", " 5. Nov 10:00" (de), "12. Mai 2023 " (de pads after the year),
 *                " 5 nov.  10:00" (fr), " 3 ago 09.30" (it, sv: '.' in the time)
 *   year first   "2023年 5月12日" (zh_CN), "2023년  5월 12일" (ko), older files
 *   ISO          "2024-01-05 10:00" (long-iso), "2024-01-05 10:00:00.123456789 +0100" (full-iso),
 *                "2023-05-12 " (iso, older files: its padding space is part of the date)
 *   ISO recent   "11-05 10:00" (iso, and pl's locale format)
 */
const PREFIX = String.raw`^([-dlbcpsD])([-r][-w][-xsS][-r][-w][-xsSlL][-r][-w][-xtT])[+@.]?\s+(\d+)\s+([^\s,]+)\s+(?:([^\s,]+)\s+)?(?:(\d+)|\d+,\s*\d+)\s+`;
const DATE = [
  String.raw`(?<m1>[^\s\d]{2,6}|\d{1,2}[月월])\s*(?<d1>\d{1,2})[日일]?\s+(?:(?<h1>\d{1,2})[:.](?<i1>\d{2})|(?<y1>\d{4}))`,
  String.raw`(?<d2>\d{1,2})\.?\s+(?<m2>[^\s\d]{2,6})\s+(?:(?<h2>\d{1,2})[:.](?<i2>\d{2})|(?<y2>\d{4}) ?)`,
  String.raw`(?<y5>\d{4})[年년]\s*(?<m5>\d{1,2})[月월]\s*(?<d5>\d{1,2})[日일]`,
  String.raw`(?<y3>\d{4})-(?<m3>\d{2})-(?<d3>\d{2})(?:\s+(?<h3>\d{2}):(?<i3>\d{2})(?::(?<s3>\d{2})(?:\.(?<f3>\d{1,9}))?(?:\s+(?<z3>[+-]\d{4}))?)?| ?)`,
  String.raw`(?<m4>\d{2})-(?<d4>\d{2})\s+(?<h4>\d{2}):(?<i4>\d{2})`,
].join('|');
const SOURCE = `${PREFIX}(?:${DATE}) (?<name>.*)$`;

/**
 * Group numbers by name, counted in SOURCE (no '(' in its character classes). LINE itself has no
 * named groups: with them every match builds a `groups` object of 27 properties, per listing line.
 */
function groupNumbers(source: string): Map<string, number> {
  const numbers = new Map<string, number>();
  let n = 0;
  for (let i = 0; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === '(' && source[i + 1] !== '?') n++;
    else if (source.startsWith('(?<', i) && source[i + 3] !== '=' && source[i + 3] !== '!') {
      numbers.set(source.slice(i + 3, source.indexOf('>', i)), ++n);
    }
  }
  return numbers;
}
const GROUP = groupNumbers(SOURCE);
const LINE = new RegExp(SOURCE.replace(/\(\?<(\w+)>/g, '('), 's');

/** The number of a named group of SOURCE; a name that is not there is a bug in this file. */
function group(name: string): number {
  const n = GROUP.get(name);
  if (n === undefined) throw new Error(`unix.ts: no group ${name} in SOURCE`);
  return n;
}
// prettier-ignore
const NAMES = [
  'm1', 'd1', 'h1', 'i1', 'y1', 'd2', 'm2', 'h2', 'i2', 'y2', 'y5', 'm5', 'd5',
  'y3', 'm3', 'd3', 'h3', 'i3', 's3', 'f3', 'z3', 'm4', 'd4', 'h4', 'i4', 'name',
] as const;
/** Group numbers looked up once: per line, a match is read by plain index (no Map, no closures). */
const G = Object.fromEntries(NAMES.map((name) => [name, group(name)])) as Record<(typeof NAMES)[number], number>;

const TYPES: Record<string, FileType> = { '-': 'file', d: 'directory', l: 'symlink' };

/**
 * One `ls -l` line (vsftpd, proftpd, pure-ftpd, busybox, GNU ls in other locales and time styles).
 * Undefined for "total N", "." and "..". The name is everything after the single space that
 * follows the date, so leading, trailing and repeated spaces survive. Dates without a year get the
 * year that puts them no later than one day after `now`. Servers send no time zone (except
 * full-iso): dates are read as UTC, which is only right if the server's clock is; precision is
 * 'minute' with a time, 'day' without, 'second'/'millisecond' for full-iso. A month name that is in
 * no table makes the line unparseable (never a guessed date).
 */
export function parseUnixLine(line: string, now: Date): FileInfo | undefined {
  const r = unixEntry(line, now);
  return r === SKIP ? undefined : (r ?? unknownEntry(line));
}

type Precision = NonNullable<FileInfo['modifiedPrecision']>;

/**
 * The date from the matched groups: undefined when the fields make no date (Feb 30), null when the
 * month is no month (not a Unix line then). A Date or nothing: no wrapper object per line.
 */
function dateOf(m: RegExpExecArray, now: Date): Date | null | undefined {
  const y3 = m[G.y3];
  if (y3 !== undefined) return isoDate(m, Number(y3));
  const y5 = m[G.y5];
  if (y5 !== undefined) return utcDate(Number(y5), Number(m[G.m5]), Number(m[G.d5]));
  const m4 = m[G.m4];
  if (m4 !== undefined) return recentDate(Number(m4), Number(m[G.d4]), Number(m[G.h4]), Number(m[G.i4]), now);
  const m1 = m[G.m1];
  const first = m1 !== undefined; // month first, else day first
  const month = monthNumber(m1 ?? m[G.m2] ?? '');
  if (month === 0) return null;
  const day = Number(m[first ? G.d1 : G.d2]);
  const year = m[first ? G.y1 : G.y2];
  if (year !== undefined) return utcDate(Number(year), month, day);
  return recentDate(month, day, Number(m[first ? G.h1 : G.h2]), Number(m[first ? G.i1 : G.i2]), now);
}

/** long-iso and full-iso ("2024-01-05 10:00[:00[.123456789] +0100]"), or iso's "2023-05-12" alone. */
function isoDate(m: RegExpExecArray, year: number): Date | undefined {
  const month = Number(m[G.m3]);
  const day = Number(m[G.d3]);
  const h3 = m[G.h3];
  if (h3 === undefined) return utcDate(year, month, day);
  const f3 = m[G.f3];
  const s3 = m[G.s3];
  const z3 = m[G.z3];
  const ms = f3 === undefined ? 0 : Number(f3.padEnd(3, '0').slice(0, 3));
  const date = utcDate(year, month, day, Number(h3), Number(m[G.i3]), s3 === undefined ? 0 : Number(s3), ms);
  if (date === undefined || z3 === undefined) return date;
  const sign = z3.startsWith('-') ? -1 : 1;
  const offset = sign * (Number(z3.slice(1, 3)) * 60 + Number(z3.slice(3, 5)));
  return new Date(date.getTime() - offset * 60_000);
}

/** How precise the matched date form is: with a time 'minute' (full-iso: finer), without one 'day'. */
function precisionOf(m: RegExpExecArray): Precision {
  if (m[G.y3] !== undefined) {
    if (m[G.h3] === undefined) return 'day';
    return m[G.s3] === undefined ? 'minute' : m[G.f3] === undefined ? 'second' : 'millisecond';
  }
  if (m[G.y5] !== undefined || m[G.y1] !== undefined || m[G.y2] !== undefined) return 'day';
  return 'minute';
}

/** The size column: the regex matched it as digits, so only the safe-integer check remains. */
function sizeOf(digits: string): number | undefined {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Internal for ListParser: undefined when the line is not an `ls -l` line. */
export function unixEntry(line: string, now: Date): EntryResult {
  const m = LINE.exec(line);
  if (m === null) return line.trim() === '' || /^total\s+\d+\s*$/i.test(line) ? SKIP : undefined;
  // Indexes, not array destructuring: that goes through the iterator protocol, on every line.
  const typeChar = m[1] ?? '';
  const perms = shared(m[2] ?? '');
  const owner = shared(m[4] ?? '');
  const group = m[5] === undefined ? undefined : shared(m[5]);
  const size = m[6];
  const date = dateOf(m, now);
  if (date === null) return undefined;
  const type = TYPES[typeChar] ?? 'unknown';

  let name = m[G.name] ?? '';
  let target: string | undefined;
  if (type === 'symlink') {
    const arrow = name.indexOf(' -> ');
    if (arrow !== -1) {
      target = name.slice(arrow + 4);
      name = name.slice(0, arrow);
    }
  }
  if (isDotName(name)) return SKIP;
  if (!isSafeName(name) || target?.includes('\0')) return unknownEntry(line);

  const bytes = size === undefined ? undefined : sizeOf(size);
  const mode = modeOf(perms);
  // The usual line in one literal: all its fields inside the object, none added one by one (each
  // added field past the literal's would go to a separate, regrown property store).
  if (group !== undefined && bytes !== undefined && date !== undefined && target === undefined) {
    const modifiedPrecision = precisionOf(m);
    return {
      name,
      type,
      raw: line,
      permissions: perms,
      mode,
      owner,
      group,
      size: bytes,
      modifiedAt: date,
      modifiedPrecision,
    };
  }
  const info: FileInfo = { name, type, raw: line, permissions: perms, mode, owner };
  if (group !== undefined) info.group = group;
  if (bytes !== undefined) info.size = bytes;
  if (date !== undefined) {
    info.modifiedAt = date;
    info.modifiedPrecision = precisionOf(m);
  }
  if (target !== undefined) info.target = target;
  return info;
}

/** The latest year a recent date can be in, for the last `now` seen (one listing shares its `now`). */
let lastNow = NaN;
let lastLatestYear = 0;

/** ls shows "Mon DD HH:MM" for recent files: the latest year that is not more than a day ahead of now. */
function recentDate(month: number, day: number, hour: number, minute: number, now: Date): Date | undefined {
  const limit = now.getTime() + 24 * 60 * 60 * 1000;
  if (limit !== lastNow) {
    lastNow = limit;
    lastLatestYear = new Date(limit).getUTCFullYear(); // next year only on Dec 31
  }
  const latestYear = lastLatestYear;
  // Going back up to 8 years finds a leap year for "Feb 29".
  for (let year = latestYear; year >= latestYear - 9; year--) {
    const date = utcDate(year, month, day, hour, minute);
    if (date !== undefined && date.getTime() <= limit) return date;
    if (date === undefined && (month !== 2 || day !== 29)) return undefined;
  }
  return undefined;
}

/** Modes by permission string, bounded like the token cache: a listing repeats a few of them on every line. */
const modeCache = new Map<string, number>();

function modeOf(perms: string): number {
  const known = modeCache.get(perms);
  if (known !== undefined) return known;
  const mode = modeFromPermissions(perms);
  if (modeCache.size < TOKEN_CACHE_MAX) modeCache.set(perms, mode);
  return mode;
}

/** 'rwxr-sr-t' → 0o3755. Per position: the read/write/exec bits, then the setuid/setgid/sticky letters. */
function modeFromPermissions(p: string): number {
  let mode = 0;
  for (let who = 0; who < 3; who++) {
    const shift = 6 - who * 3;
    if (p[who * 3] === 'r') mode |= 4 << shift;
    if (p[who * 3 + 1] === 'w') mode |= 2 << shift;
    const x = p[who * 3 + 2] ?? '-';
    if (x === 'x' || x === 's' || x === 't') mode |= 1 << shift;
    // s/S (setuid, setgid), t/T (sticky), and l/L (mandatory locking, shown in the group column) set the special bit.
    if (x !== 'x' && x !== '-') mode |= 0o4000 >> who;
  }
  return mode;
}
