// The working directory: PWD and CWD as named operations (the client restores it after a reconnect).
import { formatCommand } from '../protocol/command.js';
import { parsePwdReply } from '../protocol/paths.js';
import { expectReply } from './control.js';
import type { Session } from './session.js';

/** PWD: the current remote directory. */
export async function currentDir(session: Session): Promise<string> {
  return parsePwdReply(expectReply(await session.control.request('PWD'), 'PWD', 257, 257).text);
}

/** CWD, wanting a 2xx. */
export async function changeDir(session: Session, path: string): Promise<void> {
  const line = formatCommand('CWD', path);
  expectReply(await session.control.request(line), line);
}
