import { ProtocolError } from '../errors.js';

export type TextEncoding = 'utf8' | 'latin1';

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/** One complete line: its bytes without the terminator, and how many bytes it took on the wire. */
export interface RawLine {
  bytes: Buffer;
  wireBytes: number;
}

/**
 * Byte-level line splitting shared by LineSplitter and ReplyParser (internal, not re-exported).
 * Partial lines are kept as a list of chunks so feeding one byte at a time stays linear.
 */
export class LineBuffer {
  #chunks: Buffer[] = [];
  #length = 0;
  readonly #maxLineBytes: number;

  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes;
  }

  get pendingBytes(): number {
    return this.#length;
  }

  /** Up to `n` bytes from the start of the partial line (for early checks before the line is complete). */
  pendingPrefix(n: number): Buffer {
    const parts: Buffer[] = [];
    let have = 0;
    for (const c of this.#chunks) {
      if (have >= n) break;
      const part = c.subarray(0, n - have);
      parts.push(part);
      have += part.length;
    }
    return Buffer.concat(parts, have);
  }

  push(chunk: Buffer): RawLine[] {
    const out: RawLine[] = [];
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) break;
      let line = this.#take(chunk.subarray(start, lf));
      const wireBytes = line.length + 1;
      if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
      this.#check(line.length);
      out.push({ bytes: line, wireBytes });
      start = lf + 1;
    }
    if (start < chunk.length) {
      // Copy: the caller may reuse its buffer, and a subarray would pin all of it in memory.
      const rest = Buffer.from(chunk.subarray(start));
      this.#chunks.push(rest);
      this.#length += rest.length;
      const last = this.#chunks[this.#chunks.length - 1];
      // A trailing CR may be half of a CRLF: it does not count against the line's size yet.
      const endsWithCr = last !== undefined && last[last.length - 1] === CR;
      this.#check(this.#length - (endsWithCr ? 1 : 0));
    }
    return out;
  }

  /** The partial line, if any, with a trailing CR removed; clears the buffer. */
  end(): Buffer | undefined {
    if (this.#length === 0) return undefined;
    let line = this.#take(Buffer.alloc(0));
    if (line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    return line;
  }

  #take(tail: Buffer): Buffer {
    if (this.#length === 0) return tail;
    this.#chunks.push(tail);
    const line = Buffer.concat(this.#chunks, this.#length + tail.length);
    this.#chunks = [];
    this.#length = 0;
    return line;
  }

  #check(lineBytes: number): void {
    if (lineBytes > this.#maxLineBytes) {
      this.#chunks = [];
      this.#length = 0;
      throw new ProtocolError(`Line longer than ${this.#maxLineBytes} bytes`);
    }
  }
}

export interface LineSplitterOptions {
  /** Longest line accepted, terminator excluded (default 64 KiB). Longer → ProtocolError. */
  maxLineBytes?: number;
  encoding?: TextEncoding;
}

/**
 * Splits a byte stream into lines (CRLF or bare LF), decoding only complete lines so a UTF-8
 * character split across chunks is intact. After a throw the splitter must be discarded.
 */
export class LineSplitter {
  readonly #buffer: LineBuffer;
  readonly #encoding: TextEncoding;

  constructor(options: LineSplitterOptions = {}) {
    this.#buffer = new LineBuffer(checkLimit(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, 'maxLineBytes'));
    this.#encoding = options.encoding ?? 'utf8';
  }

  /** Complete lines, without their terminators. */
  push(chunk: Buffer): string[] {
    return this.#buffer.push(chunk).map((l) => l.bytes.toString(this.#encoding));
  }

  /** A trailing unterminated line, if any (listings whose last line lacks CRLF). */
  end(): string[] {
    const rest = this.#buffer.end();
    return rest === undefined || rest.length === 0 ? [] : [rest.toString(this.#encoding)];
  }

  get pendingBytes(): number {
    return this.#buffer.pendingBytes;
  }
}

/** Validates a size cap given by a caller (a programming error, hence RangeError). */
export function checkLimit(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
