// Metadata conversations on the control connection: MLST/SIZE/MDTM stat, MFMT, OPTS MLST.
import { FtpReplyError, ProtocolError } from '../errors.js';
import { formatCommand } from '../protocol/command.js';
import { parseMlstReply, type FileInfo } from '../protocol/listing/index.js';
import { parsePwdReply } from '../protocol/paths.js';
import type { FtpReply } from '../protocol/reply.js';
import { parseSizeReply } from '../protocol/size.js';
import { formatMfmtTime, parseMdtmTime } from '../protocol/time.js';
import { expectReply } from './control.js';
import type { Session } from './session.js';

/** The MLST facts we use; the server's FEAT says which of them it knows. */
const WANTED_FACTS = [
  'type',
  'size',
  'modify',
  'perm',
  'unique',
  'unix.mode',
  'unix.owner',
  'unix.group',
  'unix.ownername',
  'unix.groupname',
  'unix.uid',
  'unix.gid',
];

/** Asks once per session for the facts we use (`OPTS MLST`), limited to those FEAT lists. Advisory. */
export async function mlstFactsCommand(session: Session): Promise<void> {
  if (session.mlstFactsSent) return;
  session.mlstFactsSent = true;
  const offered = (session.features.get('MLST') ?? '')
    .split(';')
    .map((f) => f.replace(/\*$/, '').trim())
    .filter((f) => f !== '');
  const facts = offered.filter((f) => WANTED_FACTS.includes(f.toLowerCase()));
  if (facts.length === 0) return;
  await session.control.request(`OPTS MLST ${facts.map((f) => `${f};`).join('')}`);
}

function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/**
 * Facts about one path: MLST when the server has it; else SIZE + MDTM for files (in one write: one
 * round trip), and a CWD probe (returning to the current folder) for folders. Rejects with the
 * server's 550 when nothing exists.
 */
export async function stat(session: Session, path: string): Promise<FileInfo> {
  const { control } = session;
  if (session.features.has('MLST')) {
    await mlstFactsCommand(session);
    const line = formatCommand('MLST', path);
    const reply = expectReply(await control.request(line), line);
    const entry = parseMlstReply(reply);
    // A device file or other exotic type is 'unknown' with its name: it exists all the same.
    if (entry === undefined || (entry.type === 'unknown' && entry.name === ''))
      throw new ProtocolError(`Unparseable MLST reply: ${reply.text}`);
    return entry;
  }
  const sizeLine = formatCommand('SIZE', path);
  // MDTM goes out whatever SIZE answers: its reply is simply not used for a folder.
  const [size, mdtm] = (await control.requestAll([sizeLine, formatCommand('MDTM', path)])) as [FtpReply, FtpReply];
  let bytes: number;
  try {
    bytes = parseSizeReply(expectReply(size, sizeLine, 213, 213).text);
  } catch (err) {
    if (!(err instanceof FtpReplyError)) throw err;
    if (await isDirectory(session, path)) return { name: baseName(path), type: 'directory', raw: '' };
    throw err;
  }
  const info: FileInfo = { name: baseName(path), type: 'file', size: bytes, raw: String(bytes) };
  const time = mdtm.code === 213 ? parseMdtmTime(mdtm.text) : undefined;
  if (time !== undefined) {
    info.modifiedAt = time.date;
    info.modifiedPrecision = time.precision;
  }
  return info;
}

/** SIZE (RFC 3659): the file's size in bytes. FtpReplyError unless the server answers 213. */
export async function fileSize(session: Session, path: string): Promise<number> {
  const line = formatCommand('SIZE', path);
  return parseSizeReply(expectReply(await session.control.request(line), line, 213, 213).text);
}

/** SIZE, or undefined when the server cannot tell (5xx: no such file, or SIZE not offered). A 4xx still rejects. */
export async function fileSizeIfKnown(session: Session, path: string): Promise<number | undefined> {
  try {
    return await fileSize(session, path);
  } catch (err) {
    if (err instanceof FtpReplyError && err.replyCode >= 500) return undefined;
    throw err;
  }
}

/** CWD into the path and back: the one portable way to ask "is this a folder?" without MLST. */
async function isDirectory(session: Session, path: string): Promise<boolean> {
  const { control } = session;
  const pwd = await control.request('PWD');
  const cwd = await control.request(formatCommand('CWD', path));
  if (cwd.code < 200 || cwd.code > 299) return false;
  const back = parsePwdReply(expectReply(pwd, 'PWD', 257, 257).text);
  expectReply(await control.request(formatCommand('CWD', back)), 'CWD');
  return true;
}

/** "Does not exist" answers: 550 (and 450 from some servers for a missing file). */
export function isNotFound(err: unknown): boolean {
  return err instanceof FtpReplyError && (err.replyCode === 550 || err.replyCode === 450);
}

/**
 * Sets a file's modification time: MFMT (draft-somers-ftp-mfxx) when offered, else the
 * `MDTM time path` form that vsftpd and others accept.
 */
export async function setLastModified(session: Session, path: string, date: Date): Promise<void> {
  const time = formatMfmtTime(date);
  const line = session.features.has('MFMT')
    ? formatCommand('MFMT', `${time} ${path}`)
    : formatCommand('MDTM', `${time} ${path}`);
  expectReply(await session.control.request(line), line);
}
