import { utcDate } from '../time.js';
import { type EntryResult, type FileInfo, isDotName, isSafeName, SKIP, unknownEntry } from './types.js';

/** "MM-DD-YY[YY]  HH:MM[AM|PM]  <DIR>|size  name" as sent by IIS and other Windows servers. */
const LINE =
  /^(\d{2})[-/](\d{2})[-/](\d{4}|\d{2})\s+(\d{1,2}):(\d{2})(?:\s*([AaPp][Mm]))?\s+(<DIR>|\d[\d,.]*)\s+(.*)$/s;
// Plain digits, or groups of three with one consistent separator: "1,234,567" or "1.234.567".
const SIZE = /^(?:\d+|\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+)$/;

/**
 * One IIS/DOS listing line. Undefined for "." and "..". 2-digit years 70–99 are 19xx, others 20xx.
 * Dates are the server's local time with no zone given, read as UTC; precision 'minute'.
 * Spaces between the size column and the name are padding, so a name's leading spaces are lost.
 */
export function parseDosLine(line: string): FileInfo | undefined {
  const r = dosEntry(line);
  return r === SKIP ? undefined : (r ?? unknownEntry(line));
}

/** Internal for ListParser: undefined when the line is not a DOS line. */
export function dosEntry(line: string): EntryResult {
  if (line.trim() === '') return SKIP;
  const m = LINE.exec(line);
  if (m === null) return undefined;
  const [, mm = '', dd = '', yy = '', hh = '', min = '', ampm, sizeField = '', name = ''] = m;
  const isDir = sizeField === '<DIR>';
  if (!isDir && !SIZE.test(sizeField)) return undefined;
  if (isDotName(name)) return SKIP;
  if (!isSafeName(name)) return unknownEntry(line);

  const info: FileInfo = { name, type: isDir ? 'directory' : 'file', raw: line };
  if (!isDir) {
    const size = Number(sizeField.replace(/[,.]/g, ''));
    if (Number.isSafeInteger(size)) info.size = size;
  }
  let year = Number(yy);
  if (yy.length === 2) year += year >= 70 ? 1900 : 2000;
  let hour = Number(hh);
  if (ampm !== undefined) {
    // 12-hour clock: 12:xxAM is 00:xx, 12:xxPM is 12:xx; 0 or 13+ with AM/PM is nonsense.
    hour = hour < 1 || hour > 12 ? 99 : (hour % 12) + (ampm.toLowerCase() === 'pm' ? 12 : 0);
  }
  const date = utcDate(year, Number(mm), Number(dd), hour, Number(min));
  if (date !== undefined) {
    info.modifiedAt = date;
    info.modifiedPrecision = 'minute';
  }
  return info;
}
