// File commands that take more than one exchange on the control connection.
import { formatCommand } from '../protocol/command.js';
import { expectReply } from './control.js';
import type { Session } from './session.js';

/**
 * Renames `from` to `to`: RNFR (must answer 350), then RNTO (2xx). Rejects with FtpReplyError whose
 * `command` is the RNFR or RNTO line that was refused.
 */
export async function rename(session: Session, from: string, to: string): Promise<void> {
  const rnfr = formatCommand('RNFR', from);
  expectReply(await session.control.request(rnfr), rnfr, 350, 350);
  const rnto = formatCommand('RNTO', to);
  expectReply(await session.control.request(rnto), rnto);
}
