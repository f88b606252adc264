import { ProtocolError } from '../errors.js';
import { checkLimit, DEFAULT_MAX_LINE_BYTES, LineBuffer, type TextEncoding } from './lines.js';

/** One complete server reply. */
export interface FtpReply {
  /** The three-digit reply code, e.g. 226. */
  code: number;
  /**
   * One-line reply: the text after "xyz ". Multi-line: the first line's text after "xyz-", the
   * middle lines as they are, and the last line's text after "xyz ", joined with "\n".
   */
  text: string;
  /** Raw lines without terminators. */
  lines: string[];
}

export interface ReplyParserOptions {
  /** Cap on one reply in bytes, terminators and a partial line included (default 64 KiB). */
  maxReplyBytes?: number;
  encoding?: TextEncoding;
}

const FIRST_LINE = /^(\d{3})(?:([ -])(.*))?$/s;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

interface OpenReply {
  code: number;
  lines: string[];
  texts: string[];
}

/**
 * Turns control-connection bytes into replies (RFC 959 §4.2). A multi-line reply ends only at a
 * line starting with its own code and a space (or the bare code); lines in between may start with
 * anything, digits and other codes included.
 *
 * Throws ProtocolError on a malformed first line, a code outside 100–599, or a reply over the cap.
 * Replies completed earlier in the same chunk are lost with the throw: the connection is unusable
 * anyway, and throwing at once keeps a caller from waiting for data that will never make sense.
 */
export class ReplyParser {
  readonly #lines: LineBuffer;
  readonly #encoding: TextEncoding;
  readonly #maxReplyBytes: number;
  #open: OpenReply | undefined;
  /** Wire bytes of the complete lines of the reply being assembled. */
  #openBytes = 0;

  constructor(options: ReplyParserOptions = {}) {
    this.#maxReplyBytes = checkLimit(options.maxReplyBytes ?? DEFAULT_MAX_LINE_BYTES, 'maxReplyBytes');
    this.#lines = new LineBuffer(this.#maxReplyBytes);
    this.#encoding = options.encoding ?? 'utf8';
  }

  /** Bytes held for the reply not yet complete (its complete lines and the partial line). */
  get pendingBytes(): number {
    return this.#openBytes + this.#lines.pendingBytes;
  }

  push(chunk: Buffer): FtpReply[] {
    const out: FtpReply[] = [];
    for (const raw of this.#lines.push(chunk)) {
      this.#openBytes += raw.wireBytes;
      this.#checkSize();
      const reply = this.#accept(raw.bytes.toString(this.#encoding));
      if (reply !== undefined) {
        out.push(reply);
        this.#openBytes = 0;
      }
    }
    this.#checkSize();
    if (this.#open === undefined) this.#checkPartialFirstLine();
    return out;
  }

  #accept(line: string): FtpReply | undefined {
    const open = this.#open;
    if (open === undefined) {
      const m = FIRST_LINE.exec(line);
      if (m === null) throw new ProtocolError(`Malformed reply line: ${preview(line)}`);
      const code = Number(m[1]);
      checkCode(code, line);
      if (m[2] === '-') {
        this.#open = { code, lines: [line], texts: [m[3] ?? ''] };
        return undefined;
      }
      return { code, text: m[3] ?? '', lines: [line] };
    }
    open.lines.push(line);
    const prefix = String(open.code);
    // A bare code also ends the reply: waiting for a "xyz " that never comes would hang the session.
    if (line === prefix || line.startsWith(`${prefix} `)) {
      open.texts.push(line.slice(4));
      this.#open = undefined;
      return { code: open.code, text: open.texts.join('\n'), lines: open.lines };
    }
    open.texts.push(line);
    return undefined;
  }

  /** Rejects an obviously bad first line before its LF arrives (e.g. TLS bytes on a plain socket). */
  #checkPartialFirstLine(): void {
    const head = this.#lines.pendingPrefix(4);
    for (let i = 0; i < head.length; i++) {
      const b = head[i] ?? 0;
      const ok = i < 3 ? b >= DIGIT_0 && b <= DIGIT_9 : b === 0x20 || b === 0x2d || b === 0x0d;
      if (!ok) throw new ProtocolError(`Malformed reply line: ${preview(head.toString('latin1'))}`);
    }
    if (head.length >= 3) checkCode(Number(head.subarray(0, 3).toString('latin1')), head.toString('latin1'));
  }

  #checkSize(): void {
    if (this.pendingBytes > this.#maxReplyBytes) {
      this.#open = undefined;
      throw new ProtocolError(`Reply longer than ${this.#maxReplyBytes} bytes`);
    }
  }
}

function checkCode(code: number, line: string): void {
  if (code < 100 || code > 599) throw new ProtocolError(`Reply code out of range: ${preview(line)}`);
}

/** Keeps error messages short and printable whatever the server sent. */
function preview(line: string): string {
  const shown = line.length > 80 ? `${line.slice(0, 80)}…` : line;
  return JSON.stringify(shown);
}

/** 1yz: the command started; another reply follows. */
export function isPreliminary(code: number): boolean {
  return code >= 100 && code < 200;
}

/** 2yz: done. */
export function isPositive(code: number): boolean {
  return code >= 200 && code < 300;
}

/** 3yz: send the next command of the sequence (e.g. PASS after USER). */
export function isIntermediate(code: number): boolean {
  return code >= 300 && code < 400;
}

/** 4yz: failed, may work if tried again. */
export function isTransientNegative(code: number): boolean {
  return code >= 400 && code < 500;
}

/** 5yz: failed, will fail again. */
export function isPermanentNegative(code: number): boolean {
  return code >= 500 && code < 600;
}
