// Directory listings over a data connection. Entries are parsed as the bytes arrive and handed
// over in batches (one per received chunk); the next chunk is read only when the consumer took the
// batch, so a listing of any size holds at most one chunk's entries plus the socket buffers.
import { Writable } from 'node:stream';
import { checkPath, formatCommand } from '../protocol/command.js';
import { LineSplitter } from '../protocol/lines.js';
import { ListParser, type FileInfo, type ListFormat } from '../protocol/listing/index.js';
import { runTransfer } from '../session/data.js';
import type { Session } from '../session/session.js';
import { mlstFactsCommand } from '../session/metadata.js';

type BatchHandler = (entries: FileInfo[], done: (err?: Error | null) => void) => void;

class ListingSink extends Writable {
  readonly #lines: LineSplitter;
  readonly #parser: ListParser;
  readonly #onBatch: BatchHandler;

  constructor(options: { format: ListFormat | 'auto'; encoding: 'utf8' | 'latin1'; onBatch: BatchHandler }) {
    super();
    this.#lines = new LineSplitter({ encoding: options.encoding });
    this.#parser = new ListParser({ format: options.format });
    this.#onBatch = options.onBatch;
  }

  #parse(lines: string[]): FileInfo[] {
    const entries: FileInfo[] = [];
    for (const line of lines) {
      const entry = this.#parser.parseLine(line);
      if (entry !== undefined) entries.push(entry);
    }
    return entries;
  }

  #deliver(lines: () => string[], callback: (error?: Error | null) => void): void {
    let entries: FileInfo[];
    try {
      entries = this.#parse(lines());
    } catch (err) {
      callback(err as Error);
      return;
    }
    if (entries.length === 0) callback();
    else this.#onBatch(entries, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#deliver(() => this.#lines.push(chunk), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#deliver(() => this.#lines.end(), callback);
  }
}

/**
 * The listing command for a path: MLSD when the server has MLST, else LIST. A relative path that
 * starts with '-' is sent as './-…' so LIST does not take it for ls options.
 */
function listCommand(session: Session, path: string | undefined): { line: string; format: ListFormat | 'auto' } {
  const mlsd = session.features.has('MLST');
  const safePath = path !== undefined && path.startsWith('-') ? `./${path}` : path;
  return mlsd ? { line: formatCommand('MLSD', safePath), format: 'mlsd' } : { line: formatCommand('LIST', safePath), format: 'auto' };
}

/** Runs one listing, calling `onBatch` for each batch of entries; see ListingSink for the memory bound. */
export async function listDirectory(session: Session, path: string | undefined, onBatch: BatchHandler, signal?: AbortSignal): Promise<void> {
  const { line, format } = listCommand(session, path);
  if (format === 'mlsd') await mlstFactsCommand(session);
  const sink = new ListingSink({ format, encoding: session.options.encoding, onBatch });
  await runTransfer(session, line, { direction: 'download', sink }, signal);
}

/** Validates the path now (InvalidArgumentError before anything is queued). */
export function checkListPath(path: string | undefined): void {
  if (path !== undefined) checkPath(path);
}
