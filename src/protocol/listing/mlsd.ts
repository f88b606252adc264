import type { FtpReply } from '../reply.js';
import { isPositive } from '../reply.js';
import { parseTimeVal } from '../time.js';
import {
  type EntryResult,
  type FileInfo,
  type FileType,
  isDotName,
  isSafeName,
  parseSize,
  SKIP,
  unknownEntry,
} from './types.js';

const FACT_NAME = /^[^\s=;]+$/;

/**
 * One MLSD line (RFC 3659 §7): "fact=value;fact=value; name". The facts end at the first "; "
 * (a value cannot contain ';'), so the name keeps any spaces and semicolons it has.
 * Undefined for type cdir/pdir and for "." / ".."; a malformed line → { type: 'unknown', name: '' }.
 */
export function parseMlsdLine(line: string): FileInfo | undefined {
  const r = mlsdEntry(line);
  return r === SKIP ? undefined : (r ?? unknownEntry(line));
}

/**
 * MLST (RFC 3659 §7): a 2xx multi-line reply whose entry is the line starting with a space.
 * The entry names a path; `name` is its last segment ('' for the root folder), and cdir/pdir count
 * as directories. Undefined when the reply is not 2xx or has no entry line.
 */
export function parseMlstReply(reply: FtpReply): FileInfo | undefined {
  if (!isPositive(reply.code)) return undefined;
  const line = reply.lines.slice(1).find((l) => l.startsWith(' '));
  if (line === undefined) return undefined;
  const entry = line.slice(1);
  const parsed = splitEntry(entry);
  if (parsed === undefined) return unknownEntry(entry);
  const path = parsed.path.replace(/\/+$/, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name.includes('\0') || (name === '' && !parsed.path.startsWith('/'))) return unknownEntry(entry);
  return buildEntry(entry, name, parsed.facts, true);
}

/** Internal for ListParser: undefined when the line is not MLSD at all. */
export function mlsdEntry(line: string): EntryResult {
  if (line.trim() === '') return SKIP;
  const parsed = splitEntry(line);
  if (parsed === undefined) return undefined;
  const type = (parsed.facts.get('type') ?? '').toLowerCase();
  if (type === 'cdir' || type === 'pdir' || isDotName(parsed.path)) return SKIP;
  // A NUL in a name, target or fact makes the line untrustworthy.
  if (!isSafeName(parsed.path) || line.includes('\0')) return unknownEntry(line);
  return buildEntry(line, parsed.path, parsed.facts, false);
}

function splitEntry(line: string): { facts: Map<string, string>; path: string } | undefined {
  const end = line.indexOf('; ');
  if (end <= 0) return undefined;
  const facts = new Map<string, string>();
  for (const fact of line.slice(0, end).split(';')) {
    const eq = fact.indexOf('=');
    const name = fact.slice(0, eq);
    if (eq === -1 || !FACT_NAME.test(name)) return undefined;
    const key = name.toLowerCase();
    if (!facts.has(key)) facts.set(key, fact.slice(eq + 1));
  }
  return { facts, path: line.slice(end + 2) };
}

function buildEntry(raw: string, name: string, facts: Map<string, string>, mlst: boolean): FileInfo {
  const typeFact = facts.get('type') ?? '';
  const lower = typeFact.toLowerCase();
  let type: FileType = 'unknown';
  let target: string | undefined;
  if (lower === 'file') type = 'file';
  else if (lower === 'dir' || (mlst && (lower === 'cdir' || lower === 'pdir'))) type = 'directory';
  else if (lower.startsWith('os.unix=slink') || lower.startsWith('os.unix=symlink')) {
    // "OS.unix=slink:/target" (pure-ftpd, proftpd) or "OS.unix=symlink" (proftpd without target).
    const m = /^os\.unix=s(?:ym)?link(?::(.*))?$/is.exec(typeFact);
    if (m !== null) {
      type = 'symlink';
      if (m[1] !== undefined && m[1] !== '') target = m[1];
    }
  }

  const info: FileInfo = { name, type, raw };
  const size = parseSize(facts.get('size') ?? (type === 'directory' ? (facts.get('sizd') ?? '') : ''));
  if (size !== undefined) info.size = size;
  const modify = facts.get('modify');
  const time = modify === undefined ? undefined : parseTimeVal(modify);
  if (time !== undefined) {
    info.modifiedAt = time.date;
    info.modifiedPrecision = time.precision;
  }
  const perm = facts.get('perm');
  if (perm !== undefined) info.permissions = perm;
  const mode = facts.get('unix.mode');
  if (mode !== undefined && /^[0-7]{1,7}$/.test(mode)) info.mode = parseInt(mode, 8) & 0o7777;
  // proftpd sends the numeric id as UNIX.owner and the name as UNIX.ownername: prefer the name.
  const owner = facts.get('unix.ownername') ?? facts.get('unix.owner') ?? facts.get('unix.uid');
  if (owner !== undefined && owner !== '') info.owner = owner;
  const group = facts.get('unix.groupname') ?? facts.get('unix.group') ?? facts.get('unix.gid');
  if (group !== undefined && group !== '') info.group = group;
  if (target !== undefined) info.target = target;
  const unique = facts.get('unique');
  if (unique !== undefined) info.unique = unique;
  // fromEntries defines own properties, so a fact named "__proto__" cannot touch the prototype.
  info.facts = Object.fromEntries(facts);
  return info;
}
