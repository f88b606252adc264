/**
 * A userspace TCP forwarding proxy for tests and benchmarks: it sits between a client and a real FTP
 * server, emulates a WAN link (one-way delay, a per-connection window, a rate cap) and injects
 * network faults (blackhole, half-close, reset, delay), separately for control and data connections.
 *
 * It listens on a 127.0.0.x address (127.0.0.2 and up, the first one where every port binds) on one
 * port for the control connection and on the SAME port numbers as the server's passive range, each
 * forwarded to the same port on the server's host. A client that connects data connections to the
 * control host (ftps-client's default; EPSV names no host) therefore reaches the passive ports
 * through the proxy without any change to the server.
 *
 * TLS: the fixture certificate names `localhost` and 127.0.0.1, not 127.0.0.2: clients need
 * `servername: 'localhost'`.
 *
 * Link model (per connection and direction, "up" = client to server, "down" = server to client):
 * - every chunk is delivered `delayMs` after it arrived, in order;
 * - at most `windowBytes` are in flight: a chunk counts until its delivery plus the reverse
 *   direction's delay (its "ack"); the proxy stops reading the sender when the window is full, so
 *   throughput is at most window / RTT, as over TCP with that window;
 * - `rateBytesPerSec` serialises chunks at that rate before the delay;
 * - the kernel completes the client's TCP connect at once, so the proxy charges the handshake by
 *   connecting to the server only after up + down + up delay (SYN, SYN-ACK, ACK): the server sees
 *   the connection, and the client its first reply, when they would over the emulated link.
 * No loss, no slow start.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

/** Shaping of one direction of every proxied connection. */
export interface Shaping {
  /** One-way delay added to every chunk (ms). Default 0. */
  delayMs?: number;
  /** Most bytes in flight per connection (bytes delivered count until their ack returns). Default: no cap. */
  windowBytes?: number;
  /** Most bytes per second per connection. Default: no cap. */
  rateBytesPerSec?: number;
}

/** Shaping of both directions. */
export interface LinkShaping {
  /** Client to server. */
  up?: Shaping;
  /** Server to client. */
  down?: Shaping;
}

/** A symmetric link: half the RTT each way, the same window and rate cap both ways. */
export function link(opts: { rttMs: number; windowBytes?: number; rateBytesPerSec?: number }): LinkShaping {
  const one: Shaping = { delayMs: opts.rttMs / 2 };
  if (opts.windowBytes !== undefined) one.windowBytes = opts.windowBytes;
  if (opts.rateBytesPerSec !== undefined) one.rateBytesPerSec = opts.rateBytesPerSec;
  return { up: { ...one }, down: { ...one } };
}

/** Which connections a fault or counter is about. */
export type ConnectionKind = 'control' | 'data';
/** Which stream of a connection: `up` = client to server, `down` = server to client. */
export type Direction = 'up' | 'down' | 'both';

interface FaultBase {
  /** The streams the fault counts bytes on and acts on. Default `both`. */
  direction?: Direction;
  /**
   * Act after this many bytes have passed on those streams (counted from when the fault was set for
   * connections already open, from their start for later ones). Default 0: at once.
   */
  afterBytes?: number;
  /** Hit at most this many connections (the open ones first), then disarm. Default: every one. */
  times?: number;
  /** Leave the connections open when the fault is set alone: only later ones are hit. Default false. */
  newOnly?: boolean;
}

/**
 * A network fault:
 * - `blackhole`: stop forwarding silently (bytes, FIN and errors are dropped; sockets stay open);
 * - `half-close`: end the stream(s) with a FIN towards the receiver, later bytes on them dropped;
 * - `reset`: reset both sockets of the connection (the peers see ECONNRESET);
 * - `delay`: add `ms` of one-way delay to the stream(s) from now on (`afterBytes` is ignored).
 */
export type Fault =
  | (FaultBase & { type: 'blackhole' })
  | (FaultBase & { type: 'half-close' })
  | (FaultBase & { type: 'reset' })
  | (FaultBase & { type: 'delay'; ms: number });

/** Counters of one connection kind. */
export interface KindStats {
  /** Connections accepted so far. */
  accepted: number;
  /** Connections still open (either socket not closed yet). */
  open: number;
  /** Bytes received from the client (up) and from the server (down) so far. */
  bytesUp: number;
  bytesDown: number;
}

export interface ForwardProxyOptions {
  /** The real server: its host (a loopback address), control port and passive port range. */
  target: { host: string; port: number; passive?: { min: number; max: number } };
  /** Address to listen on; default: the first of 127.0.0.2 … 127.0.0.254 where every port binds. */
  host?: string;
  /** Link shaping for every connection (changeable with setShaping). */
  shaping?: LinkShaping;
}

/** Start a proxy; stop it with `stop()`. */
export async function startForwardProxy(options: ForwardProxyOptions): Promise<ForwardProxy> {
  const proxy = new ForwardProxy(options);
  await proxy.listen();
  return proxy;
}

/** Bytes the proxy buffers per direction before it stops reading the sender (without a window). */
const QUEUE_CAP = 4 * 1024 * 1024;

type Item = { at: number; chunk: Buffer } | { at: number; end: true } | { at: number; reset: true };

interface ArmedFault {
  fault: Fault;
  /** Bytes still to pass on the fault's streams before it acts. */
  remaining: number;
  triggered: boolean;
}

function covers(direction: Direction | undefined, dir: 'up' | 'down'): boolean {
  return direction === undefined || direction === 'both' || direction === dir;
}

/** One direction of a proxied connection: reads `src`, delivers to `dst` on the link's schedule. */
class Pipe {
  private readonly queue: Item[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastRelease = 0;
  private rateFree = 0;
  private inFlight = 0;
  private readonly acks: Array<{ at: number; bytes: number }> = [];
  private ackTimer: NodeJS.Timeout | undefined;
  private dstBlocked = false;
  private paused = false;
  /** Extra delay from a `delay` fault. */
  extraDelay = 0;
  /** Blackholed: drop everything. */
  dropping = false;
  /** An end or reset was queued: later input is dropped. */
  finished = false;

  constructor(
    private readonly conn: ProxiedConnection,
    readonly dir: 'up' | 'down',
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
  ) {
    src.on('data', (chunk: Buffer) => this.conn.onChunk(this, chunk));
    src.on('end', () => this.push({ at: 0, end: true }));
    src.on('error', () => this.push({ at: 0, reset: true }));
    src.on('close', () => this.push({ at: 0, end: true }));
    dst.on('drain', () => {
      this.dstBlocked = false;
      this.flow();
    });
  }

  private get shaping(): Shaping {
    return this.conn.shaping(this.dir);
  }

  /** Queue a chunk or a marker at its release time. */
  push(item: Item): void {
    if (this.dropping || this.finished || this.conn.done) return;
    const now = performance.now();
    const s = this.shaping;
    let sendAt = now;
    if ('chunk' in item && s.rateBytesPerSec !== undefined && s.rateBytesPerSec > 0) {
      this.rateFree = Math.max(now, this.rateFree) + (item.chunk.length / s.rateBytesPerSec) * 1000;
      sendAt = this.rateFree;
    }
    const at = Math.max(sendAt + (s.delayMs ?? 0) + this.extraDelay, this.lastRelease, this.conn.upstreamAt);
    this.lastRelease = at;
    if ('chunk' in item) {
      this.queue.push({ at, chunk: item.chunk });
      this.queuedBytes += item.chunk.length;
      this.inFlight += item.chunk.length;
    } else {
      this.finished = true;
      this.queue.push('end' in item ? { at, end: true } : { at, reset: true });
    }
    this.flow();
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.queue.length === 0 || this.conn.done) return;
    const head = this.queue[0] as Item;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.deliver();
      },
      Math.max(0, head.at - performance.now()),
    );
  }

  /** Deliver what is due (the upstream socket must exist first: see ProxiedConnection). */
  deliver(): void {
    if (this.dir === 'up' && !this.conn.upstreamStarted) return;
    const now = performance.now();
    while (this.queue.length > 0 && !this.conn.done) {
      const head = this.queue[0] as Item;
      if (head.at > now + 0.5) break;
      this.queue.shift();
      if ('chunk' in head) {
        this.queuedBytes -= head.chunk.length;
        if (!this.dst.destroyed && this.dst.writable && !this.dst.write(head.chunk)) this.dstBlocked = true;
        this.ack(head.chunk.length, now);
      } else if ('end' in head) {
        if (!this.dst.destroyed) this.dst.end();
      } else {
        this.conn.reset();
        return;
      }
    }
    this.flow();
    this.schedule();
  }

  /** The chunk's bytes leave the window when its ack would be back at the sender. */
  private ack(bytes: number, deliveredAt: number): void {
    const back = this.conn.shaping(this.dir === 'up' ? 'down' : 'up').delayMs ?? 0;
    if (this.shaping.windowBytes === undefined || back === 0) {
      this.inFlight -= bytes;
      return;
    }
    this.acks.push({ at: deliveredAt + back, bytes });
    this.scheduleAck();
  }

  private scheduleAck(): void {
    if (this.ackTimer !== undefined || this.acks.length === 0 || this.conn.done) return;
    const head = this.acks[0] as { at: number };
    this.ackTimer = setTimeout(
      () => {
        this.ackTimer = undefined;
        const now = performance.now();
        while (this.acks.length > 0 && (this.acks[0] as { at: number }).at <= now + 0.5) {
          this.inFlight -= (this.acks.shift() as { bytes: number }).bytes;
        }
        this.flow();
        this.scheduleAck();
      },
      Math.max(0, head.at - performance.now()),
    );
  }

  /** Pause or resume reading the sender: window, queue cap, receiver backpressure. */
  private flow(): void {
    if (this.conn.done || this.src.destroyed) return;
    const window = this.shaping.windowBytes;
    const full = (window !== undefined && this.inFlight >= window) || this.queuedBytes >= QUEUE_CAP || this.dstBlocked;
    if (full && !this.paused && !this.dropping) {
      this.paused = true;
      this.src.pause();
    } else if ((!full || this.dropping) && this.paused) {
      this.paused = false;
      this.src.resume();
    }
  }

  /** Blackhole: drop what is queued after this point and keep draining the sender. */
  blackhole(): void {
    this.dropping = true;
    this.flow();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.timer = undefined;
    this.ackTimer = undefined;
    this.queue.length = 0;
    this.acks.length = 0;
  }
}

/** A client connection and its connection to the server. */
class ProxiedConnection {
  done = false;
  /** connect() was called on the upstream socket: it buffers writes from now on. */
  upstreamStarted = false;
  /** When the upstream connection may carry bytes (the emulated TCP handshake). */
  readonly upstreamAt: number;
  private readonly upstream: net.Socket;
  private readonly up: Pipe;
  private readonly down: Pipe;
  private readonly faults: ArmedFault[] = [];
  private closedSockets = 0;

  constructor(
    private readonly proxy: ForwardProxy,
    readonly kind: ConnectionKind,
    private readonly client: net.Socket,
    target: { host: string; port: number },
  ) {
    const up = proxy.shapingFor('up').delayMs ?? 0;
    const down = proxy.shapingFor('down').delayMs ?? 0;
    const handshake = 2 * up + down;
    this.upstreamAt = performance.now() + handshake;
    this.upstream = new net.Socket({ allowHalfOpen: true });
    this.up = new Pipe(this, 'up', client, this.upstream);
    this.down = new Pipe(this, 'down', this.upstream, client);
    for (const s of [client, this.upstream]) {
      s.setNoDelay(true);
      s.on('close', () => {
        if (++this.closedSockets === 2) this.finish();
      });
    }
    const connect = (): void => {
      if (this.done) return;
      this.upstream.connect({ host: target.host, port: target.port });
      this.upstreamStarted = true;
      this.up.deliver();
    };
    if (handshake > 0) this.proxy.timer(connect, handshake);
    else connect();
  }

  shaping(dir: 'up' | 'down'): Shaping {
    return this.proxy.shapingFor(dir);
  }

  pipe(dir: 'up' | 'down'): Pipe {
    return dir === 'up' ? this.up : this.down;
  }

  /** Arm a fault on this connection; acts at once when no bytes are to pass first. */
  arm(fault: Fault): void {
    if (fault.type === 'delay') {
      for (const dir of ['up', 'down'] as const) if (covers(fault.direction, dir)) this.pipe(dir).extraDelay = fault.ms;
      return;
    }
    const armed: ArmedFault = { fault, remaining: fault.afterBytes ?? 0, triggered: false };
    this.faults.push(armed);
    if (armed.remaining <= 0) this.trigger(armed);
  }

  /** Bytes from one side: count them, cut at a fault's threshold, queue what passes. */
  onChunk(pipe: Pipe, chunk: Buffer): void {
    this.proxy.count(this.kind, pipe.dir, chunk.length);
    let pass = chunk;
    const fired: ArmedFault[] = [];
    for (const armed of this.faults) {
      if (armed.triggered || !covers(armed.fault.direction, pipe.dir)) continue;
      if (pass.length >= armed.remaining) {
        pass = pass.subarray(0, armed.remaining);
        fired.push(armed);
      }
    }
    for (const armed of this.faults) {
      if (!armed.triggered && covers(armed.fault.direction, pipe.dir)) armed.remaining -= pass.length;
    }
    if (pass.length > 0) pipe.push({ at: 0, chunk: pass });
    for (const armed of fired) this.trigger(armed, pipe);
  }

  /** Act; `at` is the stream whose bytes crossed the threshold (a reset goes out after them). */
  private trigger(armed: ArmedFault, at?: Pipe): void {
    if (armed.triggered || this.done) return;
    armed.triggered = true;
    const { fault } = armed;
    const dirs = (['up', 'down'] as const).filter((d) => covers(fault.direction, d));
    switch (fault.type) {
      case 'blackhole':
        for (const d of dirs) this.pipe(d).blackhole();
        break;
      case 'half-close':
        for (const d of dirs) this.pipe(d).push({ at: 0, end: true });
        break;
      case 'reset':
        if (at !== undefined) at.push({ at: 0, reset: true });
        else this.reset();
        break;
      case 'delay':
        break;
    }
  }

  /** RST both peers. */
  reset(): void {
    if (this.done) return;
    if (this.upstream.connecting) {
      // let the bytes before the reset reach the server first
      this.upstream.once('connect', () => setImmediate(() => this.reset()));
      return;
    }
    for (const s of [this.client, this.upstream]) {
      if (s.destroyed) continue;
      // resetAndDestroy needs a connected TCP handle; an upstream not started yet is just destroyed
      if (s.pending) s.destroy();
      else s.resetAndDestroy();
    }
  }

  /** Close both sockets at once (stop). */
  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.up.stop();
    this.down.stop();
    this.proxy.closed(this);
  }
}

/** The proxy: listeners for the control port and the passive range, the connections, the counters. */
export class ForwardProxy {
  /** Address the proxy listens on (127.0.0.x). Connect clients here. */
  host = '';
  /** Control port of the proxy. */
  port = 0;
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<ProxiedConnection>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private link: LinkShaping;
  private readonly faults: Record<ConnectionKind, { fault: Fault; left: number } | undefined> = {
    control: undefined,
    data: undefined,
  };
  private readonly counters: Record<ConnectionKind, KindStats> = {
    control: { accepted: 0, open: 0, bytesUp: 0, bytesDown: 0 },
    data: { accepted: 0, open: 0, bytesUp: 0, bytesDown: 0 },
  };
  private stopping: Promise<void> | undefined;

  /** Use startForwardProxy(). */
  constructor(private readonly options: ForwardProxyOptions) {
    this.link = options.shaping ?? {};
  }

  /** Bind every listener (first free 127.0.0.x unless `host` was given). */
  async listen(): Promise<void> {
    const hosts =
      this.options.host !== undefined ? [this.options.host] : Array.from({ length: 253 }, (_, i) => `127.0.0.${i + 2}`);
    let lastError: unknown;
    for (const host of hosts) {
      try {
        await this.bindAll(host);
        this.host = host;
        return;
      } catch (err) {
        lastError = err;
        await this.closeServers();
      }
    }
    throw new Error(`forward proxy: no 127.0.0.x address where every port binds: ${String(lastError)}`);
  }

  private async bindAll(host: string): Promise<void> {
    const { target } = this.options;
    this.port = await this.bind(host, 0, 'control', target.port);
    const passive = target.passive;
    if (passive === undefined) return;
    for (let p = passive.min; p <= passive.max; p++) await this.bind(host, p, 'data', p);
  }

  private bind(host: string, port: number, kind: ConnectionKind, targetPort: number): Promise<number> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) =>
      this.accept(kind, socket, targetPort),
    );
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  private accept(kind: ConnectionKind, socket: net.Socket, targetPort: number): void {
    if (this.stopping !== undefined) {
      socket.destroy();
      return;
    }
    this.counters[kind].accepted++;
    this.counters[kind].open++;
    const conn = new ProxiedConnection(this, kind, socket, { host: this.options.target.host, port: targetPort });
    this.connections.add(conn);
    const armed = this.faults[kind];
    if (armed !== undefined) this.hit(kind, conn, armed);
  }

  private hit(kind: ConnectionKind, conn: ProxiedConnection, armed: { fault: Fault; left: number }): void {
    conn.arm(armed.fault);
    if (--armed.left <= 0) this.faults[kind] = undefined;
  }

  /**
   * Arm a fault for every open and later connection of `kind` (until `times` connections were hit),
   * replacing the previous one of that kind; `undefined` disarms (already triggered faults stay).
   */
  setFault(kind: ConnectionKind, fault: Fault | undefined): void {
    if (fault === undefined) {
      this.faults[kind] = undefined;
      return;
    }
    const armed = { fault, left: fault.times ?? Infinity };
    this.faults[kind] = armed;
    if (fault.newOnly === true) return;
    for (const conn of this.connections) {
      if (conn.kind !== kind || conn.done || this.faults[kind] === undefined) continue;
      this.hit(kind, conn, armed);
    }
  }

  /** Change the link shaping; applies to bytes arriving from now on. */
  setShaping(shaping: LinkShaping): void {
    this.link = shaping;
  }

  /** Counters for one kind of connection. */
  stats(kind: ConnectionKind): KindStats {
    return { ...this.counters[kind] };
  }

  /** Connections of either kind still open. */
  openConnections(): number {
    return this.counters.control.open + this.counters.data.open;
  }

  /** Close every listener and connection, cancel every timer; idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      for (const conn of [...this.connections]) conn.destroy();
      await this.closeServers();
    })();
    return this.stopping;
  }

  // --- used by the connections -------------------------------------------------------------

  /** @internal */
  shapingFor(dir: 'up' | 'down'): Shaping {
    return (dir === 'up' ? this.link.up : this.link.down) ?? {};
  }

  /** @internal */
  count(kind: ConnectionKind, dir: 'up' | 'down', bytes: number): void {
    if (dir === 'up') this.counters[kind].bytesUp += bytes;
    else this.counters[kind].bytesDown += bytes;
  }

  /** @internal */
  closed(conn: ProxiedConnection): void {
    if (this.connections.delete(conn)) this.counters[conn.kind].open--;
  }

  /** @internal A timer that stop() cancels. */
  timer(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async closeServers(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(
      servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))),
    );
  }
}
