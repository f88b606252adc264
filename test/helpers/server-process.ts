// The scripted server (ftps-client/testing's startTestServer) in a child process, for tests that
// measure the client's memory: in-process, the server's own buffers (its file, TLS records, socket
// write queues) count in process.memoryUsage() too, and on Node 24 they alone came close to the bound.
//
//   await using server = await ServerProcess.start({ mode: 'explicit', randomFiles: { '/huge.bin': 48 << 20 } });
//   (or emptyFiles: { folder: '/big', count: 200_000, name: 'f-{i}.dat' } for a huge listing)
//   const client = await FtpsClient.connect({ ...server.connectOptions, timeouts: { … } });
//
// The child is this file run with tsx; it talks to the parent over the IPC channel only.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface ServerProcessOptions {
  mode?: 'explicit' | 'implicit' | 'plain';
  /** Files of random bytes the child makes itself, by absolute path → size (the parent gets their SHA-256). */
  randomFiles?: Record<string, number>;
  /** `count` empty files in `folder`, named `name` with `{i}` replaced by 0, 1, … padded to 7 digits. */
  emptyFiles?: { folder: string; count: number; name: string };
}

/** What the child reports once listening. */
interface Ready {
  type: 'ready';
  connectOptions: {
    host: string;
    port: number;
    secure: 'explicit' | 'implicit' | false;
    user: string;
    password: string;
    tls: { ca: string };
  };
  sha256: Record<string, string>;
}

/** What the child reports when told to stop: whether every client socket had closed first. */
interface Stopped {
  type: 'stopped';
  idle: boolean;
}

const SELF = fileURLToPath(import.meta.url);

export class ServerProcess implements AsyncDisposable {
  private constructor(
    private readonly child: ChildProcess,
    readonly connectOptions: Ready['connectOptions'],
    /** SHA-256 (hex) of each random file, by path. */
    readonly sha256: Readonly<Record<string, string>>,
  ) {}

  static async start(options: ServerProcessOptions = {}): Promise<ServerProcess> {
    const child = fork(SELF, [JSON.stringify(options)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = await ServerProcess.next<Ready>(child, 'ready');
    return new ServerProcess(child, ready.connectOptions, ready.sha256);
  }

  /** The next message of `type`, or a rejection if the child exits first. */
  private static async next<M extends { type: string }>(child: ChildProcess, type: M['type']): Promise<M> {
    return new Promise<M>((resolve, reject) => {
      const onMessage = (m: { type?: string }): void => {
        if (m.type !== type) return;
        off();
        resolve(m as M);
      };
      const onExit = (code: number | null): void => {
        off();
        reject(new Error(`server process exited (${code}) before '${type}'`));
      };
      const off = (): void => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
    });
  }

  /**
   * Stops the server (after waiting up to 2 s for the client's sockets to close) and the child; throws if one stayed
   * open.
   */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const stopped = ServerProcess.next<Stopped>(this.child, 'stopped');
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'stop' });
    const { idle } = await stopped;
    await exited;
    if (!idle) throw new Error('sockets left open on the server');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** The child: starts the server, reports, stops when told (or when the parent goes away). */
async function child(options: ServerProcessOptions): Promise<void> {
  const { startTestServer } = await import('../../src/testing/index.js');
  const files: Record<string, Buffer> = {};
  const sha256: Record<string, string> = {};
  for (const [path, size] of Object.entries(options.randomFiles ?? {})) {
    files[path] = randomBytes(size);
    sha256[path] = createHash('sha256').update(files[path]).digest('hex');
  }
  const many = options.emptyFiles;
  for (let i = 0; many !== undefined && i < many.count; i++) {
    files[`${many.folder}/${many.name.replace('{i}', String(i).padStart(7, '0'))}`] = Buffer.alloc(0);
  }
  const server = await startTestServer({ mode: options.mode ?? 'explicit', files });
  let stopping = false;
  // The parent died or went away without stopping us: do not linger.
  process.on('disconnect', () => void (stopping || server.stop().finally(() => process.exit(1))));
  process.on('message', (m: { type?: string }) => {
    if (m.type !== 'stop' || stopping) return;
    stopping = true;
    void (async () => {
      const idle = await server.waitForIdle(2000).then(
        () => true,
        () => false,
      );
      await server.stop();
      process.send?.({ type: 'stopped', idle } satisfies Stopped, () => process.exit(0));
    })();
  });
  process.send?.({ type: 'ready', connectOptions: server.connectOptions, sha256 } satisfies Ready);
}

if (process.argv[1] === SELF && process.send !== undefined)
  await child(JSON.parse(process.argv[2] ?? '{}') as ServerProcessOptions);
