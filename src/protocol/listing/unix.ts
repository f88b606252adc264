import { utcDate } from '../time.js';
import { type EntryResult, type FileInfo, type FileType, isDotName, isSafeName, parseSize, SKIP, unknownEntry } from './types.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/*
 * type, 9 permission chars, optional ACL/xattr/SELinux marker (+ @ .), links, owner, optional group,
 * size or "major, minor", month, day, "HH:MM" or year, exactly one space, then the name as is.
 * Owner and group cannot contain ',' so "root 8, 0" is read as a device without a group column.
 */
const LINE = new RegExp(
  String.raw`^([-dlbcpsD])([-r][-w][-xsS][-r][-w][-xsSlL][-r][-w][-xtT])[+@.]?\s+(\d+)\s+([^\s,]+)\s+(?:([^\s,]+)\s+)?` +
    String.raw`(?:(\d+)|\d+,\s*\d+)\s+([A-Za-z]{3})\s+(\d{1,2})\s+(?:(\d{1,2}):(\d{2})|(\d{4})) (.*)$`,
  's',
);

const TYPES: Record<string, FileType> = { '-': 'file', d: 'directory', l: 'symlink' };

/**
 * One `ls -l` line (vsftpd, proftpd, pure-ftpd, busybox, …). Undefined for "total N", "." and "..".
 * The name is everything after the single space that follows the time or year, so leading,
 * trailing and repeated spaces survive. "HH:MM" dates get the year that puts them no later than
 * one day after `now`. Servers send no time zone: dates are read as UTC, which is only right if
 * the server's clock is; precision is 'minute' with a time, 'day' with a year.
 */
export function parseUnixLine(line: string, now: Date): FileInfo | undefined {
  const r = unixEntry(line, now);
  return r === SKIP ? undefined : (r ?? unknownEntry(line));
}

/** Internal for ListParser: undefined when the line is not an `ls -l` line. */
export function unixEntry(line: string, now: Date): EntryResult {
  const m = LINE.exec(line);
  if (m === null) return line.trim() === '' || /^total\s+\d+\s*$/i.test(line) ? SKIP : undefined;
  const [, typeChar = '', perms = '', , owner = '', group, size, monthName = '', day = '', hh, mm, year] = m;
  const month = MONTHS.indexOf(monthName.toLowerCase()) + 1;
  if (month === 0) return undefined;
  const type = TYPES[typeChar] ?? 'unknown';

  let name = m[12] ?? '';
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

  const info: FileInfo = { name, type, raw: line, permissions: perms, mode: modeFromPermissions(perms), owner };
  if (group !== undefined) info.group = group;
  const bytes = size === undefined ? undefined : parseSize(size);
  if (bytes !== undefined) info.size = bytes;
  const date =
    year !== undefined
      ? utcDate(Number(year), month, Number(day))
      : recentDate(month, Number(day), Number(hh), Number(mm), now);
  if (date !== undefined) {
    info.modifiedAt = date;
    info.modifiedPrecision = year !== undefined ? 'day' : 'minute';
  }
  if (target !== undefined) info.target = target;
  return info;
}

/** ls shows "Mon DD HH:MM" for recent files: the latest year that is not more than a day ahead of now. */
function recentDate(month: number, day: number, hour: number, minute: number, now: Date): Date | undefined {
  const limit = now.getTime() + 24 * 60 * 60 * 1000;
  const latestYear = new Date(limit).getUTCFullYear(); // next year only on Dec 31
  // Going back up to 8 years finds a leap year for "Feb 29".
  for (let year = latestYear; year >= latestYear - 9; year--) {
    const date = utcDate(year, month, day, hour, minute);
    if (date !== undefined && date.getTime() <= limit) return date;
    if (date === undefined && (month !== 2 || day !== 29)) return undefined;
  }
  return undefined;
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
