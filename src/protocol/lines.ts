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
 *
 * Listings go through here at full speed, so each chunk is decoded once up to its last LF and
 * split as a string (an LF byte never occurs inside a UTF-8 or latin1 character).
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #encoding: TextEncoding;
  /** The start of an unfinished line, as received (a list, so tiny chunks stay linear). */
  #parts: Buffer[] = [];
  #partLength = 0;

  constructor(options: LineSplitterOptions = {}) {
    this.#maxLineBytes = checkLimit(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, 'maxLineBytes');
    this.#encoding = options.encoding ?? 'utf8';
  }

  /** Complete lines, without their terminators. */
  push(chunk: Buffer): string[] {
    const lastLf = chunk.lastIndexOf(LF);
    if (lastLf === -1) {
      this.#keep(chunk);
      return [];
    }
    const head = chunk.subarray(0, lastLf);
    const complete =
      this.#partLength === 0 ? head : Buffer.concat([...this.#parts, head], this.#partLength + head.length);
    this.#parts = [];
    this.#partLength = 0;
    this.#keep(chunk.subarray(lastLf + 1));
    const lines = complete.toString(this.#encoding).split('\n');
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i] as string;
      if (line.charCodeAt(line.length - 1) === CR) line = lines[i] = line.slice(0, -1);
      // A string's UTF-16 length is at most its byte length, and that at most 3x more.
      if (line.length * 3 > this.#maxLineBytes) this.#check(Buffer.byteLength(line, this.#encoding));
    }
    return lines;
  }

  /** A trailing unterminated line, if any (listings whose last line lacks CRLF). */
  end(): string[] {
    let rest = Buffer.concat(this.#parts, this.#partLength);
    this.#parts = [];
    this.#partLength = 0;
    if (rest[rest.length - 1] === CR) rest = rest.subarray(0, rest.length - 1);
    return rest.length === 0 ? [] : [rest.toString(this.#encoding)];
  }

  get pendingBytes(): number {
    return this.#partLength;
  }

  #keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    // Copy: the caller may reuse its buffer, and a subarray would pin all of it in memory.
    this.#parts.push(Buffer.from(bytes));
    this.#partLength += bytes.length;
    const endsWithCr = bytes[bytes.length - 1] === CR; // may be half of a CRLF: not counted yet
    this.#check(this.#partLength - (endsWithCr ? 1 : 0));
  }

  #check(lineBytes: number): void {
    if (lineBytes > this.#maxLineBytes) {
      this.#parts = [];
      this.#partLength = 0;
      throw new ProtocolError(`Line longer than ${this.#maxLineBytes} bytes`);
    }
  }
}

/** Validates a size cap given by a caller (a programming error, hence RangeError). */
export function checkLimit(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
