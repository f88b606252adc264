import type { FtpReply } from './reply.js';
import { isPositive } from './reply.js';

/**
 * FEAT (RFC 2389): a 211 multi-line reply, one feature per middle line. Keys are upper-cased
 * feature names, values the rest of the line trimmed ('' if none). A feature listed twice
 * (vsftpd sends " AUTH SSL" and " AUTH TLS") keeps every value, joined with ';'.
 * A non-2xx or single-line reply gives an empty map.
 */
export function parseFeatReply(reply: FtpReply): Map<string, string> {
  const features = new Map<string, string>();
  if (!isPositive(reply.code)) return features;
  const prefix = `${reply.code}-`;
  for (let line of reply.lines.slice(1, -1)) {
    // Some servers repeat "211-" on every line instead of indenting.
    if (line.startsWith(prefix)) line = line.slice(prefix.length);
    const m = /^\s*(\S+)(?:\s+(.*))?$/s.exec(line);
    if (m === null) continue;
    const key = (m[1] ?? '').toUpperCase();
    const value = (m[2] ?? '').trim();
    const seen = features.get(key);
    if (seen === undefined) features.set(key, value);
    else if (value !== '' && !seen.split(';').includes(value)) features.set(key, seen === '' ? value : `${seen};${value}`);
  }
  return features;
}
