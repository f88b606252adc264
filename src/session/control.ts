// The control connection: writes command lines and hands out replies in order. Replies that
// arrive while nobody waits (a 421 at any time) are queued and handed to the next reader.
import type { Socket } from 'node:net';
import { ClientClosedError, ConnectionError, FtpReplyError, ProtocolError, ReplyTimeoutError } from '../errors.js';
import { publish as diagnostics, notePeer } from '../diagnostics.js';
import { logControl } from '../log.js';
import { MAX_TIMER_MS } from '../options.js';
import { encodeCommand, redactCommand } from '../protocol/command.js';
import { endAndWaitClose } from '../transport/close.js';
import { ReplyParser, type FtpReply } from '../protocol/reply.js';

/** More unread replies than this means the server is flooding us. */
const MAX_QUEUED_REPLIES = 32;

interface Waiter {
  resolve: (reply: FtpReply) => void;
  reject: (err: unknown) => void;
}

export interface ControlOptions {
  maxReplyBytes: number;
  encoding: 'utf8' | 'latin1';
  replyTimeoutMs: number;
  /** Called once when the connection is gone for good, with the reason. */
  onClosed?: (err: Error) => void;
}

/** Throws FtpReplyError (command redacted) unless the reply code is in [min, max]. */
export function expectReply(reply: FtpReply, command: string, min = 200, max = 299): FtpReply {
  if (reply.code < min || reply.code > max) throw new FtpReplyError(reply.code, reply.text, command);
  return reply;
}

export class ControlConnection {
  #socket: Socket;
  readonly #parser: ReplyParser;
  readonly #options: ControlOptions;
  readonly #queue: FtpReply[] = [];
  #waiter: Waiter | undefined;
  /** Told about every reply that arrives (and the end of the connection); see replyWaiting(). */
  #watchers: (() => void)[] = [];
  #error: Error | undefined;
  readonly #onData = (chunk: Buffer): void => this.#receive(chunk);
  readonly #onError = (err: Error): void =>
    this.destroy(new ConnectionError(`Control connection failed: ${err.message}`, { cause: err }));
  readonly #onClose = (): void => this.destroy(new ConnectionError('Server closed the control connection'));

  constructor(socket: Socket, options: ControlOptions) {
    this.#options = options;
    this.#parser = new ReplyParser({ maxReplyBytes: options.maxReplyBytes, encoding: options.encoding });
    this.#socket = socket;
    this.#listen(socket);
    notePeer(this, socket);
  }

  get socket(): Socket {
    return this.#socket;
  }

  /** Set once the connection is unusable; the reason. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Replies that arrived while nobody was reading. */
  get queuedReplies(): number {
    return this.#queue.length;
  }

  /** Resolves once a reply has arrived (or the connection is gone), without reading it. */
  replyWaiting(): Promise<void> {
    if (this.#queue.length > 0 || this.#error !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push(resolve));
  }

  #notifyWatchers(): void {
    for (const watcher of this.#watchers.splice(0)) watcher();
  }

  #listen(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  #unlisten(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
  }

  #receive(chunk: Buffer): void {
    let replies: FtpReply[];
    try {
      replies = this.#parser.push(chunk);
    } catch (err) {
      this.destroy(err instanceof Error ? err : new ProtocolError(String(err)));
      return;
    }
    for (const reply of replies) {
      logControl('< %s', reply.lines.join('\n'));
      diagnostics.reply(this, reply.code, reply.text);
      const waiter = this.#waiter;
      if (waiter !== undefined) {
        this.#waiter = undefined;
        waiter.resolve(reply);
      } else if (this.#queue.push(reply) > MAX_QUEUED_REPLIES) {
        this.destroy(new ProtocolError(`Server sent more than ${MAX_QUEUED_REPLIES} unrequested replies`));
        return;
      }
      this.#notifyWatchers();
      // 421: the server is closing the connection (RFC 959), whether or not it then does. The
      // reply still reaches its reader (or the next one) first.
      if (reply.code === 421) {
        this.destroy(new FtpReplyError(reply.code, reply.text));
        return;
      }
    }
  }

  /**
   * Hands the raw socket over for the AUTH TLS upgrade. Bytes that arrived after the 234 would be
   * plaintext injected before the handshake, so they are a protocol error.
   */
  releaseForUpgrade(): Socket {
    if (this.#parser.pendingBytes > 0 || this.#queue.length > 0) {
      const err = new ProtocolError('Server sent data after 234 before the TLS handshake');
      this.destroy(err);
      throw err;
    }
    this.#unlisten(this.#socket);
    return this.#socket;
  }

  /** Continues on the upgraded socket. */
  adopt(socket: Socket): void {
    this.#socket = socket;
    this.#listen(socket);
  }

  /**
   * Sends a command line. `outstanding`: replies to an earlier command are still due (ABOR during
   * a transfer), so queued replies are kept for their reader instead of discarded as stale.
   */
  write(line: string, outstanding = false): void {
    if (this.#error !== undefined) throw this.#error;
    // A reply waiting now answers no command we have outstanding (a late reply after a broken
    // transfer, say); left here it would be taken as the answer to this one.
    if (this.#queue.length > 0 && !outstanding) {
      logControl(
        'discarding %d stale repl%s before "%s"',
        this.#queue.length,
        this.#queue.length === 1 ? 'y' : 'ies',
        redactCommand(line),
      );
      this.#queue.length = 0;
    }
    logControl('> %s', redactCommand(line));
    diagnostics.command(this, redactCommand(line));
    this.#socket.write(encodeCommand(line, this.#options.encoding));
  }

  /**
   * The next reply. `timeoutMs` (default: the reply timeout; `0` for none) bounds the wait; when it
   * runs out the connection is destroyed, since the reply may still come and would be taken as the
   * answer to the next command.
   */
  read(
    timeoutMs: number = this.#options.replyTimeoutMs,
    onTimeout = (): Error => new ReplyTimeoutError(`No reply from the server within ${timeoutMs} ms`),
  ): Promise<FtpReply> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#waiter !== undefined) return Promise.reject(new Error('BUG: two readers on one control connection'));
    return new Promise<FtpReply>((resolve, reject) => {
      // 0, or the longest timer (timeouts set to Infinity): no timer. Longer sums would overflow Node's timer.
      const timer =
        timeoutMs > 0 && timeoutMs < MAX_TIMER_MS ? setTimeout(() => this.destroy(onTimeout()), timeoutMs) : undefined;
      this.#waiter = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
  }

  /**
   * Sends a command and returns its final (non-1xx) reply. `timeoutMs` (default: the reply
   * timeout) bounds the whole command, preliminary replies included: a server that keeps sending
   * 1xx cannot hold the connection forever.
   */
  async request(line: string, timeoutMs: number = this.#options.replyTimeoutMs): Promise<FtpReply> {
    this.write(line);
    const deadline = performance.now() + timeoutMs;
    const onTimeout = (): Error =>
      new ReplyTimeoutError(`No final reply to "${redactCommand(line)}" within ${timeoutMs} ms`);
    for (;;) {
      const reply = await this.read(Math.max(1, deadline - performance.now()), onTimeout);
      if (reply.code >= 200) return reply;
    }
  }

  /**
   * Sends several commands in one write and returns their final replies in order: one round trip
   * instead of one per command. Only for commands that are sent whatever the earlier ones answer
   * (every FTP server we know reads pipelined lines in order; RFC 959 does not forbid it). One
   * reply timeout covers the whole batch. `onReply` sees each final reply as it arrives and may
   * throw, e.g. for a refusal after which the server closes the connection before the later replies.
   */
  async requestAll(
    lines: readonly string[],
    onReply?: (reply: FtpReply, index: number) => void,
    timeoutMs: number = this.#options.replyTimeoutMs,
  ): Promise<FtpReply[]> {
    if (this.#error !== undefined) throw this.#error;
    if (this.#queue.length > 0) this.#queue.length = 0; // stale replies, as in write()
    for (const line of lines) {
      logControl('> %s', redactCommand(line));
      diagnostics.command(this, redactCommand(line));
    }
    this.#socket.write(Buffer.concat(lines.map((line) => encodeCommand(line, this.#options.encoding))));
    const deadline = performance.now() + timeoutMs;
    const replies: FtpReply[] = [];
    for (const line of lines) {
      const onTimeout = (): Error =>
        new ReplyTimeoutError(`No final reply to "${redactCommand(line)}" within ${timeoutMs} ms`);
      let reply = await this.read(Math.max(1, deadline - performance.now()), onTimeout);
      while (reply.code < 200) reply = await this.read(Math.max(1, deadline - performance.now()), onTimeout);
      onReply?.(reply, replies.length);
      replies.push(reply);
    }
    return replies;
  }

  /** Tears the connection down at once; pending and later reads reject with `err`. Idempotent. */
  destroy(err: Error = new ClientClosedError()): void {
    if (this.#error !== undefined) return;
    this.#error = err;
    logControl('closed: %s', err.message);
    diagnostics.close(this, err);
    this.#unlisten(this.#socket);
    this.#socket.on('error', () => undefined); // late errors of a socket we already gave up on
    this.#socket.destroy();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(err);
    this.#notifyWatchers();
    this.#options.onClosed?.(err);
  }

  /** Polite close: QUIT, wait briefly for the answer, then end the socket (close_notify on TLS). */
  async quit(timeoutMs: number): Promise<void> {
    if (this.#error !== undefined) return;
    try {
      this.write('QUIT');
      await this.read(timeoutMs);
    } catch {
      // The server may close without answering QUIT; either way we are done.
    }
    const socket = this.#socket;
    if (this.#error === undefined) {
      this.#unlisten(socket);
      this.#error = new ClientClosedError();
      diagnostics.close(this, this.#error);
      this.#options.onClosed?.(this.#error);
    }
    await endAndWaitClose(socket, timeoutMs);
  }
}
