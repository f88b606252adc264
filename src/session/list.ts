// Directory listing conversations: which command lists a folder here, and learning once per
// session whether LIST takes `-a` (vsftpd hides dotfiles from a bare LIST; `LIST -a` shows them).
import type { Writable } from 'node:stream';
import { FtpReplyError } from '../errors.js';
import { formatCommand } from '../protocol/command.js';
import type { ListFormat } from '../protocol/listing/index.js';
import { runTransfer } from './data.js';
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
  if (session.features.has('MLST')) {
    await mlstFactsCommand(session);
    await runTransfer(session, formatCommand('MLSD', arg), { direction: 'download', sink: makeSink('mlsd') }, signal);
    return;
  }
  if (session.listAll !== false) {
    const sink = makeSink('auto');
    try {
      await runTransfer(
        session,
        formatCommand('LIST', arg === undefined ? '-a' : `-a ${arg}`),
        { direction: 'download', sink },
        signal,
      );
      session.listAll = true;
      return;
    } catch (err) {
      // Only a permanent refusal before any entry arrived says "no options here".
      if (session.listAll === true || !(err instanceof FtpReplyError) || err.replyCode < 500 || sink.delivered > 0)
        throw err;
    }
    await runTransfer(session, formatCommand('LIST', arg), { direction: 'download', sink: makeSink('auto') }, signal);
    session.listAll = false;
    return;
  }
  await runTransfer(session, formatCommand('LIST', arg), { direction: 'download', sink: makeSink('auto') }, signal);
}
