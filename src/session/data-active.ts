// Active data connections: the client listens and the server connects to it (EPRT first, PORT
// when the server does not know EPRT, remembered per session). The listener is on the control
// connection's local address; only a connection from the server's address is taken, any other is
// refused and logged (no data hijack, no FTP bounce). The client stays the TLS client on the
// accepted socket (RFC 4217): data-protect.ts handshakes on it like on a passive one.
import net, { type Socket } from 'node:net';
import { ConnectionError, ConnectTimeoutError, FtpReplyError } from '../errors.js';
import { logData } from '../log.js';
import { eprtCommand, plainAddress, portCommand } from '../protocol/active.js';
import type { FtpReply } from '../protocol/reply.js';
import { expectReply } from './control.js';
import { requestWithRestart } from './data-restart.js';
import type { DataChannel, DataChannelLimits, PendingDataConnection } from './data-channel.js';
import { resetSocket } from '../transport/close.js';
import type { Session } from './session.js';

/** Sessions whose server does not know EPRT. */
const usesPort = new WeakSet<Session>();

/** Listens on `address`, on a port of `range` (random start, every port tried once) or any port. */
async function listen(address: string, range: readonly [number, number] | undefined): Promise<net.Server> {
  const ports: number[] = [];
  if (range === undefined) ports.push(0);
  else {
    const [min, max] = range;
    const start = Math.floor(Math.random() * (max - min + 1));
    for (let i = 0; i <= max - min; i++) ports.push(min + ((start + i) % (max - min + 1)));
  }
  let lastError: unknown;
  for (const port of ports) {
    const server = net.createServer({ pauseOnConnect: true });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address, port, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server;
    } catch (err) {
      lastError = err;
      server.close();
    }
  }
  const where = range === undefined ? 'a port' : `a port in ${range[0]}-${range[1]}`;
  throw new ConnectionError(
    `Cannot listen for an active data connection on ${address}, ${where}: ${(lastError as Error).message}`,
    { cause: lastError },
  );
}

class ActiveConnection implements PendingDataConnection {
  readonly what: string;
  readonly prefetched = false;
  #accepted: Socket | undefined;
  #waiter: { resolve: (s: Socket) => void; reject: (e: unknown) => void } | undefined;
  #failure: unknown;
  #timer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => this.#fail(this.limits.signal?.reason);

  constructor(
    readonly server: net.Server,
    readonly expectedPeer: string,
    readonly timeoutMs: number,
    readonly limits: DataChannelLimits,
  ) {
    const { address, port } = server.address() as net.AddressInfo;
    this.what = `active data connection on ${address}:${port}`;
    server.on('connection', (socket) => this.#onConnection(socket));
    server.on('error', (err) =>
      this.#fail(new ConnectionError(`The ${this.what} failed: ${err.message}`, { cause: err })),
    );
    limits.signal?.addEventListener('abort', this.#onAbort, { once: true });
    // From the announcement on: servers connect before their 1xx reply, and a listener must not
    // outlive a server that never connects.
    this.#timer = setTimeout(
      () =>
        this.#fail(
          new ConnectTimeoutError(`The server did not connect to the ${this.what} within ${this.timeoutMs} ms`),
        ),
      this.timeoutMs,
    );
  }

  #onConnection(socket: Socket): void {
    const peer = plainAddress(socket.remoteAddress ?? '');
    if (peer !== this.expectedPeer || this.#accepted !== undefined) {
      // Someone else (or a second connection): refused, never read from.
      logData(
        '%s: refused a connection from %s:%s (expected the server, %s)',
        this.what,
        peer,
        socket.remotePort,
        this.expectedPeer,
      );
      socket.destroy();
      return;
    }
    this.#accepted = socket;
    socket.on('error', this.limits.onSocketError);
    socket.setNoDelay(true); // left paused (pauseOnConnect): on plain data the server may send at once
    this.#closeListener();
    this.#settle();
  }

  connected(): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#settle();
    });
  }

  #settle(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    if (this.#failure !== undefined) waiter.reject(this.#failure);
    else if (this.#accepted !== undefined) waiter.resolve(this.#accepted);
    else return;
    this.#waiter = undefined;
  }

  #fail(err: unknown): void {
    this.#failure ??= err;
    this.#closeListener();
    this.#settle();
  }

  #closeListener(): void {
    clearTimeout(this.#timer);
    this.limits.signal?.removeEventListener('abort', this.#onAbort);
    if (this.server.listening) this.server.close();
  }

  destroy(err?: Error): void {
    this.#fail(err ?? new ConnectionError(`The ${this.what} was closed`));
    this.#accepted?.destroy(err);
  }

  reset(layered?: Socket): void {
    this.#fail(new ConnectionError(`The ${this.what} was closed`));
    if (this.#accepted !== undefined) resetSocket(this.#accepted, layered);
  }
}

export const activeChannel: DataChannel = {
  async prepare(session: Session, limits: DataChannelLimits): Promise<PendingDataConnection> {
    const { control, options } = session;
    const local = control.socket.localAddress;
    const peer = control.socket.remoteAddress;
    if (local === undefined || peer === undefined)
      throw new ConnectionError("Active mode needs the control connection's addresses, and it has none");
    const server = await listen(plainAddress(local), options.activePortRange);
    const pending = new ActiveConnection(server, plainAddress(peer), options.timeouts.connect, limits);
    try {
      const { port } = server.address() as net.AddressInfo;
      await announce(session, options.activeAddress ?? plainAddress(local), port, limits.restart);
      return pending;
    } catch (err) {
      pending.destroy();
      throw err;
    }
  },
};

/**
 * EPRT, or PORT when the server does not know EPRT (500/502, remembered); any other refusal is an error.
 * `restart` (a REST line) goes out in the same write (data-restart.ts).
 */
async function announce(session: Session, address: string, port: number, restart: string | undefined): Promise<void> {
  const ok = (reply: FtpReply): boolean => reply.code >= 200 && reply.code < 300;
  if (!usesPort.has(session)) {
    const line = eprtCommand(address, port);
    const reply = await requestWithRestart(session, line, restart, ok);
    if (reply.code >= 200 && reply.code < 300) return;
    if (reply.code !== 500 && reply.code !== 502) throw new FtpReplyError(reply.code, reply.text, line);
    usesPort.add(session);
  }
  const line = portCommand(address, port);
  if (line === undefined)
    throw new ConnectionError(`The server does not know EPRT, and PORT cannot announce the IPv6 address ${address}`);
  expectReply(await requestWithRestart(session, line, restart, ok), line);
}
