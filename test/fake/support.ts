/**
 * Shared helpers for the client-against-fake-server tests (not a test file itself).
 *
 * `withServer(opts, fn)` starts a FakeFtpServer, hands `fn` a `connect()` that tracks every client
 * it opens, and afterwards closes those clients, asserts that the server saw no socket left open
 * (`waitForIdle` + `openSockets() === 0`) and closes the server, even when `fn` failed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { FtpsClient, FtpsError, type FtpsClientOptions, type SecureMode } from '../../src/index.js';
import { FakeFtpServer, type FakeServerOptions } from '../helpers/fake-server.js';

export const ca = readFileSync(new URL('../fixtures/tls/ca.pem', import.meta.url));
export const wrongHostCert = {
  key: readFileSync(new URL('../fixtures/tls/wronghost.key', import.meta.url)),
  cert: readFileSync(new URL('../fixtures/tls/wronghost.pem', import.meta.url)),
};

/** Short timeouts so that every failure path finishes quickly. */
export const FAST = { connect: 2000, reply: 1000, data: 1000 } as const;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type ServerMode = FakeServerOptions['mode'];

export function secureOf(mode: ServerMode): SecureMode {
  return mode === 'plain' ? false : mode;
}

/** Client options for `server`, verification on with the test CA. */
export function optionsFor(server: FakeFtpServer, extra: Partial<FtpsClientOptions> = {}): FtpsClientOptions {
  return {
    host: server.host,
    port: server.port,
    user: 'user',
    password: 'pass',
    secure: secureOf(server.options.mode),
    tls: { ca },
    timeouts: { ...FAST },
    ...extra,
  };
}

export interface Harness {
  server: FakeFtpServer;
  /** Connects a client to the server (tracked: closed after the test). */
  connect(extra?: Partial<FtpsClientOptions>, signal?: AbortSignal): Promise<FtpsClient>;
  /** Registers a client opened some other way (e.g. by URL) for the final close. */
  track(client: FtpsClient): FtpsClient;
}

export async function withServer(opts: FakeServerOptions, fn: (h: Harness) => Promise<void>): Promise<void> {
  const server = new FakeFtpServer(opts);
  await server.start();
  const clients: FtpsClient[] = [];
  const track = (c: FtpsClient): FtpsClient => {
    clients.push(c);
    return c;
  };
  const harness: Harness = {
    server,
    track,
    connect: async (extra = {}, signal) =>
      track(await FtpsClient.connect(optionsFor(server, extra), {}, signal === undefined ? {} : { signal })),
  };
  const cleanUp = async (): Promise<unknown> => {
    try {
      await Promise.all(clients.map((c) => c.close()));
      await server.waitForIdle(2000);
      assert.equal(server.openSockets(), 0, 'sockets left open on the server');
      return undefined;
    } catch (err) {
      return err;
    } finally {
      await server.close();
    }
  };
  try {
    await fn(harness);
  } catch (err) {
    // The test's own failure wins over a clean-up failure.
    await cleanUp();
    throw err;
  }
  const cleanupError = await cleanUp();
  if (cleanupError !== undefined) throw cleanupError;
}

/** Collects what a download writes. */
export class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  constructor(private readonly onChunk?: (chunk: Buffer, total: number) => void) {
    super();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.onChunk?.(
      chunk,
      this.chunks.reduce((n, c) => n + c.length, 0),
    );
    cb();
  }
}

export function random(bytes: number): Buffer {
  return randomBytes(bytes);
}

/** Awaits `promise`, which must reject; returns the rejection. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected the promise to reject');
}

/** Asserts an FtpsError of class `cls` with `code` (and reply code, when given); returns it. */
export function assertFtpsError<T extends FtpsError>(
  err: unknown,
  cls: abstract new (...args: never[]) => T,
  code: string,
): T {
  if (!(err instanceof cls)) {
    assert.fail(
      `expected ${cls.name} (${code}), got ${err instanceof Error ? `${err.name} (${(err as { code?: string }).code ?? '-'}): ${err.message}` : String(err)}`,
    );
  }
  assert.ok(err instanceof FtpsError);
  assert.equal(err.code, code, `code of ${err.name}: ${err.message}`);
  return err;
}

/** Waits until `cond()` holds, failing after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

/** Command verbs the server received (upper-case), in order. */
export function verbs(server: FakeFtpServer): string[] {
  return server.commands.map((l) => (l.split(' ', 1)[0] ?? '').toUpperCase());
}

/** Asserts the server never saw a login command. */
export function assertNoLogin(server: FakeFtpServer): void {
  const login = server.commands.filter((l) => /^(USER|PASS)\b/i.test(l));
  assert.deepEqual(login, [], 'USER/PASS must not be sent');
}

/**
 * Works around a limit of the fake server's `after: { action: 'stall' }` fault: the passive
 * listener is allowHalfOpen, so when the client gives up and closes the stalled data connection
 * (FIN), the server's socket never emits 'close' and the server never sends its 426. With this,
 * a data socket (not the control one) is destroyed on the client's FIN, as a real server would
 * notice on its next write, and the 426 follows.
 */
export function closeDataOnClientFin(server: FakeFtpServer): void {
  const track = server.track.bind(server);
  server.track = (s) => {
    track(s);
    if (s.localPort !== server.port) s.once('end', () => s.destroy());
  };
}

/** Per-test bound: a hang fails the test instead of stalling the suite. */
export const LIMIT = { timeout: 15_000 } as const;

/**
 * performance.now() moved forward by hand, on top of real time (so it never runs backwards): for
 * tests of what the library decides by its clock (the pool's regrow delay, progress intervals).
 * `restore()` puts the real one back.
 */
export function handClock(): { advance(ms: number): void; restore(): void } {
  const real = performance.now.bind(performance);
  let offset = 0;
  performance.now = () => real() + offset;
  return {
    advance: (ms) => void (offset += ms),
    restore: () => void Reflect.deleteProperty(performance, 'now'),
  };
}
