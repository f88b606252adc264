// Directory listing conversations: which command lists a folder here, and learning once per
// session whether LIST takes `-a` (vsftpd hides dotfiles from a bare LIST; `LIST -a` shows them).
import type { Writable } from 'node:stream';
import { FtpReplyError } from '../errors.js';
import { formatCommand } from '../protocol/command.js';
import type { ListFormat } from '../protocol/listing/index.js';
import { runTransfer, type TransferExtras } from './data.js';
import { mlstFactsCommand } from './metadata.js';
import type { Session } from './session.js';

/** Makes the sink for one listing attempt (a refused attempt destroys its sink, so a retry needs a new one). */
export type ListingSinkFactory = (format: ListFormat | 'auto') => Writable & { readonly delivered: number };

/** A relative path that starts with '-' goes out as './-…', so LIST does not take it for ls options. */
function listArgument(path: string | undefined): string | undefined {
  return path !== undefined && path.startsWith('-') ? `./${path}` : path;
}

/**
 * Lists `path` (default: the current folder) into the sink. MLSD when FEAT lists MLST. Otherwise
 * LIST: `LIST -a` while the session has not learnt that the server refuses it. A server that does
 * not know options reads `-a` as a path and answers 5xx; then a bare LIST is tried, and if that one
 * works, `-a` is never sent again on this session. When both fail nothing is learnt (the folder may
 * simply be missing) and the bare LIST's error is thrown.
 */
export async function listFolder(
  session: Session,
  path: string | undefined,
  makeSink: ListingSinkFactory,
  signal?: AbortSignal,
): Promise<void> {
  const arg = listArgument(path);
  const list = (command: string, sink: ReturnType<ListingSinkFactory>): Promise<unknown> =>
    runTransfer(session, command, { direction: 'download', sink }, signal, cutWatch(session, command));
  if (session.features.has('MLST')) {
    await mlstFactsCommand(session);
    await list(formatCommand('MLSD', arg), makeSink('mlsd'));
    return;
  }
  if (session.listAll !== false) {
    const sink = makeSink('auto');
    try {
      await list(formatCommand('LIST', arg === undefined ? '-a' : `-a ${arg}`), sink);
      session.listAll = true;
      return;
    } catch (err) {
      // Only a permanent refusal before any entry arrived says "no options here".
      if (session.listAll === true || !(err instanceof FtpReplyError) || err.replyCode < 500 || sink.delivered > 0)
        throw err;
    }
    await list(formatCommand('LIST', arg), makeSink('auto'));
    session.listAll = false;
    return;
  }
  await list(formatCommand('LIST', arg), makeSink('auto'));
}

/** A listing that fails once the server started it may leave its rest on the server (Session.listingCut). */
function cutWatch(session: Session, command: string): TransferExtras {
  return { onUnfinished: () => session.listingCut(command) };
}
