// Directory listings over a data connection. Entries are parsed as the bytes arrive and handed
// over in batches (one per received chunk); the next chunk is read only when the consumer took the
// batch, so a listing of any size holds at most one chunk's entries plus the socket buffers.
import { Writable } from 'node:stream';
import { ListingTooLargeError } from '../errors.js';
import { LineSplitter } from '../protocol/lines.js';
import { ListParser, type FileInfo, type ListFormat, type ListLineParser } from '../protocol/listing/index.js';
import { listFolder } from '../session/list.js';
import type { Session } from '../session/session.js';

type BatchHandler = (entries: FileInfo[], done: (err?: Error | null) => void) => void;

class ListingSink extends Writable {
  readonly #lines: LineSplitter;
  readonly #parser: ListParser;
  readonly #onBatch: BatchHandler;
  /** Entries handed to the consumer so far. */
  delivered = 0;

  constructor(options: {
    format: ListFormat | 'auto';
    encoding: 'utf8' | 'latin1';
    custom: ListLineParser | undefined;
    onBatch: BatchHandler;
  }) {
    super();
    this.#lines = new LineSplitter({ encoding: options.encoding });
    this.#parser = new ListParser({
      format: options.format,
      ...(options.custom === undefined ? {} : { custom: options.custom }),
    });
    this.#onBatch = options.onBatch;
  }

  #parse(lines: string[]): FileInfo[] {
    const entries: FileInfo[] = [];
    // Indexed: a for-of allocates an iterator result per line until the loop is optimised.
    for (let i = 0; i < lines.length; i++) {
      const entry = this.#parser.parseLine(lines[i] as string);
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
    this.delivered += entries.length;
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

/** Runs one listing, calling `onBatch` for each batch of entries; see ListingSink for the memory bound. */
export async function listDirectory(
  session: Session,
  path: string | undefined,
  onBatch: BatchHandler,
  signal?: AbortSignal,
): Promise<void> {
  const { encoding, parseList: custom } = session.options;
  await listFolder(session, path, (format) => new ListingSink({ format, encoding, custom, onBatch }), signal);
}

/**
 * The whole listing as an array, at most `maxListEntries` entries: one more fails the listing with
 * ListingTooLargeError (the data connection is cut and the final reply read, so the client stays
 * usable) and nothing collected is returned.
 */
export async function listAll(session: Session, path: string | undefined, signal?: AbortSignal): Promise<FileInfo[]> {
  const limit = session.options.maxListEntries;
  const entries: FileInfo[] = [];
  await listDirectory(
    session,
    path,
    (batch, done) => {
      if (entries.length + batch.length > limit) {
        const where = path ?? '.';
        done(
          new ListingTooLargeError(
            where,
            limit,
            `The listing of ${JSON.stringify(where)} has more than ${limit} entries (option "maxListEntries"); use listIter() for folders this large`,
          ),
        );
        return;
      }
      for (let i = 0; i < batch.length; i++) entries.push(batch[i] as FileInfo);
      done();
    },
    signal,
  );
  return entries;
}
