import { InvalidArgumentError } from '../errors.js';

const TIME_VAL = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?$/;

export interface ParsedTime {
  date: Date;
  precision: 'second' | 'millisecond';
}

/**
 * An RFC 3659 time-val, "YYYYMMDDHHMMSS[.s+]" in UTC, or a 213 reply text carrying one
 * ("213 " prefix allowed). Fractions beyond milliseconds are truncated. Undefined when invalid.
 */
export function parseMdtmTime(value: string): ParsedTime | undefined {
  let v = value.trim();
  if (/^213 /.test(v)) v = v.slice(4).trim();
  return parseTimeVal(v);
}

/** The strict time-val parser (MLSD modify/create facts). */
export function parseTimeVal(value: string): ParsedTime | undefined {
  const m = TIME_VAL.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = m[7];
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  // Seconds may be 60 (leap second, RFC 3659 §2.3); Date rolls it into the next minute.
  const date = utcDate(y, mo, d, h, mi, s, ms, 60);
  if (date === undefined) return undefined;
  return { date, precision: fraction === undefined ? 'second' : 'millisecond' };
}

/** YYYYMMDDHHMMSS in UTC, for MFMT / MDTM-set. */
export function formatMfmtTime(date: Date): string {
  const t = date.getTime();
  if (Number.isNaN(t)) throw new InvalidArgumentError('Invalid date');
  const y = date.getUTCFullYear();
  if (y < 0 || y > 9999) throw new InvalidArgumentError(`Year ${y} cannot be sent as YYYY`);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(y, 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}

/** A UTC date from calendar fields (month 1–12), or undefined if any field is out of range. */
export function utcDate(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
  maxSecond = 59,
): Date | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > maxSecond || ms > 999) return undefined;
  if (year >= 100) return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms)); // one allocation
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
