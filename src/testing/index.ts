/**
 * `ftps-client/testing`: an in-process FTP/FTPS server for your own tests (implicit, explicit or plain;
 * in-memory files, optionally seeded from a folder; TLS session reuse enforced on data connections like
 * vsftpd and pure-ftpd; fault hooks). Listens on 127.0.0.1 on a kernel-chosen port.
 *
 * ```ts
 * const server = await startTestServer({ files: { '/hello.txt': 'hi' } });
 * const client = await FtpsClient.connect(server.connectOptions);
 * await server.stop();
 * ```
 *
 * Not loaded by `import 'ftps-client'`. See docs/testing.md.
 *
 * @module ftps-client/testing
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeFtpServer, faults as hooks, type FakeServerMode } from './server.js';
import { testCa, testCertificate } from './certs.js';

export { testCa, testCertificate };
export {
  FakeFtpServer,
  faults,
  type AborMode,
  type FakeServerOptions,
  type FakeServerMode,
  type FaultAction,
  type TransferFault,
  type Hook,
  type HookContext,
  type HookResult,
  type LogEntry,
  type SessionState,
} from './server.js';

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /** 'explicit' (AUTH TLS, the default), 'implicit' (TLS from the first byte) or 'plain' (no TLS). */
  mode?: FakeServerMode;
  /** Initial files by absolute path, e.g. `{ '/in/a.txt': 'hello' }`. */
  files?: Record<string, string | Buffer>;
  /** A local folder copied into the in-memory file system at start (uploads do not touch the folder). */
  root?: string;
  /** Default true: a data TLS connection that does not resume the control session gets 425. */
  requireSessionReuse?: boolean;
  /** Default 'user'. */
  user?: string;
  /** Default 'pass'. */
  password?: string;
}

/** Options ready to pass to `FtpsClient.connect()` / `createPool()`. */
export interface TestConnectOptions {
  /** `'127.0.0.1'`. */
  host: string;
  /** The server's port. */
  port: number;
  /** The server's mode as the client's `secure` option (`false` for plain). */
  secure: 'explicit' | 'implicit' | false;
  /** The test login's user. */
  user: string;
  /** The test login's password. */
  password: string;
  /** Trust the test CA. */
  tls: {
    /** {@link testCa}. */
    ca: string;
  };
}

/** Fault hooks; each applies to the next matching command or transfer only. */
export interface TestServerFaults {
  /** The next transfer's data connection is reset (RST) after `bytes` payload bytes. */
  resetDataAfter(bytes: number): void;
  /**
   * The next download's data connection ends with a TCP FIN but no TLS close_notify after `bytes` bytes,
   * and the server then replies 226 as if all went well (the TLS truncation attack).
   */
  truncateDataAfter(bytes: number): void;
  /** The next transfer gets its 150 reply, then nothing on the data connection. */
  stallData(): void;
  /** The next `verb` command (default: any command) gets `421` and the control connection is closed. */
  reply421(verb?: string): void;
  /** The next `verb` command is never answered. */
  stallCommand(verb: string): void;
  /** `PROT P` is refused with 536 (the client fails with a typed error rather than send data in clear). */
  refuseProtP(): void;
}

/** A running test server, from {@link startTestServer}. */
export interface TestServer {
  /** `'127.0.0.1'`. */
  readonly host: string;
  /** The kernel-chosen port. */
  readonly port: number;
  /** `ftpes://`, `ftps://` or `ftp://` URL with the user and password. */
  readonly url: string;
  /** The CA (PEM) of the server's certificate. */
  readonly ca: string;
  /** Pass to `FtpsClient.connect()` or `createPool()` (add your own `timeouts`, etc. beside them). */
  readonly connectOptions: TestConnectOptions;
  /** The server's files by absolute path, live (what your code uploaded is here). */
  readonly files: Map<string, Buffer>;
  /** Every command line received, in order (PASS arguments included: test credentials only). */
  readonly commands: readonly string[];
  /** Fault hooks for the next command or transfer. */
  readonly faults: TestServerFaults;
  /** The underlying scripted server, for advanced hooks; its API may change between minor versions. */
  readonly server: FakeFtpServer;
  /**
   * Resolves when no client socket is open any more (rejects after `timeoutMs`, default 2000): proves your code closed
   * its connections.
   */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /** Closes the listener and every connection. */
  stop(): Promise<void>;
  /** `await using server = await startTestServer()` stops it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a test server on 127.0.0.1 with a kernel-chosen port.
 *
 * @param options - Mode (default explicit), files, login, session reuse; see {@link TestServerOptions}.
 * @returns The running server; stop it with `stop()` or `await using`.
 * @throws Node's error when `root` cannot be read, or when listening fails.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const mode = options.mode ?? 'explicit';
  const user = options.user ?? 'user';
  const password = options.password ?? 'pass';
  const files = { ...(options.root === undefined ? {} : readFolder(options.root)), ...options.files };
  const server = new FakeFtpServer({
    mode,
    files,
    users: { [user]: password },
    requireSessionReuse: options.requireSessionReuse ?? true,
  });
  await server.start();
  const host = server.host;
  const port = server.port;
  const scheme = mode === 'implicit' ? 'ftps' : mode === 'explicit' ? 'ftpes' : 'ftp';
  const stop = () => server.close();
  return {
    host,
    port,
    url: `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}`,
    ca: testCa,
    connectOptions: { host, port, secure: mode === 'plain' ? false : mode, user, password, tls: { ca: testCa } },
    files: server.files,
    get commands() {
      return server.commands;
    },
    faults: new Faults(server),
    server,
    waitForIdle: (timeoutMs = 2000) => server.waitForIdle(timeoutMs),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

class Faults implements TestServerFaults {
  constructor(private readonly server: FakeFtpServer) {}
  resetDataAfter(bytes: number): void {
    this.server.nextTransfer({ after: { bytes, action: 'reset' } });
  }
  truncateDataAfter(bytes: number): void {
    this.server.nextTransfer({ after: { bytes, action: 'truncate' } });
  }
  stallData(): void {
    this.server.nextTransfer({ stall: true });
  }
  reply421(verb = '*'): void {
    this.server.hook(verb, hooks.replyAndClose(), { times: 1 });
  }
  stallCommand(verb: string): void {
    this.server.hook(verb, hooks.stall(), { times: 1 });
  }
  refuseProtP(): void {
    this.server.hook('PROT', hooks.reply('536 PROT P not supported'), { times: 1 });
  }
}

/** Reads every file under `root` into `{ '/rel/path': bytes }`. */
function readFolder(root: string, prefix = ''): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) Object.assign(out, readFolder(root, rel));
    else if (entry.isFile()) out[rel] = readFileSync(join(root, rel));
  }
  return out;
}
