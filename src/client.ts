// FtpsClient: the public API. One command in flight per connection: calls made concurrently on one
// client are queued in call order (p-queue, concurrency 1), never rejected for being concurrent.
import PQueue from 'p-queue';
import { ClientClosedError, ProtocolError } from './errors.js';
import { optionsFromUrl, resolveOptions, type FtpsClientOptions } from './options.js';
import { formatCommand, formatRawCommand } from './protocol/command.js';
import type { FileInfo } from './protocol/listing/index.js';
import { parsePwdReply } from './protocol/paths.js';
import type { FtpReply } from './protocol/reply.js';
import { parseMdtmTime } from './protocol/time.js';
import { runTransfer, type TransferOutcome } from './session/data.js';
import { expectReply, openSession } from './session/handshake.js';
import type { Session } from './session/session.js';
import { openDestination, openSource, type DownloadDestination, type UploadSource } from './transfer/endpoints.js';
import { ListingSink } from './transfer/listing.js';
import type { TlsInfo } from './transport/tls-info.js';

export interface OperationOptions {
  /** Aborting rejects the call with `signal.reason`; see docs/errors.md for the client's state afterwards. */
  signal?: AbortSignal;
}

export interface TransferResult {
  /** Payload bytes moved. */
  bytes: number;
  durationMs: number;
  /** Whether the data connection resumed the control connection's TLS session (undefined on plain FTP). */
  tlsSessionReused: boolean | undefined;
  /** The server's final reply, e.g. `{ code: 226, text: 'Transfer complete.' }`. */
  reply: { code: number; text: string };
}

function toResult(outcome: TransferOutcome): TransferResult {
  return {
    bytes: outcome.bytes,
    durationMs: outcome.durationMs,
    tlsSessionReused: outcome.tlsSessionReused,
    reply: { code: outcome.reply.code, text: outcome.reply.text },
  };
}

/** Rejects with `signal.reason` as soon as the signal aborts, whatever `task` does. */
function raceAbort<T>(task: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return task;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    task.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class FtpsClient implements AsyncDisposable {
  readonly #session: Session;
  readonly #queue = new PQueue({ concurrency: 1 });
  #closing: Promise<void> | undefined;

  private constructor(session: Session) {
    this.#session = session;
  }

  /**
   * Connects and logs in. Accepts an options object or a URL: `ftps://` (implicit TLS),
   * `ftpes://` (explicit TLS) or `ftp://` (plain FTP), with user, password and port in the URL;
   * `overrides` are merged over what the URL says.
   */
  static async connect(
    target: FtpsClientOptions | string | URL,
    overrides: Partial<FtpsClientOptions> = {},
    { signal }: OperationOptions = {},
  ): Promise<FtpsClient> {
    const base = typeof target === 'string' || target instanceof URL ? optionsFromUrl(target) : target;
    const options = resolveOptions({ ...base, ...overrides } as FtpsClientOptions);
    return new FtpsClient(await openSession(options, signal));
  }

  /** True once the connection is gone (closed by `close()`, by the server, or after a fatal error). */
  get closed(): boolean {
    return this.#closing !== undefined || this.#session.closedBy !== undefined;
  }

  /** Negotiated TLS of the control connection (protocol, cipher, peer certificate); undefined on plain FTP. */
  get tls(): TlsInfo | undefined {
    return this.#session.tlsInfo;
  }

  /** The server's FEAT answer: upper-cased feature name → parameters. */
  get features(): ReadonlyMap<string, string> {
    return this.#session.features;
  }

  /** Queues `op` behind every earlier call on this connection. */
  #run<T>(signal: AbortSignal | undefined, op: (session: Session) => Promise<T>): Promise<T> {
    const task = this.#queue.add(async () => {
      this.#assertOpen();
      signal?.throwIfAborted();
      return op(this.#session);
    });
    // If the caller stops waiting (abort), the task still settles; nobody must see its rejection.
    task.catch(() => undefined);
    return raceAbort(task, signal);
  }

  #assertOpen(): void {
    const cause = this.#session.closedBy;
    if (this.#closing !== undefined || cause !== undefined) {
      throw new ClientClosedError(cause === undefined || cause instanceof ClientClosedError ? 'Client is closed' : `Client is closed: ${cause.message}`, { cause });
    }
  }

  async #command(session: Session, line: string, min = 200, max = 299): Promise<FtpReply> {
    return expectReply(await session.control.request(line), line, min, max);
  }

  /**
   * Sends a raw command line and returns the final reply. Rejects with FtpReplyError on 4xx/5xx.
   * Not for commands that open a data connection (use the transfer methods).
   */
  send(line: string, { signal }: OperationOptions = {}): Promise<FtpReply> {
    const command = formatRawCommand(line);
    return this.#run(signal, (s) => this.#command(s, command, 100, 399));
  }

  /** Current remote directory. */
  pwd({ signal }: OperationOptions = {}): Promise<string> {
    return this.#run(signal, async (s) => parsePwdReply((await this.#command(s, 'PWD', 257, 257)).text));
  }

  /** Changes the remote directory. */
  cd(path: string, { signal }: OperationOptions = {}): Promise<void> {
    const line = formatCommand('CWD', path);
    return this.#run(signal, async (s) => void (await this.#command(s, line)));
  }

  mkdir(path: string, { signal }: OperationOptions = {}): Promise<void> {
    const line = formatCommand('MKD', path);
    return this.#run(signal, async (s) => void (await this.#command(s, line)));
  }

  rmdir(path: string, { signal }: OperationOptions = {}): Promise<void> {
    const line = formatCommand('RMD', path);
    return this.#run(signal, async (s) => void (await this.#command(s, line)));
  }

  /** Deletes a file. */
  remove(path: string, { signal }: OperationOptions = {}): Promise<void> {
    const line = formatCommand('DELE', path);
    return this.#run(signal, async (s) => void (await this.#command(s, line)));
  }

  rename(from: string, to: string, { signal }: OperationOptions = {}): Promise<void> {
    const rnfr = formatCommand('RNFR', from);
    const rnto = formatCommand('RNTO', to);
    return this.#run(signal, async (s) => {
      await this.#command(s, rnfr, 350, 350);
      await this.#command(s, rnto);
    });
  }

  /** Size in bytes (SIZE). */
  size(path: string, { signal }: OperationOptions = {}): Promise<number> {
    const line = formatCommand('SIZE', path);
    return this.#run(signal, async (s) => {
      const reply = await this.#command(s, line, 213, 213);
      const size = Number(reply.text.trim());
      if (!Number.isSafeInteger(size) || size < 0) throw new ProtocolError(`Bad SIZE reply: ${reply.text}`);
      return size;
    });
  }

  /** Modification time (MDTM), in UTC as RFC 3659 specifies. */
  lastModified(path: string, { signal }: OperationOptions = {}): Promise<Date> {
    const line = formatCommand('MDTM', path);
    return this.#run(signal, async (s) => {
      const reply = await this.#command(s, line, 213, 213);
      const parsed = parseMdtmTime(reply.text);
      if (parsed === undefined) throw new ProtocolError(`Bad MDTM reply: ${reply.text}`);
      return parsed.date;
    });
  }

  /**
   * Lists a directory (default: the current one). Uses MLSD when the server advertises MLST,
   * else LIST with the Unix/DOS parsers; entries no parser understands come back as type 'unknown'.
   */
  list(path?: string, { signal }: OperationOptions = {}): Promise<FileInfo[]> {
    return this.#run(signal, async (s) => {
      const mlsd = s.features.has('MLST');
      const line = formatCommand(mlsd ? 'MLSD' : 'LIST', path);
      const entries: FileInfo[] = [];
      const sink = new ListingSink({ format: mlsd ? 'mlsd' : 'auto', encoding: s.options.encoding, onEntry: (e) => entries.push(e) });
      await runTransfer(s, line, { direction: 'download', sink }, signal);
      return entries;
    });
  }

  /**
   * Uploads a local file (path), a Buffer or a Readable to `remotePath` (STOR). Resolves after the
   * server confirmed the whole file (226) and closed the data connection.
   */
  upload(source: UploadSource, remotePath: string, { signal }: OperationOptions = {}): Promise<TransferResult> {
    const line = formatCommand('STOR', remotePath);
    return this.#run(signal, async (s) => toResult(await runTransfer(s, line, { direction: 'upload', source: openSource(source) }, signal)));
  }

  /**
   * Downloads `remotePath` (RETR) into a local file (path) or a Writable, which is ended when the
   * transfer ends. On failure the promise rejects; a local file may then hold a partial download.
   */
  download(remotePath: string, destination: DownloadDestination, { signal }: OperationOptions = {}): Promise<TransferResult> {
    const line = formatCommand('RETR', remotePath);
    return this.#run(signal, async (s) => toResult(await runTransfer(s, line, { direction: 'download', sink: openDestination(destination) }, signal)));
  }

  /**
   * Closes the connection: QUIT when idle, at once otherwise (calls in flight or queued reject with
   * ClientClosedError). Idempotent; later calls reject with ClientClosedError.
   */
  close(): Promise<void> {
    this.#closing ??= this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    const { control, options } = this.#session;
    // Queued calls still run, and reject at once with ClientClosedError (#assertOpen).
    if (this.#queue.pending > 0) control.destroy(new ClientClosedError('Client closed during the operation'));
    else await control.quit(Math.min(options.timeouts.reply, 5_000));
    this.#session.markClosed(new ClientClosedError());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
