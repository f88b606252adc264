/**
 * The forwarding proxy against a plain TCP target on 127.0.0.1: forwarding both ways and on the
 * passive range, order under delay, the window, each fault, `times`, counters, and that stop()
 * leaves no socket open on either side.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { link, startForwardProxy, type ForwardProxy, type ForwardProxyOptions } from './forward-proxy.js';

const LIMIT = { timeout: 20_000 };

/** A target that records what each connection sent and lets the test write back. */
class Target {
  readonly sockets: net.Socket[] = [];
  readonly received: Buffer[][] = [];
  readonly ended: boolean[] = [];
  readonly errors: string[] = [];
  readonly servers: net.Server[] = [];
  open = 0;

  async listen(port = 0): Promise<number> {
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      const i = this.sockets.push(s) - 1;
      this.received[i] = [];
      this.ended[i] = false;
      this.open++;
      s.on('data', (d: Buffer) => this.received[i]?.push(d));
      s.on('end', () => {
        this.ended[i] = true;
        s.end(); // a FIN closes the target's side too
      });
      s.on('error', (e: NodeJS.ErrnoException) => this.errors.push(e.code ?? e.message));
      s.on('close', () => this.open--);
    });
    this.servers.push(server);
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as net.AddressInfo).port;
  }

  bytes(i: number): Buffer {
    return Buffer.concat(this.received[i] ?? []);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function withProxy(
  opts: Partial<ForwardProxyOptions>,
  body: (ctx: { proxy: ForwardProxy; target: Target; dial: (port?: number) => Promise<Client> }) => Promise<void>,
): Promise<void> {
  const target = new Target();
  const port = await target.listen();
  const proxy = await startForwardProxy({ target: { host: '127.0.0.1', port }, ...opts });
  const clients: Client[] = [];
  try {
    await body({
      proxy,
      target,
      dial: async (p = proxy.port) => {
        const c = new Client(proxy.host, p);
        clients.push(c);
        await once(c.socket, 'connect');
        return c;
      },
    });
  } finally {
    await proxy.stop();
    for (const c of clients) c.socket.destroy();
    await until(() => target.open === 0, 'target sockets closed after stop()');
    assert.equal(proxy.openConnections(), 0);
    await target.close();
  }
}

class Client {
  readonly socket: net.Socket;
  readonly chunks: Buffer[] = [];
  ended = false;
  error: string | undefined;
  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port, allowHalfOpen: true });
    this.socket.on('data', (d: Buffer) => this.chunks.push(d));
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('error', (e: NodeJS.ErrnoException) => (this.error = e.code ?? e.message));
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

test('listens on a 127.0.0.x address other than 127.0.0.1 and forwards both ways, counting bytes', LIMIT, async () => {
  await withProxy({}, async ({ proxy, target, dial }) => {
    assert.match(proxy.host, /^127\.0\.0\.(\d+)$/);
    assert.notEqual(proxy.host, '127.0.0.1');
    const c = await dial();
    c.socket.write('hello');
    await until(() => target.bytes(0).toString() === 'hello', 'target got hello');
    target.sockets[0]?.write('world!');
    await until(() => c.bytes().toString() === 'world!', 'client got world!');
    c.socket.end();
    await until(() => target.ended[0] === true, 'FIN forwarded to the target');
    target.sockets[0]?.end();
    await until(() => c.ended, 'FIN forwarded to the client');
    await until(() => proxy.openConnections() === 0, 'connection closed on both sides');
    assert.deepEqual(proxy.stats('control'), { accepted: 1, open: 0, bytesUp: 5, bytesDown: 6 });
    assert.equal(proxy.stats('data').accepted, 0);
  });
});

test('forwards each passive port to the same port on the target, counted as data', LIMIT, async () => {
  const target = new Target();
  const controlPort = await target.listen();
  // two adjacent free ports for a "passive range"
  let min = 0;
  for (let base = 20000 + Math.floor(Math.random() * 5000); min === 0; base += 2) {
    try {
      await target.listen(base);
      await target.listen(base + 1);
      min = base;
    } catch {
      /* taken: try the next pair */
    }
  }
  const proxy = await startForwardProxy({
    target: { host: '127.0.0.1', port: controlPort, passive: { min, max: min + 1 } },
  });
  try {
    const c = new Client(proxy.host, min + 1);
    await once(c.socket, 'connect');
    c.socket.write('data!');
    await until(() => target.sockets.length === 1 && target.bytes(0).toString() === 'data!', 'data forwarded');
    assert.equal(target.sockets[0]?.localPort, min + 1);
    assert.deepEqual(proxy.stats('data'), { accepted: 1, open: 1, bytesUp: 5, bytesDown: 0 });
    assert.equal(proxy.stats('control').accepted, 0);
    c.socket.destroy();
  } finally {
    await proxy.stop();
    await until(() => target.open === 0, 'target sockets closed');
    await target.close();
  }
});

test('delay keeps the order of many chunks both ways', LIMIT, async () => {
  await withProxy(
    { shaping: link({ rttMs: 20, windowBytes: 64 * 1024, rateBytesPerSec: 50_000_000 }) },
    async ({ target, dial }) => {
      const c = await dial();
      const payload = randomBytes(512 * 1024);
      for (let off = 0; off < payload.length; off += 1000) c.socket.write(payload.subarray(off, off + 1000));
      await until(() => target.bytes(0).length === payload.length, 'all bytes up');
      assert.ok(target.bytes(0).equals(payload));
      const back = randomBytes(300 * 1024);
      for (let off = 0; off < back.length; off += 777) target.sockets[0]?.write(back.subarray(off, off + 777));
      await until(() => c.bytes().length === back.length, 'all bytes down');
      assert.ok(c.bytes().equals(back));
    },
  );
});

test('the window caps the bytes the proxy takes from the sender while they are in flight', LIMIT, async () => {
  const window = 32 * 1024;
  // a long delay: nothing reaches the target for a while, so the proxy must stop reading
  await withProxy(
    { shaping: { up: { delayMs: 1500, windowBytes: window }, down: { delayMs: 1500 } } },
    async ({ proxy, target, dial }) => {
      const c = await dial();
      c.socket.write(randomBytes(1024 * 1024));
      await until(() => proxy.stats('control').bytesUp >= window, 'the proxy read a window');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(target.received[0]?.length ?? 0, 0, 'nothing delivered yet');
      // one socket read past the window at most
      assert.ok(proxy.stats('control').bytesUp <= window + 65536, `read ${proxy.stats('control').bytesUp} bytes`);
    },
  );
});

test(
  'blackhole after N bytes: exactly N bytes pass, then nothing (no FIN either), the sockets stay open',
  LIMIT,
  async () => {
    await withProxy({}, async ({ proxy, target, dial }) => {
      proxy.setFault('control', { type: 'blackhole', direction: 'down', afterBytes: 10 });
      const c = await dial();
      await until(() => target.sockets.length === 1, 'connected upstream');
      target.sockets[0]?.write(Buffer.alloc(25, 'x'));
      target.sockets[0]?.end();
      c.socket.write('up still flows? no: down only');
      await until(() => target.bytes(0).length > 0, 'up stream still forwarded');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(c.bytes().length, 10);
      assert.equal(c.ended, false);
      assert.equal(proxy.openConnections(), 1);
    });
  },
);

test('blackhole both ways drops client bytes too; set at runtime on an open connection', LIMIT, async () => {
  await withProxy({}, async ({ proxy, target, dial }) => {
    const c = await dial();
    c.socket.write('abc');
    await until(() => target.bytes(0).toString() === 'abc', 'before the fault');
    proxy.setFault('control', { type: 'blackhole' });
    c.socket.write('def');
    target.sockets[0]?.write('ghi');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(target.bytes(0).toString(), 'abc');
    assert.equal(c.bytes().length, 0);
    assert.equal(proxy.stats('control').bytesUp, 6, 'the proxy still reads (and drops)');
  });
});

test(
  'half-close down after N bytes: the client sees N bytes and a FIN, its own bytes still reach the server',
  LIMIT,
  async () => {
    await withProxy({}, async ({ proxy, target, dial }) => {
      proxy.setFault('control', { type: 'half-close', direction: 'down', afterBytes: 4 });
      const c = await dial();
      await until(() => target.sockets.length === 1, 'connected upstream');
      target.sockets[0]?.write('12345678');
      await until(() => c.ended, 'client got FIN');
      assert.equal(c.bytes().toString(), '1234');
      c.socket.write('after');
      await until(() => target.bytes(0).toString() === 'after', 'up stream still open');
      assert.equal(target.ended[0], false);
    });
  },
);

test(
  'reset after N bytes up: the client sees ECONNRESET, exactly N bytes reached the server, both sides closed',
  LIMIT,
  async () => {
    await withProxy({}, async ({ proxy, target, dial }) => {
      proxy.setFault('data', { type: 'reset', afterBytes: 3 }); // data only: control is untouched
      proxy.setFault('control', { type: 'reset', direction: 'up', afterBytes: 3 });
      const c = await dial();
      c.socket.write('abcdef');
      await until(() => c.error !== undefined, 'client reset');
      assert.equal(c.error, 'ECONNRESET');
      await until(() => target.open === 0, 'target side closed');
      assert.equal(target.bytes(0).toString(), 'abc');
      // the target's side: an RST right behind data can surface as an end in Node; never another error
      assert.ok(
        target.errors.every((e) => e === 'ECONNRESET'),
        target.errors.join(),
      );
      await until(() => proxy.openConnections() === 0, 'proxy forgot the connection');
    });
  },
);

test('times: a fault hits only that many connections, the next ones are forwarded normally', LIMIT, async () => {
  await withProxy({}, async ({ proxy, target, dial }) => {
    proxy.setFault('control', { type: 'reset', times: 1 });
    const first = new Client(proxy.host, proxy.port); // reset at once: 'connect' may not come
    await until(() => first.error !== undefined, 'first connection reset');
    const second = await dial();
    proxy.setFault('control', { type: 'half-close', newOnly: true });
    second.socket.write('ok');
    await until(() => target.bytes(target.sockets.length - 1).toString() === 'ok', 'second forwarded');
    assert.equal(second.error, undefined);
    assert.equal(second.ended, false, 'newOnly: the open connection is left alone');
    const third = new Client(proxy.host, proxy.port);
    await until(() => third.ended, 'a new connection is hit');
    assert.equal(proxy.stats('control').accepted, 3);
  });
});

test('delay fault adds latency but loses and reorders nothing; setFault(kind, undefined) disarms', LIMIT, async () => {
  await withProxy({}, async ({ proxy, target, dial }) => {
    proxy.setFault('control', { type: 'delay', ms: 50, direction: 'up' });
    const c = await dial();
    for (let i = 0; i < 100; i++) c.socket.write(`${i},`);
    const want = Array.from({ length: 100 }, (_, i) => `${i},`).join('');
    await until(() => target.bytes(0).toString() === want, 'all chunks in order');
    proxy.setFault('control', undefined);
    const d = await dial();
    d.socket.write('z');
    await until(() => target.bytes(1).toString() === 'z', 'new connection without fault');
  });
});

test('stop() with traffic queued and a connection still connecting upstream leaves nothing open', LIMIT, async () => {
  await withProxy({ shaping: link({ rttMs: 400 }) }, async ({ dial }) => {
    const a = await dial();
    a.socket.write(randomBytes(100_000));
    await dial(); // its upstream connect is still held back by the emulated handshake
  });
});
