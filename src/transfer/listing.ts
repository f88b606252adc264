// A Writable that turns listing bytes into FileInfo entries as they arrive: the listing never sits
// in memory as one string, and every line is capped by the LineSplitter.
import { Writable } from 'node:stream';
import { LineSplitter } from '../protocol/lines.js';
import { ListParser, type FileInfo } from '../protocol/listing/index.js';

export type ListFormat = 'mlsd' | 'unix' | 'dos' | 'auto';

export class ListingSink extends Writable {
  readonly #lines: LineSplitter;
  readonly #parser: ListParser;
  readonly #onEntry: (entry: FileInfo) => void;

  constructor(options: { format: ListFormat; encoding: 'utf8' | 'latin1'; onEntry: (entry: FileInfo) => void }) {
    super();
    this.#lines = new LineSplitter({ encoding: options.encoding });
    this.#parser = new ListParser({ format: options.format });
    this.#onEntry = options.onEntry;
  }

  #emit(lines: string[]): void {
    for (const line of lines) {
      const entry = this.#parser.parseLine(line);
      if (entry !== undefined) this.#onEntry(entry);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.#emit(this.#lines.push(chunk));
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.#emit(this.#lines.end());
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }
}
