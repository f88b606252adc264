// REST for a transfer that restarts (a range, a resumed download). It goes out in the same write as
// the data channel's own command (EPSV, PASV, EPRT, PORT), so its 350 arrives right behind that reply
// instead of costing a round trip of its own between the data connection and the transfer command.
// REST stays the last command before the transfer command (RFC 3659). A REST the server took for a
// transfer command that then never goes out would apply to the next transfer, whatever it is: the
// transfer undoes it (clearRestart).
import type { FtpReply } from '../protocol/reply.js';
import { expectReply } from './control.js';
import type { Session } from './session.js';

/**
 * Sends the channel's `line` and, if given, `restart` (a REST line) behind it in one write. Returns the
 * reply to `line`; when that one succeeded (`ok`), a REST answered anything but 350 is an FtpReplyError.
 * When it did not, the caller retries or gives up; either way the transfer clears the restart.
 */
export async function requestWithRestart(
  session: Session,
  line: string,
  restart: string | undefined,
  ok: (reply: FtpReply) => boolean,
): Promise<FtpReply> {
  if (restart === undefined) return session.control.request(line);
  const [reply, rest] = (await session.control.requestAll([line, restart])) as [FtpReply, FtpReply];
  if (ok(reply)) expectReply(rest, restart, 350, 350);
  return reply;
}

/**
 * After a REST the transfer command never followed (the data connection failed, an abort): `REST 0`, so
 * that the next transfer on this connection starts at its own offset. Quiet: a control connection that
 * is gone or does not answer is handled by whoever uses it next.
 */
export async function clearRestart(session: Session): Promise<void> {
  const { control } = session;
  if (control.error !== undefined || session.closedBy !== undefined) return;
  await control.request('REST 0').catch(() => undefined);
}
