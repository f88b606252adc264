/**
 * FakeFtpServer: a small, strict, scriptable FTP/FTPS server (node:net + node:tls) over an in-memory
 * file system, for fault-injection tests of the client. Listens on 127.0.0.1 (or ::1), port 0.
 *
 *   const server = new FakeFtpServer({ mode: 'explicit' });
 *   await server.start();                      // server.host, server.port
 *   ... run the client ...
 *   assert.deepEqual(server.violations, []);   // client misbehaviour the server noticed
 *   await server.waitForIdle(2000);            // the client left no socket open
 *   await server.close();
 *
 * Hooks: `server.hook(verb, handler, { times })` runs `handler(ctx)` instead of the default for that
 * verb ('CONNECT' = the greeting, '*' = any command). The handler may `ctx.reply(text)`,
 * `ctx.writeRaw(bytes)`, `await ctx.stall()`, `ctx.close()`, `ctx.destroy()`, `await ctx.next(opts)`,
 * or `return 'default'`. Returning without replying leaves the command unanswered. Commands are
 * handled one at a time, so a stalled handler also holds back later commands (like a hung server).
 * Ready-made handlers are in `faults` below. Per-transfer faults: `server.nextTransfer(fault)` or
 * `ctx.next({ transfer: fault })`.
 *
 * Recipes:
 *   stall on a command:          server.hook('PWD', faults.stall())
 *   421 then close, anywhere:    server.hook('RETR', faults.replyAndClose())   // or 'CONNECT' for the greeting
 *   120 then 220 greeting:       server.hook('CONNECT', faults.greeting120())
 *   AUTH refused:                server.hook('AUTH', faults.reply('534 Policy requires no TLS'))
 *   garbage after 234:           server.hook('AUTH', faults.garbageAfter234())
 *   PROT P refused:              server.hook('PROT', faults.reply('536 PROT P not supported'))
 *   bogus 227 (10.1.2.3):        server.hook('EPSV', faults.reply('502 no')); server.hook('PASV', faults.bogusPasv())
 *   huge endless reply:          server.hook('FEAT', faults.hugeReply())     // until the client closes
 *   reset control mid-transfer:  server.nextTransfer({ after: { bytes: 1000, action: 'reset-control' } })
 *   close/reset DATA after N:    server.nextTransfer({ after: { bytes: 1000, action: 'close' | 'reset' } })
 *   never send the 226:          server.nextTransfer({ omitFinalReply: true })
 *   slow/stalled data:           server.nextTransfer({ stall: true })   // 150, then nothing on the data socket
 *   reset control:               server.hook('NOOP', faults.reset())
 *   per-client connection limit: new FakeFtpServer({ mode, maxConnections: 2 })   // 3rd at once: 421 + close
 *   hostile listing:             server.listings.set('/dir', ['-rw-r--r-- 1 o g 3 May 06 07:08 ../evil'])
 *                                // raw lines served for LIST and MLSD of /dir (RETR still uses server.fs)
 *   wrong hash:                  server.hook('HASH', faults.reply('213 SHA-256 0-3 <64 hex digits> f'))
 *
 * Hashes: list 'HASH SHA-256*;SHA-1;MD5;CRC32' (OPTS HASH + HASH per draft-bryan-ftpext-hash) and/or
 * 'XSHA256', 'XSHA512', 'XSHA1', 'XSHA', 'XMD5', 'XCRC' in `features` to enable those commands.
 * `keepPartialUploads: true` stores what arrived of a failed STOR/APPE, as real servers do.
 *
 * ABOR (`abor` option): 'queued' (default, like vsftpd without async_abor_enable) handles ABOR in
 * turn like any command, so during a transfer it waits until the transfer has ended (the client
 * closing the data connection ends it), then answers 225. The other modes read ABOR at once, even
 * during a transfer, which they then stop (closing the data connection), answering: 'rfc' 426 for
 * the transfer then 226 for ABOR; '226' or '225' that one reply alone. A transfer whose data
 * connection the client broke waits up to 1 s for the ABOR in these modes (as a server polling its
 * control connection would see it first). 'never': ABOR and everything after it go unanswered.
 * Outside a transfer every mode but 'never' answers ABOR with 225 ('rfc' and '226': 226).
 */
import net from 'node:net';
import type tls from 'node:tls';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { FakeFs } from './fake-fs.js';
import { TlsEndpoint, type ServerTls } from './fake-tls.js';
import { testCertificate } from './certs.js';

/** `'explicit'`: AUTH TLS on a plain greeting; `'implicit'`: TLS from the first byte; `'plain'`: no TLS. */
export type FakeServerMode = 'implicit' | 'explicit' | 'plain';

/** Options of {@link FakeFtpServer}: the scripted server behind {@link startTestServer}. */
export interface FakeServerOptions {
  /** TLS mode. */
  mode: FakeServerMode;
  /** Address to listen on (loopback only). Default `'127.0.0.1'`. */
  host?: '127.0.0.1' | '::1';
  /**
   * Lowest TLS version accepted. Default `'TLSv1.2'`. `'TLSv1'` or `'TLSv1.1'` makes the server
   * accept those deprecated versions (OpenSSL security level 0), for testing how a client or probe
   * treats a legacy server.
   */
  minVersion?: tls.SecureVersion;
  /** Highest TLS version accepted. Default `'TLSv1.3'`. */
  maxVersion?: tls.SecureVersion;
  /** Key and certificate (PEM) to present. Default {@link testCertificate}. */
  cert?: {
    /** Private key (PEM). */
    key: string | Buffer;
    /** Certificate chain (PEM). */
    cert: string | Buffer;
  };
  /** Accepted logins, user → password. Default `{ user: 'pass' }`. */
  users?: Record<string, string>;
  /** Default true: a data TLS connection that did not resume the control session gets 425. */
  requireSessionReuse?: boolean;
  /**
   * Default 'after-preliminary' (TLS read after the 1xx; bytes sent earlier wait in the buffer).
   * 'strict': any byte on the data connection before the command (looked at one event-loop turn
   * after reading it, so bytes already sent are seen) → connection closed and 425.
   */
  dataTls?: 'after-preliminary' | 'strict';
  /** Default true; false → EPSV answered 502. */
  epsv?: boolean;
  /**
   * FEAT lines (without the leading space). Default EPSV, PASV, SIZE, MDTM, REST STREAM, UTF8, AUTH TLS,
   * PBSZ, PROT and MLST; HASH and the X hash commands answer only when listed here.
   */
  features?: string[];
  /** Initial files by absolute path, e.g. `{ '/in/a.txt': 'hello' }`. */
  files?: Record<string, string | Buffer>;
  /** How long a transfer command waits for the client's data connection (default 5000 ms). */
  dataConnectTimeoutMs?: number;
  /** How long a passive listener waits for a connection at all (default 10000 ms). */
  passiveTimeoutMs?: number;
  /**
   * Most control connections open at once (all clients come from the same address, so this is the
   * per-client limit of vsftpd `max_per_ip` / pure-ftpd `-C`). Beyond it a new connection gets
   * `tooManyReply` instead of the greeting and is closed. Default: no limit.
   */
  maxConnections?: number;
  /** Default '421 There are too many connections from your internet address.' (vsftpd's words). */
  tooManyReply?: string;
  /** Default true; false → EPRT answered 502 (the client falls back to PORT). */
  eprt?: boolean;
  /** Default false (522 like vsftpd force_local_data_ssl). True: PROT C data connections are served in clear text. */
  allowClearData?: boolean;
  /** Default false. True: a failed STOR/APPE leaves the bytes received so far (like real servers). */
  keepPartialUploads?: boolean;
  /** How ABOR is handled (see {@link AborMode}). Default 'queued'. */
  abor?: AborMode;
  /**
   * Default false. True, like pure-ftpd 1.0.50's static listing buffer: a listing (LIST, MLSD) whose
   * data connection breaks before its end keeps its unsent lines, and the next listing on that
   * control connection sends them first, as if they were its own.
   */
  listingLeftover?: boolean;
}

/**
 * How the fake server handles ABOR: 'queued' in turn, after any transfer (vsftpd's default); 'rfc',
 * '226', '225' at once, stopping the transfer and answering 426 + 226, 226 alone or 225 alone;
 * 'never' leaves ABOR and everything after it unanswered.
 */
export type AborMode = 'queued' | 'rfc' | '226' | '225' | 'never';

/** What {@link TransferFault.after} does once its byte count is reached (see there). */
export type FaultAction =
  'close' | 'reset' | 'stall' | 'stop-reading' | 'close-control' | 'reset-control' | 'truncate' | 'truncate-mid-record';

/** A fault for the next data transfer: {@link FakeFtpServer.nextTransfer} or {@link faults}.transfer. */
export interface TransferFault {
  /** Accept the data connection, send 150, then nothing: no TLS handshake, no bytes, no final reply. */
  stall?: boolean;
  /**
   * After `bytes` payload bytes (RETR/LIST: sent, STOR/APPE: received): 'close' = TCP FIN without
   * close_notify, 'reset' = RST, 'stall' = keep the data socket open and silent, 'close-control' /
   * 'reset-control' = end / reset the control connection. Uploads: 'stop-reading' = consume nothing
   * from the data socket for 1 s (TCP backpressure builds up to the client), then read on and discard.
   * Data faults then reply 426 (unless omitted).
   * Downloads only, replying 226 as if all went well (the TLS truncation attack):
   * 'truncate' = TCP FIN without close_notify; 'truncate-mid-record' = the next TLS record is cut
   * after a few bytes, then FIN (on plain FTP both are a bare FIN).
   */
  after?: {
    /** Payload bytes to let through first. */
    bytes: number;
    /** What happens then. */
    action: FaultAction;
  };
  /**
   * Downloads, with `after` 'close' or 'reset': the order of the 426 and the data connection's end, which
   * otherwise race. 'reply-first': the 426, then the action once the client has closed the data connection
   * (or 200 ms later); 'data-first': the action, then the 426 once the data connection has closed.
   */
  order?: 'reply-first' | 'data-first';
  /** Never send the final 226/426 reply. */
  omitFinalReply?: boolean;
  /** Replace the 150 reply's text, e.g. '150 Opening BINARY mode data connection for f (100 bytes).' */
  preliminary?: string;
  /** Replace the final reply of a successful transfer (e.g. '451 Local error'). */
  finalReply?: string;
}

/** One command line the server received ({@link FakeFtpServer.log}). */
export interface LogEntry {
  /** The line as received, without CRLF (PASS arguments included: test credentials only). */
  line: string;
  /** Whether it arrived over TLS. */
  secure: boolean;
  /** Which control connection: 1, 2, … in the order they were accepted. */
  connection: number;
}

/** The state of one control connection's session, as a hook sees it ({@link HookContext.state}). */
export interface SessionState {
  /** The USER given, if any. */
  user: string | undefined;
  /** PASS accepted. */
  loggedIn: boolean;
  /** Current folder (absolute). */
  cwd: string;
  /** PBSZ received. */
  pbsz: boolean;
  /** Data protection: `'C'` clear, `'P'` private (TLS). */
  prot: 'C' | 'P';
  /** TYPE: `'A'` ASCII, `'I'` binary. */
  type: 'A' | 'I';
  /** The REST offset for the next transfer (0: none). */
  rest: number;
  /** The path given to RNFR, waiting for RNTO. */
  renameFrom: string | undefined;
  /** Algorithm selected with OPTS HASH (undefined: the one FEAT marks with '*'). */
  hashAlgorithm?: string;
}

/** What a hook returns: `'default'` to run the server's own handling of the command afterwards, else nothing. */
export type HookResult = 'default' | void;
/**
 * A handler for one command (or the greeting, verb `'CONNECT'`), registered with
 * {@link FakeFtpServer.hook}; ready-made ones are in {@link faults}. It replaces the server's
 * handling unless it returns `'default'` (or calls `ctx.next()`).
 */
export type Hook = (ctx: HookContext) => HookResult | Promise<HookResult>;

/** What a {@link Hook} gets: the command, the session, and the means to answer or misbehave. */
export interface HookContext {
  /** The server. */
  readonly server: FakeFtpServer;
  /** Upper-case verb, 'CONNECT' for the greeting. */
  readonly verb: string;
  /** The command's argument ('' for none). */
  readonly arg: string;
  /** The whole command line as received. */
  readonly line: string;
  /** Which control connection (as {@link LogEntry.connection}). */
  readonly connection: number;
  /** Whether the control connection is TLS right now. */
  readonly secure: boolean;
  /** This connection's session state; hooks may change it. */
  readonly state: SessionState;
  /** Sends a reply; '\n'-separated lines are sent with CRLF. Resolves when written. */
  reply(text: string): Promise<void>;
  /** Writes bytes as they are on the control connection (no CRLF added): for malformed replies. */
  writeRaw(data: string | Buffer): Promise<void>;
  /** Never answer: resolves when the control connection closes. */
  stall(): Promise<void>;
  /** Graceful close of the control connection (close_notify + FIN on TLS). */
  close(): void;
  /** Reset (RST) the control connection. */
  destroy(): void;
  /** Runs the default behaviour for this command (once). */
  next(opts?: { transfer?: TransferFault }): Promise<void>;
  /** Opens a passive listener (replacing any previous one) and returns its port. */
  openPassive(): Promise<number>;
  /** Discard all further input on this control connection. */
  ignoreInput(): void;
  /** Writes `code-…` lines until `totalBytes` (default: endless) or the socket closes; honours backpressure. */
  flood(opts?: { code?: string; totalBytes?: number; lineLength?: number; terminate?: boolean }): Promise<void>;
}

/** Ready-made hook handlers, for {@link FakeFtpServer.hook}. */
export const faults = {
  /** Answers with `text` (e.g. `'550 No.'`) instead of handling the command. */
  reply:
    (text: string): Hook =>
    async (ctx) => {
      await ctx.reply(text);
    },
  /** Never answers. */
  stall: (): Hook => (ctx) => ctx.stall(),
  /** Answers with `text` (default a 421), then closes the control connection. */
  replyAndClose:
    (text = '421 Service not available, closing control connection.'): Hook =>
    async (ctx) => {
      await ctx.reply(text);
      ctx.close();
    },
  /** Closes the control connection without an answer. */
  close: (): Hook => (ctx) => ctx.close(),
  /** Resets (RST) the control connection. */
  reset: (): Hook => (ctx) => ctx.destroy(),
  /** For 'CONNECT': a 120 "ready in a moment" first, then after `delayMs` the usual greeting. */
  greeting120:
    (delayMs = 50): Hook =>
    async (ctx): Promise<HookResult> => {
      await ctx.reply('120 Service ready in a moment.');
      await new Promise((r) => setTimeout(r, delayMs));
      return 'default';
    },
  /** For AUTH: 234, then `garbage` in clear text instead of a TLS handshake. */
  garbageAfter234:
    (garbage: string | Buffer = 'this is definitely not a TLS ServerHello\r\n'): Hook =>
    async (ctx) => {
      ctx.ignoreInput();
      await ctx.reply('234 Proceed with negotiation.');
      await ctx.writeRaw(garbage);
    },
  /** For PASV: opens a listener but names `host` (default 10.1.2.3) in the 227 reply, as a server behind NAT. */
  bogusPasv:
    (host = '10,1,2,3'): Hook =>
    async (ctx) => {
      const port = await ctx.openPassive();
      await ctx.reply(`227 Entering Passive Mode (${host},${port >> 8},${port & 255}).`);
    },
  /** An endless (or `totalBytes` long) multi-line reply, to test reply size caps. */
  hugeReply:
    (opts: { code?: string; totalBytes?: number } = {}): Hook =>
    (ctx) =>
      ctx.flood(opts),
  /** Handles the command as usual, with `transfer` applied to its data transfer. */
  transfer:
    (transfer: TransferFault): Hook =>
    (ctx) =>
      ctx.next({ transfer }),
};

/** The FEAT lines the server announces unless `features` is given (tests extend it). @internal */
export const DEFAULT_FEATURES = [
  'EPSV',
  'PASV',
  'SIZE',
  'MDTM',
  'REST STREAM',
  'UTF8',
  'AUTH TLS',
  'PBSZ',
  'PROT',
  'MLST type*;size*;modify*;',
];
const MAX_LINE = 8192;

interface HookEntry {
  verb: string;
  handler: Hook;
  times: number;
}

interface Passive {
  listener: net.Server;
  port: number;
  socket: net.Socket | undefined;
  waiters: ((s: net.Socket | undefined) => void)[];
  timer: NodeJS.Timeout;
  closed: boolean;
}

/**
 * The scripted FTP/FTPS server behind {@link startTestServer}, for hooks beyond {@link TestServerFaults}:
 * any command's answer ({@link FakeFtpServer.hook}), any transfer's fault ({@link FakeFtpServer.nextTransfer}),
 * raw listings, connection limits, active mode. Its API may change between minor versions; the
 * module comment of src/testing/server.ts lists recipes. Listens on loopback only.
 */
export class FakeFtpServer {
  /** The options in force, defaults filled in. Tests may change them while the server runs (e.g. `maxConnections`). */
  readonly options: Required<Omit<FakeServerOptions, 'cert' | 'files' | 'maxConnections'>> & {
    /** Most control connections at once (`Infinity`: no limit). */
    maxConnections: number;
  };
  /** @internal The in-memory file system (the project's own tests reach into it; use `files`). */
  readonly fs: FakeFs;
  /** Every command line received, in order, with transport info. */
  readonly log: LogEntry[] = [];
  /** isSessionReused() per data TLS connection, in order. */
  readonly dataReuse: boolean[] = [];
  /** Client misbehaviour noticed by the server (login before AUTH, no session reuse, truncated upload…). */
  readonly violations: string[] = [];
  /** Socket/TLS errors seen by the server. */
  readonly errors: string[] = [];
  /**
   * Raw listing lines by absolute folder path: when set, LIST and MLSD of that folder send these
   * lines (CRLF-terminated) instead of the file system's entries. For hostile-listing tests.
   */
  readonly listings = new Map<string, string[]>();
  /** Connections refused because of `maxConnections`. */
  refusedConnections = 0;
  /** Most control connections that were open at once. */
  peakConnections = 0;
  /** @internal The TLS side of the control and data connections; undefined in plain mode. */
  readonly tlsEndpoint: TlsEndpoint | undefined;
  /** Active mode: every EPRT/PORT target announced, in order. */
  readonly activeTargets: {
    /** The address the client announced. */
    host: string;
    /** The port the client announced. */
    port: number;
  }[] = [];
  /** Active mode: the local address the server connects from (default: any; set to test the client's peer check). */
  activeSource: string | undefined;
  /** Active mode: never connect to the client (the transfer then gets 425 after dataConnectTimeoutMs). */
  activeNeverConnects = false;
  private readonly hooks: HookEntry[] = [];
  private readonly transferFaults: TransferFault[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly listeners = new Set<net.Server>();
  /** @internal The open control connections. */
  readonly connections = new Set<ControlConnection>();
  private main: net.Server | undefined;
  private connectionCount = 0;

  constructor(opts: FakeServerOptions) {
    this.options = {
      mode: opts.mode,
      host: opts.host ?? '127.0.0.1',
      minVersion: opts.minVersion ?? 'TLSv1.2',
      maxVersion: opts.maxVersion ?? 'TLSv1.3',
      users: opts.users ?? { user: 'pass' },
      requireSessionReuse: opts.requireSessionReuse ?? true,
      dataTls: opts.dataTls ?? 'after-preliminary',
      epsv: opts.epsv ?? true,
      features: opts.features ?? DEFAULT_FEATURES,
      dataConnectTimeoutMs: opts.dataConnectTimeoutMs ?? 5000,
      passiveTimeoutMs: opts.passiveTimeoutMs ?? 10000,
      maxConnections: opts.maxConnections ?? Infinity,
      tooManyReply: opts.tooManyReply ?? '421 There are too many connections from your internet address.',
      keepPartialUploads: opts.keepPartialUploads ?? false,
      abor: opts.abor ?? 'queued',
      allowClearData: opts.allowClearData ?? false,
      eprt: opts.eprt ?? true,
      listingLeftover: opts.listingLeftover ?? false,
    };
    this.fs = new FakeFs(opts.files);
    if (opts.mode !== 'plain') {
      this.tlsEndpoint = new TlsEndpoint({
        key: opts.cert?.key ?? testCertificate.key,
        cert: opts.cert?.cert ?? testCertificate.cert,
        minVersion: this.options.minVersion,
        maxVersion: this.options.maxVersion,
      });
    }
  }

  /** The address it listens on. */
  get host(): string {
    return this.options.host;
  }

  /** The port the kernel chose; throws before `start()`. */
  get port(): number {
    const addr = this.main?.address();
    if (!addr || typeof addr === 'string') throw new Error('FakeFtpServer not started');
    return addr.port;
  }

  /** Every command line received, in order (the `line` of each {@link LogEntry}). */
  get commands(): string[] {
    return this.log.map((e) => e.line);
  }

  /** The files by absolute path, live: what clients uploaded is here, and tests may add or change files. */
  get files(): Map<string, Buffer> {
    return this.fs.files;
  }

  /** Starts listening on `host`, on a kernel-chosen port. */
  async start(): Promise<void> {
    const main = net.createServer({ allowHalfOpen: true, noDelay: true }, (raw) => this.onConnection(raw));
    this.main = main;
    await new Promise<void>((resolve, reject) => {
      main.once('error', reject);
      main.listen(0, this.options.host, () => resolve());
    });
  }

  /** Destroys every socket and listener. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const l of this.listeners) l.close();
    this.listeners.clear();
    for (const c of this.connections) c.shutdown();
    const main = this.main;
    if (main) await new Promise<void>((resolve) => main.close(() => resolve()));
  }

  /** Control + data sockets and passive listeners still open. */
  openSockets(): number {
    return this.sockets.size + this.listeners.size;
  }

  /** Resolves when openSockets() is 0, rejects after timeoutMs. */
  async waitForIdle(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.openSockets() > 0) {
      if (Date.now() > deadline) {
        throw new Error(
          `FakeFtpServer not idle after ${timeoutMs} ms: ${this.sockets.size} socket(s), ${this.listeners.size} listener(s) open`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Registers a hook for `verb` ('CONNECT', '*', or a command); returns a function removing it. */
  hook(verb: string, handler: Hook, opts: { times?: number } = {}): () => void {
    const entry: HookEntry = { verb: verb.toUpperCase(), handler, times: opts.times ?? Infinity };
    this.hooks.push(entry);
    return () => {
      const i = this.hooks.indexOf(entry);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /** Applies `fault` to the next data transfer (RETR, STOR, APPE, LIST, NLST, MLSD). */
  nextTransfer(fault: TransferFault): void {
    this.transferFaults.push(fault);
  }

  /** @internal */
  takeHook(verb: string): Hook | undefined {
    const entry =
      this.hooks.find((h) => h.verb === verb) ?? this.hooks.find((h) => h.verb === '*' && verb !== 'CONNECT');
    if (!entry) return undefined;
    if (--entry.times <= 0) this.hooks.splice(this.hooks.indexOf(entry), 1);
    return entry.handler;
  }

  /** @internal */
  takeTransferFault(): TransferFault {
    return this.transferFaults.shift() ?? {};
  }

  /** @internal */
  track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('error', (err: NodeJS.ErrnoException) => this.errors.push(`${err.code ?? ''} ${err.message}`));
    s.on('close', () => this.sockets.delete(s));
  }

  /** @internal */
  trackListener(l: net.Server, open: boolean): void {
    if (open) this.listeners.add(l);
    else this.listeners.delete(l);
  }

  private onConnection(raw: net.Socket): void {
    this.track(raw);
    const conn = new ControlConnection(this, raw, ++this.connectionCount);
    this.connections.add(conn);
    this.peakConnections = Math.max(this.peakConnections, this.connections.size);
    raw.on('close', () => {
      conn.shutdown();
      this.connections.delete(conn);
    });
    conn.begin();
  }
}

type Writable = net.Socket | tls.TLSSocket;

/** One control connection. @internal */
export class ControlConnection {
  readonly state: SessionState = {
    user: undefined,
    loggedIn: false,
    cwd: '/',
    pbsz: false,
    prot: 'C',
    type: 'A',
    rest: 0,
    renameFrom: undefined,
  };
  secure = false;
  /** Turned away because of `maxConnections`. */
  refused = false;
  private sock: Writable;
  private buf = Buffer.alloc(0);
  private queue: Promise<void> = Promise.resolve();
  private ignoring = false;
  /** The transfer in progress (after its 1xx), for an ABOR read at once; see `abor`. */
  private running: RunningTransfer | undefined;
  /** The unsent lines of a broken listing, with `listingLeftover`: sent before the next listing's own. */
  private listingRest: Buffer | undefined;
  private holding = false;
  private passive: Passive | undefined;
  /** Where to connect for the next transfer (EPRT/PORT: active mode). */
  private active: { host: string; port: number } | undefined;
  /** Data sockets of transfers in progress: destroyed with the control connection. */
  private readonly activeData = new Set<net.Socket>();
  private closedResolve!: () => void;
  readonly closed = new Promise<void>((r) => {
    this.closedResolve = r;
  });
  private isClosed = false;
  private readonly onData = (chunk: Buffer): void => this.feed(chunk);

  constructor(
    readonly server: FakeFtpServer,
    readonly raw: net.Socket,
    readonly id: number,
  ) {
    this.sock = raw;
  }

  begin(): void {
    if (this.server.options.mode === 'implicit') {
      const t = this.upgrade();
      void t.secure.then((ok) => {
        if (ok) this.enqueue('CONNECT', '', '');
      });
    } else {
      this.attachPlain();
      this.enqueue('CONNECT', '', '');
    }
  }

  shutdown(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closePassive();
    for (const s of this.activeData) s.destroy();
    this.raw.destroy();
    this.closedResolve();
  }

  private attachPlain(): void {
    this.raw.on('data', this.onData);
    this.raw.on('end', () => this.sock.end());
  }

  private upgrade(): ServerTls {
    const endpoint = this.server.tlsEndpoint;
    if (!endpoint) throw new Error('no TLS in plain mode');
    this.raw.removeListener('data', this.onData);
    const pre = this.buf;
    this.buf = Buffer.alloc(0);
    const t = endpoint.accept(this.raw, (err) => this.server.errors.push(`control TLS: ${err.message}`), pre);
    this.sock = t.tls;
    this.secure = true;
    t.tls.on('data', this.onData);
    t.tls.on('end', () => t.tls.end());
    return t;
  }

  private feed(chunk: Buffer): void {
    if (this.ignoring) return;
    this.buf = Buffer.concat([this.buf, chunk]);
    this.drainLines();
  }

  private drainLines(): void {
    while (!this.holding && !this.ignoring) {
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) {
        if (this.buf.length > MAX_LINE) {
          this.buf = Buffer.alloc(0);
          this.server.violations.push('command line too long');
          void this.write('500 Command line too long.\r\n');
        }
        return;
      }
      const crlf = nl > 0 && this.buf[nl - 1] === 0x0d;
      const line = this.buf.subarray(0, crlf ? nl - 1 : nl).toString('utf8');
      this.buf = this.buf.subarray(nl + 1);
      if (!crlf) this.server.violations.push(`bare LF after ${JSON.stringify(line)}`);
      this.server.log.push({ line, secure: this.secure, connection: this.id });
      const sp = line.indexOf(' ');
      const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
      const arg = sp < 0 ? '' : line.slice(sp + 1);
      // Stop parsing after AUTH until it is handled: the bytes that follow may be a ClientHello.
      if (verb === 'AUTH') this.holding = true;
      if (verb === 'ABOR' && this.readAborAtOnce()) continue;
      this.enqueue(verb, arg, line);
    }
  }

  /** ABOR outside the command queue (see `abor`); false when it is to be queued like any command. */
  private readAborAtOnce(): boolean {
    const mode = this.server.options.abor;
    if (mode === 'never') {
      this.ignoring = true; // hung: neither ABOR nor anything after it is answered
      return true;
    }
    if (mode === 'queued' || this.running === undefined) return false;
    this.running.abort();
    return true;
  }

  private enqueue(verb: string, arg: string, line: string): void {
    this.queue = this.queue
      .then(() => this.handle(verb, arg, line))
      .catch((err: Error) => {
        this.server.errors.push(`handler ${verb}: ${err.stack ?? err.message}`);
      });
  }

  write(data: string | Buffer): Promise<void> {
    const s = this.sock;
    if (s.destroyed || s.writableEnded) return Promise.resolve();
    return new Promise((resolve) => s.write(data, () => resolve()));
  }

  reply(text: string): Promise<void> {
    const body = text
      .replace(/\r?\n$/, '')
      .split(/\r?\n/)
      .join('\r\n');
    return this.write(`${body}\r\n`);
  }

  closeGracefully(): void {
    this.sock.end();
  }

  reset(): void {
    if (!this.raw.destroyed) this.raw.resetAndDestroy();
  }

  private async handle(verb: string, arg: string, line: string): Promise<void> {
    if (this.isClosed) return;
    let defaultRan = false;
    const runDefault = async (transfer?: TransferFault): Promise<void> => {
      if (defaultRan) return;
      defaultRan = true;
      await this.defaultCommand(verb, arg, transfer);
    };
    const hook = this.server.takeHook(verb);
    if (hook) {
      const ctx = this.context(verb, arg, line, runDefault);
      if ((await hook(ctx)) === 'default') await runDefault();
    } else {
      await runDefault();
    }
    if (verb === 'AUTH' && this.holding) {
      this.holding = false;
      this.drainLines();
    }
  }

  private context(verb: string, arg: string, line: string, next: (t?: TransferFault) => Promise<void>): HookContext {
    return {
      server: this.server,
      verb,
      arg,
      line,
      connection: this.id,
      secure: this.secure,
      state: this.state,
      reply: (text) => this.reply(text),
      writeRaw: (data) => this.write(data),
      stall: () => this.closed,
      close: () => this.closeGracefully(),
      destroy: () => this.reset(),
      next: (opts) => next(opts?.transfer),
      openPassive: () => this.openPassive(),
      ignoreInput: () => {
        this.ignoring = true;
      },
      flood: (opts) => this.flood(opts ?? {}),
    };
  }

  private async flood(opts: {
    code?: string;
    totalBytes?: number;
    lineLength?: number;
    terminate?: boolean;
  }): Promise<void> {
    const code = opts.code ?? '211';
    const total = opts.totalBytes ?? Infinity;
    const line = `${code}-${'x'.repeat(Math.max(1, (opts.lineLength ?? 78) - code.length - 3))}\r\n`;
    const chunk = Buffer.from(line.repeat(Math.max(1, Math.floor(65536 / line.length))));
    let sent = 0;
    const s = this.sock;
    while (sent < total && !s.destroyed && !s.writableEnded) {
      const ok = s.write(chunk);
      sent += chunk.length;
      if (!ok) await drained(s);
    }
    if (opts.terminate && Number.isFinite(total)) await this.reply(`${code} End`);
  }

  // ---- passive data connections ----

  private closePassive(): void {
    const p = this.passive;
    if (!p) return;
    this.passive = undefined;
    this.stopListening(p);
    for (const w of p.waiters.splice(0)) w(undefined);
    // An accepted but unused data socket is the server's to close.
    p.socket?.destroy();
  }

  private stopListening(p: Passive): void {
    if (p.closed) return;
    p.closed = true;
    clearTimeout(p.timer);
    p.listener.close();
    this.server.trackListener(p.listener, false);
  }

  private async openPassive(): Promise<number> {
    this.closePassive();
    const listener = net.createServer({ allowHalfOpen: true, noDelay: true });
    const p: Passive = {
      listener,
      port: 0,
      socket: undefined,
      waiters: [],
      closed: false,
      timer: setTimeout(() => this.stopListening(p), this.server.options.passiveTimeoutMs),
    };
    this.server.trackListener(listener, true);
    listener.on('connection', (s) => {
      this.server.track(s);
      if (p.socket || p.closed) {
        s.destroy();
        return;
      }
      p.socket = s;
      this.stopListening(p);
      for (const w of p.waiters.splice(0)) w(s);
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, this.server.options.host, () => resolve());
    });
    p.port = (listener.address() as net.AddressInfo).port;
    this.passive = p;
    return p.port;
  }

  /** Active mode: connects to the address of EPRT/PORT (from `activeSource` if set); undefined if that fails. */
  private connectActive(target: { host: string; port: number }): Promise<net.Socket | undefined> {
    this.active = undefined;
    const { activeSource, activeNeverConnects } = this.server;
    if (activeNeverConnects)
      return new Promise((r) => setTimeout(() => r(undefined), this.server.options.dataConnectTimeoutMs));
    return new Promise((resolve) => {
      const s = net.connect({
        host: target.host,
        port: target.port,
        allowHalfOpen: true,
        noDelay: true,
        ...(activeSource === undefined ? {} : { localAddress: activeSource }),
      });
      this.server.track(s);
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
  }

  /** Waits for the data connection of the current passive listener; consumes the listener. */
  private takeDataSocket(): Promise<net.Socket | undefined> {
    if (this.active) return this.connectActive(this.active);
    const p = this.passive;
    if (!p) return Promise.resolve(undefined);
    this.passive = undefined;
    if (p.socket) return Promise.resolve(p.socket);
    if (p.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.stopListening(p);
        resolve(undefined);
      }, this.server.options.dataConnectTimeoutMs);
      p.waiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  }

  // ---- default command behaviour ----

  private path(arg: string): string {
    return FakeFs.normalize(this.state.cwd, arg);
  }

  private async defaultCommand(verb: string, arg: string, transfer: TransferFault | undefined): Promise<void> {
    const { mode, users, features, epsv } = this.server.options;
    const st = this.state;
    const fs = this.server.fs;
    const needsArg = [
      'USER',
      'PASS',
      'AUTH',
      'PBSZ',
      'PROT',
      'TYPE',
      'CWD',
      'MKD',
      'RMD',
      'DELE',
      'RNFR',
      'RNTO',
      'SIZE',
      'MDTM',
      'RETR',
      'STOR',
      'APPE',
      'REST',
      'OPTS',
    ];
    const noLogin = ['CONNECT', 'USER', 'PASS', 'AUTH', 'PBSZ', 'PROT', 'FEAT', 'OPTS', 'SYST', 'NOOP', 'QUIT'];
    if (needsArg.includes(verb) && arg === '')
      return void (await this.reply('501 Syntax error in parameters or arguments.'));
    if (!noLogin.includes(verb) && !st.loggedIn && KNOWN.has(verb))
      return void (await this.reply('530 Please login with USER and PASS.'));
    const q = (p: string): string => `"${p.replace(/"/g, '""')}"`;
    switch (verb) {
      case 'CONNECT': {
        const open = [...this.server.connections].filter((c) => !c.refused).length;
        if (open > this.server.options.maxConnections) {
          this.refused = true;
          this.server.refusedConnections++;
          await this.reply(this.server.options.tooManyReply);
          this.closeGracefully();
          return;
        }
        return void (await this.reply('220 FakeFtpServer ready.'));
      }
      case 'AUTH': {
        if (mode === 'plain') return void (await this.reply('502 AUTH not supported.'));
        if (this.secure) return void (await this.reply('503 Already using TLS.'));
        if (arg.toUpperCase() !== 'TLS' && arg.toUpperCase() !== 'TLS-C' && arg.toUpperCase() !== 'SSL')
          return void (await this.reply('504 Unknown AUTH type.'));
        await this.reply('234 Proceed with negotiation.');
        this.upgrade();
        return;
      }
      case 'USER':
        if (mode === 'explicit' && !this.secure) {
          this.server.violations.push('USER before AUTH TLS');
          return void (await this.reply('530 Non-anonymous sessions must use encryption.'));
        }
        st.user = arg;
        st.loggedIn = false;
        return void (await this.reply('331 Please specify the password.'));
      case 'PASS':
        if (mode === 'explicit' && !this.secure) {
          this.server.violations.push('PASS before AUTH TLS');
          return void (await this.reply('530 Non-anonymous sessions must use encryption.'));
        }
        if (st.user === undefined) return void (await this.reply('503 Login with USER first.'));
        if (users[st.user] !== arg) {
          st.user = undefined;
          return void (await this.reply('530 Login incorrect.'));
        }
        st.loggedIn = true;
        return void (await this.reply('230 Login successful.'));
      case 'PBSZ':
        if (!this.secure) return void (await this.reply('503 PBSZ not allowed on insecure control connection.'));
        if (!/^\d+$/.test(arg)) return void (await this.reply('501 Bad PBSZ argument.'));
        st.pbsz = true;
        return void (await this.reply('200 PBSZ=0'));
      case 'PROT': {
        if (!this.secure) return void (await this.reply('503 PROT not allowed on insecure control connection.'));
        if (!st.pbsz) return void (await this.reply('503 PBSZ required before PROT.'));
        const level = arg.toUpperCase();
        if (level !== 'P' && level !== 'C') return void (await this.reply('504 Protection level not supported.'));
        st.prot = level;
        return void (await this.reply(`200 PROT now ${level === 'P' ? 'Private' : 'Clear'}.`));
      }
      case 'FEAT':
        return void (await this.reply(['211-Features:', ...features.map((f) => ` ${f}`), '211 End'].join('\n')));
      case 'OPTS':
        if (/^HASH(\s|$)/i.test(arg) && this.hashFeature() !== undefined)
          return void (await this.optsHash(arg.slice(4).trim()));
        return void (await this.reply(
          arg.toUpperCase() === 'UTF8 ON' ? '200 Always in UTF8 mode.' : '501 Option not understood.',
        ));
      case 'SYST':
        return void (await this.reply('215 UNIX Type: L8'));
      case 'NOOP':
        return void (await this.reply('200 NOOP ok.'));
      // No transfer in progress (any has ended by the time a queued ABOR is reached).
      case 'ABOR': {
        const mode = this.server.options.abor;
        return void (await this.reply(
          mode === 'rfc' || mode === '226'
            ? '226 ABOR successful; no transfer in progress.'
            : '225 No transfer to ABOR.',
        ));
      }
      case 'QUIT':
        await this.reply('221 Goodbye.');
        this.closeGracefully();
        return;
      case 'TYPE': {
        const t = arg.toUpperCase();
        if (t === 'I' || t === 'L 8') st.type = 'I';
        else if (t === 'A' || t === 'A N') st.type = 'A';
        else return void (await this.reply('504 Bad TYPE command.'));
        return void (await this.reply(`200 Switching to ${st.type === 'I' ? 'Binary' : 'ASCII'} mode.`));
      }
      case 'PWD':
      case 'XPWD':
        return void (await this.reply(`257 ${q(st.cwd)} is the current directory`));
      case 'CWD': {
        const p = this.path(arg);
        if (!fs.isDir(p)) return void (await this.reply('550 Failed to change directory.'));
        st.cwd = p;
        return void (await this.reply('250 Directory successfully changed.'));
      }
      case 'CDUP':
      case 'XCUP':
        st.cwd = this.path('..');
        return void (await this.reply('250 Directory successfully changed.'));
      case 'MKD': {
        const p = this.path(arg);
        return void (await this.reply(fs.mkdir(p) ? `257 ${q(p)} created` : '550 Create directory operation failed.'));
      }
      case 'RMD':
        return void (await this.reply(
          fs.rmdir(this.path(arg))
            ? '250 Remove directory operation successful.'
            : '550 Remove directory operation failed.',
        ));
      case 'DELE':
        return void (await this.reply(
          fs.unlink(this.path(arg)) ? '250 Delete operation successful.' : '550 Delete operation failed.',
        ));
      case 'RNFR': {
        const p = this.path(arg);
        if (!fs.isFile(p) && !fs.isDir(p)) return void (await this.reply('550 RNFR command failed.'));
        st.renameFrom = p;
        return void (await this.reply('350 Ready for RNTO.'));
      }
      case 'RNTO': {
        const from = st.renameFrom;
        st.renameFrom = undefined;
        if (from === undefined) return void (await this.reply('503 RNFR required first.'));
        return void (await this.reply(
          fs.rename(from, this.path(arg)) ? '250 Rename successful.' : '550 Rename failed.',
        ));
      }
      case 'SIZE': {
        const f = fs.files.get(this.path(arg));
        return void (await this.reply(f ? `213 ${f.length}` : '550 Could not get file size.'));
      }
      case 'MDTM': {
        const p = this.path(arg);
        return void (await this.reply(
          fs.isFile(p) ? `213 ${fs.mdtm(p)}` : '550 Could not get file modification time.',
        ));
      }
      case 'REST':
        if (!/^\d+$/.test(arg)) return void (await this.reply('501 REST requires a non-negative integer.'));
        st.rest = Number(arg);
        return void (await this.reply(`350 Restart position accepted (${st.rest}).`));
      case 'EPSV': {
        if (!epsv) return void (await this.reply('502 EPSV not implemented.'));
        if (arg.toUpperCase() === 'ALL') return void (await this.reply('200 EPSV ALL ok.'));
        if (arg !== '' && arg !== '1' && arg !== '2')
          return void (await this.reply('522 Network protocol not supported, use (1,2).'));
        const port = await this.openPassive();
        return void (await this.reply(`229 Entering Extended Passive Mode (|||${port}|)`));
      }
      case 'EPRT':
      case 'PORT': {
        if (verb === 'EPRT' && !this.server.options.eprt) return void (await this.reply('502 EPRT not implemented.'));
        const m =
          verb === 'EPRT'
            ? /^\|([12])\|([^|]+)\|(\d+)\|$/.exec(arg)
            : /^(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)$/.exec(arg);
        if (!m) return void (await this.reply('501 Illegal command.'));
        const target =
          verb === 'EPRT'
            ? { host: m[2] as string, port: Number(m[3]) }
            : { host: m.slice(1, 5).join('.'), port: Number(m[5]) * 256 + Number(m[6]) };
        this.server.activeTargets.push(target);
        this.closePassive();
        this.active = target;
        return void (await this.reply(`200 ${verb} command successful.`));
      }
      case 'PASV': {
        const port = await this.openPassive();
        // The listener is on the control host; 227 always names 127.0.0.1 (a client must use the control host).
        return void (await this.reply(`227 Entering Passive Mode (127,0,0,1,${port >> 8},${port & 255}).`));
      }
      case 'MLST': {
        const p = arg === '' ? st.cwd : this.path(arg);
        if (!fs.isFile(p) && !fs.isDir(p)) return void (await this.reply('550 No such file or directory.'));
        return void (await this.reply(`250-Listing ${p}\n ${fs.factsLine(p, p)}\n250 End`));
      }
      case 'LIST':
      case 'NLST':
      case 'MLSD':
      case 'RETR':
      case 'STOR':
      case 'APPE':
        return this.transfer(verb, arg, transfer ?? this.server.takeTransferFault());
      case 'HASH':
      case 'XSHA256':
      case 'XSHA512':
      case 'XSHA1':
      case 'XSHA':
      case 'XMD5':
      case 'XCRC':
        return this.hashCommand(verb, arg);
      default:
        return void (await this.reply(`502 Command ${verb} not implemented.`));
    }
  }

  // ---- hashes (draft-bryan-ftpext-hash and the X-commands) ----

  /** The HASH feature's algorithms (from `features`), or undefined when HASH is not offered. */
  private hashFeature(): { algorithms: string[]; selected: string } | undefined {
    const line = this.server.options.features.find((f) => /^HASH(\s|$)/i.test(f));
    if (line === undefined) return undefined;
    const items = line
      .slice(4)
      .trim()
      .split(';')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    const algorithms = items.map((a) => a.replace(/\*$/, '').toUpperCase());
    const starred = items.find((a) => a.endsWith('*'));
    return {
      algorithms,
      selected: this.state.hashAlgorithm ?? (starred ? starred.slice(0, -1).toUpperCase() : (algorithms[0] ?? 'SHA-1')),
    };
  }

  private async optsHash(arg: string): Promise<void> {
    const feature = this.hashFeature() as { algorithms: string[]; selected: string };
    if (arg === '') return void (await this.reply(`200 ${feature.selected}`));
    const wanted = arg.toUpperCase();
    if (!feature.algorithms.includes(wanted)) return void (await this.reply(`501 ${arg}: Unsupported algorithm`));
    this.state.hashAlgorithm = wanted;
    await this.reply(`200 ${wanted}`);
  }

  private async hashCommand(verb: string, arg: string): Promise<void> {
    const feature = this.hashFeature();
    if (verb === 'HASH' ? feature === undefined : !this.server.options.features.some((f) => f.toUpperCase() === verb)) {
      return void (await this.reply(`500 ${verb} not understood.`));
    }
    if (arg === '') return void (await this.reply('501 Syntax error in parameters or arguments.'));
    const p = this.path(arg);
    const f = this.server.fs.files.get(p);
    if (!f) return void (await this.reply(`550 ${arg}: No such file or directory`));
    const algorithm =
      verb === 'HASH'
        ? (feature as { selected: string }).selected
        : ((
            {
              XSHA256: 'SHA-256',
              XSHA512: 'SHA-512',
              XSHA1: 'SHA-1',
              XSHA: 'SHA-1',
              XMD5: 'MD5',
              XCRC: 'CRC32',
            } as Record<string, string>
          )[verb] ?? 'SHA-1');
    const digest =
      algorithm === 'CRC32'
        ? (crc32(f) >>> 0).toString(16).padStart(8, '0')
        : createHash(algorithm.replace('-', '').toLowerCase()).update(f).digest('hex');
    if (verb === 'HASH') return void (await this.reply(`213 ${algorithm} 0-${f.length} ${digest} ${arg}`));
    // Like proftpd's mod_digest: a "Computing" line, then the upper-case digest.
    await this.reply(`250-Computing ${algorithm} digest\n250 ${digest.toUpperCase()}`);
  }

  // ---- transfers ----

  private async transfer(verb: string, arg: string, fault: TransferFault): Promise<void> {
    const st = this.state;
    const fs = this.server.fs;
    const rest = st.rest;
    st.rest = 0;
    if (this.secure && st.prot !== 'P' && !this.server.options.allowClearData) {
      this.server.violations.push(`${verb} without PROT P`);
      this.closePassive();
      return void (await this.reply('522 Data connections must be encrypted.'));
    }
    const listArg = arg.replace(/^-[a-zA-Z]+\s*/, '');
    const target = this.path(verb === 'RETR' || verb === 'STOR' || verb === 'APPE' ? arg : listArg);
    let payload: Buffer | undefined;
    if (verb === 'RETR') {
      const f = fs.files.get(target);
      if (!f) {
        this.closePassive();
        return void (await this.reply('550 Failed to open file.'));
      }
      payload = f.subarray(Math.min(rest, f.length));
    } else if (verb === 'LIST' || verb === 'NLST' || verb === 'MLSD') {
      if (!fs.isDir(target) && !(verb !== 'MLSD' && fs.isFile(target)) && !this.server.listings.has(target)) {
        this.closePassive();
        return void (await this.reply('550 Directory not found.'));
      }
      const entries = fs.isDir(target)
        ? fs.children(target).map((n) => (target === '/' ? `/${n}` : `${target}/${n}`))
        : [target];
      const override = verb === 'NLST' ? undefined : this.server.listings.get(target);
      const lines =
        override ??
        entries.map((p) => {
          const name = p.slice(p.lastIndexOf('/') + 1);
          return verb === 'LIST' ? fs.listLine(p) : verb === 'NLST' ? name : fs.factsLine(p, name);
        });
      payload = Buffer.from(lines.map((l) => `${l}\r\n`).join(''));
      if (verb !== 'NLST' && this.listingRest !== undefined) {
        payload = Buffer.concat([this.listingRest, payload]);
        this.listingRest = undefined;
      }
    } else if (!fs.isDir(FakeFs.normalize(target, '..')) || fs.isDir(target)) {
      this.closePassive();
      return void (await this.reply('553 Could not create file.'));
    }
    if (!this.passive && !this.active) return void (await this.reply('425 Use PORT or PASV first.'));
    const raw = await this.takeDataSocket();
    if (!raw) return void (await this.reply("425 Can't open data connection."));
    if (this.isClosed) return void raw.destroy();
    this.activeData.add(raw);
    raw.once('close', () => this.activeData.delete(raw));
    // Bytes already sent before the command are read by the next turn of the event loop.
    if (this.server.options.dataTls === 'strict') await new Promise((resolve) => setImmediate(resolve));
    if (this.server.options.dataTls === 'strict' && raw.readableLength > 0) {
      this.server.violations.push(`${raw.readableLength} byte(s) on the data connection before ${verb}`);
      raw.destroy();
      return void (await this.reply('425 Data received before the transfer command.'));
    }
    await this.reply(
      fault.preliminary ??
        (verb === 'STOR' || verb === 'APPE' ? '150 Ok to send data.' : '150 Opening BINARY mode data connection.'),
    );
    if (fault.stall) {
      await Promise.race([this.closed, new Promise((r) => raw.once('close', r))]);
      return;
    }
    let data: Writable = raw;
    let tlsState: ServerTls | undefined;
    if (st.prot === 'P' && this.secure) {
      const endpoint = this.server.tlsEndpoint as TlsEndpoint;
      tlsState = endpoint.accept(raw, (err) => this.server.errors.push(`data TLS: ${err.message}`));
      data = tlsState.tls;
      if (!(await tlsState.secure)) return void (await this.reply('425 TLS handshake on data connection failed.'));
      const reused = tlsState.tls.isSessionReused();
      this.server.dataReuse.push(reused);
      if (!reused && this.server.options.requireSessionReuse) {
        this.server.violations.push('data TLS session not resumed');
        tlsState.tls.destroy();
        return void (await this.reply('425 TLS session of data connection not resumed.'));
      }
    }
    const closed = new Promise<void>((r) => {
      if (raw.destroyed) r();
      else raw.once('close', () => r());
    });
    const running = new RunningTransfer(data);
    this.running = running;
    try {
      await this.moveData(verb, fault, data, raw, tlsState, closed, payload, target, rest);
    } finally {
      this.running = undefined;
    }
  }

  /** A download's data fault with its 426 in a fixed order to the data connection's end (TransferFault.order). */
  private async orderedFault(
    order: 'reply-first' | 'data-first',
    applyFault: () => Promise<void>,
    closed: Promise<void>,
  ): Promise<void> {
    const reply = async (): Promise<void> => {
      if (!this.isClosed) await this.reply('426 Connection closed; transfer aborted.');
    };
    if (order === 'data-first') {
      await applyFault();
      await closed;
      return reply();
    }
    await reply();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, 200)))]);
    clearTimeout(timer);
    await applyFault();
  }

  /**
   * In the modes that read ABOR at once: whether ABOR stopped this transfer; its replies (per mode)
   * have then been sent instead of the transfer's own. `broken`: the client broke the data
   * connection, so an ABOR is probably on its way: it is waited for, up to 1 s.
   */
  private async answeredAbor(running: RunningTransfer, broken: boolean): Promise<boolean> {
    const mode = this.server.options.abor;
    if (mode === 'queued' || mode === 'never') return false;
    if (!running.aborted && broken) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        running.arrived,
        this.closed,
        new Promise((r) => {
          timer = setTimeout(r, 1000);
        }),
      ]);
      clearTimeout(timer);
    }
    if (!running.aborted) return false;
    if (mode === 'rfc') await this.reply('426 Transfer aborted.\n226 ABOR successful.');
    else await this.reply(`${mode} ABOR successful.`);
    return true;
  }

  /** The data phase of a transfer and its final reply (an ABOR read at once replaces that reply). */
  private async moveData(
    verb: string,
    fault: TransferFault,
    data: Writable,
    raw: net.Socket,
    tlsState: ServerTls | undefined,
    closed: Promise<void>,
    payload: Buffer | undefined,
    target: string,
    rest: number,
  ): Promise<void> {
    const fs = this.server.fs;
    const running = this.running as RunningTransfer;
    let faulted = false;
    const applyFault = async (): Promise<void> => {
      const action = fault.after?.action;
      if (action === 'truncate' || action === 'truncate-mid-record') {
        // Not marked as faulted: the server goes on to claim success with 226.
        if (action === 'truncate-mid-record' && tlsState !== undefined) {
          tlsState.tap.cutOutputAfter(7);
          data.write(payload?.subarray(fault.after?.bytes ?? 0) ?? Buffer.alloc(0));
          if (payload === undefined || payload.length <= (fault.after?.bytes ?? 0))
            data.write(Buffer.from('tail of a record'));
        } else raw.end();
        await closed;
        return;
      }
      faulted = true;
      if (action === 'close') data.destroy();
      else if (action === 'reset') raw.resetAndDestroy();
      else if (action === 'close-control') this.closeGracefully();
      else if (action === 'reset-control') this.reset();
      else if (action === 'stop-reading') {
        // Reads nothing for a second (a server stuck on its disk), then goes on and finds the
        // connection the client has given up on meanwhile, or the rest of the upload.
        data.pause();
        raw.pause();
        setTimeout(() => {
          raw.resume();
          data.resume();
        }, 1000).unref();
      }
      if (action === 'stall' || action === 'stop-reading') await closed;
    };
    if (payload) {
      // RETR / LIST / NLST / MLSD: send, then close_notify (end) and FIN.
      const limit = fault.after ? Math.min(fault.after.bytes, payload.length) : payload.length;
      let off = 0;
      for (; off < limit && !data.destroyed; off += 16384) {
        if (!data.write(payload.subarray(off, Math.min(limit, off + 16384)))) await drained(data);
      }
      data.on('data', () => {});
      if (fault.after && fault.order !== undefined) return this.orderedFault(fault.order, applyFault, closed);
      if (fault.after) await applyFault();
      else if (data.destroyed) {
        // The client broke the data connection before the end.
        if (this.server.options.listingLeftover && (verb === 'LIST' || verb === 'MLSD') && off < limit) {
          const line = payload.indexOf('\n', off);
          if (line >= 0 && line + 1 < payload.length) this.listingRest = payload.subarray(line + 1);
        }
        if (await this.answeredAbor(running, true)) return;
        if (!fault.omitFinalReply && !this.isClosed) await this.reply('426 Connection closed; transfer aborted.');
        return;
      } else
        await new Promise<void>((r) => {
          data.end(() => r());
          data.once('close', () => r());
        });
    } else {
      // STOR / APPE: read until the client's end; require close_notify on TLS.
      const chunks: Buffer[] = [];
      let received = 0;
      const ended = await new Promise<boolean>((resolve) => {
        data.on('data', (c: Buffer) => {
          if (faulted) return;
          chunks.push(c);
          received += c.length;
          if (fault.after && received >= fault.after.bytes) void applyFault().then(() => resolve(false));
        });
        data.once('end', () => resolve(true));
        data.once('close', () => resolve(false));
      });
      const clean = ended && !faulted && (tlsState ? tlsState.closeNotify === true : true);
      if (ended && tlsState && !tlsState.closeNotify)
        this.server.violations.push(`${verb} data connection ended without close_notify`);
      if (!ended && !faulted) this.server.violations.push(`${verb} data connection failed before end`);
      if (clean) {
        const body = Buffer.concat(chunks);
        const old = fs.files.get(target) ?? Buffer.alloc(0);
        const next =
          verb === 'APPE' ? Buffer.concat([old, body]) : rest > 0 ? Buffer.concat([old.subarray(0, rest), body]) : body;
        fs.writeFile(target, next);
        await new Promise<void>((r) => {
          data.end(() => r());
          data.once('close', () => r());
        });
      } else {
        if (this.server.options.keepPartialUploads) {
          const body = Buffer.concat(chunks);
          const old = fs.files.get(target) ?? Buffer.alloc(0);
          fs.writeFile(
            target,
            verb === 'APPE'
              ? Buffer.concat([old, body])
              : rest > 0
                ? Buffer.concat([old.subarray(0, rest), body])
                : body,
          );
        }
        data.destroy();
        if (!faulted && (await this.answeredAbor(running, true))) return;
        if (!fault.omitFinalReply && !faulted) await this.reply('426 Connection closed; transfer aborted.');
        if (!faulted) return;
      }
    }
    if (await this.answeredAbor(running, false)) return;
    if (fault.omitFinalReply || this.isClosed) return;
    if (faulted) {
      const a = fault.after?.action;
      if (a !== 'close-control' && a !== 'reset-control') await this.reply('426 Connection closed; transfer aborted.');
      return;
    }
    await this.reply(fault.finalReply ?? '226 Transfer complete.');
  }
}

/** A transfer past its 1xx: an ABOR read at once stops it. @internal */
class RunningTransfer {
  aborted = false;
  #arrived!: () => void;
  readonly arrived = new Promise<void>((r) => {
    this.#arrived = r;
  });
  constructor(private readonly data: Writable) {}

  abort(): void {
    this.aborted = true;
    this.data.destroy();
    this.#arrived();
  }
}

/** Resolves on 'drain' or 'close', whichever comes first, without leaking listeners. */
function drained(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      s.off('drain', done);
      s.off('close', done);
      resolve();
    };
    s.once('drain', done);
    s.once('close', done);
  });
}

const KNOWN = new Set([
  'EPRT',
  'PORT',
  'USER',
  'PASS',
  'AUTH',
  'PBSZ',
  'PROT',
  'FEAT',
  'OPTS',
  'TYPE',
  'SYST',
  'NOOP',
  'ABOR',
  'PWD',
  'XPWD',
  'CWD',
  'CDUP',
  'XCUP',
  'MKD',
  'RMD',
  'DELE',
  'RNFR',
  'RNTO',
  'SIZE',
  'MDTM',
  'EPSV',
  'PASV',
  'LIST',
  'NLST',
  'MLSD',
  'MLST',
  'RETR',
  'STOR',
  'APPE',
  'REST',
  'QUIT',
  'HASH',
  'XSHA256',
  'XSHA512',
  'XSHA1',
  'XSHA',
  'XMD5',
  'XCRC',
]);
