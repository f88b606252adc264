import type { FtpReply } from './reply.js';
import { isPositive } from './reply.js';

/**
 * FEAT (RFC 2389): a 211 multi-line reply, one feature per middle line. Keys are upper-cased
 * feature names, values the rest of the line trimmed ('' if none). A feature listed twice
 * (vsftpd sends " AUTH SSL" and " AUTH TLS") keeps every value, joined with ';'.
 * A non-2xx or single-line reply gives an empty map.
 */
export function parseFeatReply(reply: FtpReply): Map<string, string> {
  // Values are gathered in sets and joined once at the end: re-splitting the joined string for
  // every line made a FEAT repeating one key quadratic (64 KiB blocked the event loop 1.4 s).
  const values = new Map<string, Set<string>>();
  if (!isPositive(reply.code)) return new Map();
  const prefix = `${reply.code}-`;
  for (let i = 1; i < reply.lines.length - 1; i++) {
    let line = reply.lines[i] as string;
    // Some servers repeat "211-" on every line instead of indenting.
    if (line.startsWith(prefix)) line = line.slice(prefix.length);
    const m = /^\s*(\S+)(?:\s+(.*))?$/s.exec(line);
    if (m === null) continue;
    const key = (m[1] ?? '').toUpperCase();
    const value = (m[2] ?? '').trim();
    let seen = values.get(key);
    if (seen === undefined) values.set(key, (seen = new Set()));
    if (value !== '') seen.add(value);
  }
  const features = new Map<string, string>();
  for (const [key, set] of values) features.set(key, [...set].join(';'));
  return features;
}
