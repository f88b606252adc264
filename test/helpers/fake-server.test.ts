/**
 * Self-tests of the fake FTP server, driven by bare node:net / node:tls clients.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { FakeFtpServer, faults, type FakeServerOptions } from './fake-server.js';

const ca = readFileSync(new URL('../fixtures/tls/ca.pem', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Minimal line-oriented FTP control client for these tests. */
class Ctl {
  session: Buffer | undefined;
  private text = '';
  private lines: string[] = [];
  private ended = false;
  private notify: (() => void) | undefined;
  private readonly onData = (d: Buffer): void => {
    this.text += d.toString('latin1');
    let i: number;
    while ((i = this.text.indexOf('\r\n')) >= 0) {
      this.lines.push(this.text.slice(0, i));
      this.text = this.text.slice(i + 2);
    }
    this.notify?.();
  };

  private constructor(public sock: net.Socket | tls.TLSSocket) {
    this.listen(sock);
  }

  static async open(server: FakeFtpServer, version?: tls.SecureVersion): Promise<Ctl> {
    if (server.options.mode === 'implicit') {
      const s = tls.connect({
        host: server.host,
        port: server.port,
        ca,
        servername: 'localhost',
        ...versionOpts(version),
      });
      const ctl = new Ctl(s);
      s.on('session', (sess: Buffer) => {
        ctl.session = sess;
      });
      await new Promise((r) => s.once('secureConnect', r));
      return ctl;
    }
    const s = net.connect(server.port, server.host);
    await new Promise((r) => s.once('connect', r));
    return new Ctl(s);
  }

  private listen(s: net.Socket): void {
    s.on('data', this.onData);
    s.on('error', () => {});
    s.on('close', () => {
      this.ended = true;
      this.notify?.();
    });
  }

  /** Next complete (possibly multi-line) reply. */
  async read(timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const first = this.lines[0];
      if (first !== undefined) {
        if (first[3] !== '-') return this.lines.shift() as string;
        const end = this.lines.findIndex((l, i) => i > 0 && l.startsWith(`${first.slice(0, 3)} `));
        if (end > 0) return this.lines.splice(0, end + 1).join('\n');
      }
      if (this.ended) throw new Error('control connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('reply timeout');
      await new Promise<void>((r) => {
        this.notify = r;
        setTimeout(r, left);
      });
    }
  }

  async cmd(line: string): Promise<string> {
    this.sock.write(`${line}\r\n`);
    return this.read();
  }

  async authTls(version?: tls.SecureVersion): Promise<void> {
    assert.match(await this.cmd('AUTH TLS'), /^234 /);
    this.sock.off('data', this.onData);
    const s = tls.connect({ socket: this.sock, ca, servername: 'localhost', ...versionOpts(version) });
    s.on('session', (sess: Buffer) => {
      this.session = sess;
    });
    await new Promise((r) => s.once('secureConnect', r));
    this.sock = s;
    this.listen(s);
  }

  async login(): Promise<void> {
    assert.match(await this.cmd('USER user'), /^331 /);
    assert.match(await this.cmd('PASS pass'), /^230 /);
  }

  async protP(): Promise<void> {
    assert.match(await this.cmd('PBSZ 0'), /^200 /);
    assert.match(await this.cmd('PROT P'), /^200 /);
  }

  async epsv(): Promise<number> {
    const r = await this.cmd('EPSV');
    const m = /\(\|\|\|(\d+)\|\)/.exec(r);
    assert.ok(m?.[1], r);
    return Number(m[1]);
  }

  async quit(): Promise<void> {
    assert.match(await this.cmd('QUIT'), /^221 /);
    this.sock.end();
    await new Promise((r) => (this.sock.closed ? r(null) : this.sock.once('close', r)));
  }
}

function versionOpts(v?: tls.SecureVersion): { minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion } {
  return v ? { minVersion: v, maxVersion: v } : {};
}

async function withServer(opts: FakeServerOptions, fn: (s: FakeFtpServer) => Promise<void>): Promise<void> {
  const server = new FakeFtpServer(opts);
  await server.start();
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** Logged-in explicit/implicit session with PROT P. */
async function ready(server: FakeFtpServer, version?: tls.SecureVersion): Promise<Ctl> {
  const ctl = await Ctl.open(server, version);
  assert.match(await ctl.read(), /^220 /);
  if (server.options.mode === 'explicit') await ctl.authTls(version);
  await ctl.login();
  if (server.options.mode !== 'plain') await ctl.protP();
  return ctl;
}

interface DataOpts {
  tls: boolean;
  session?: Buffer | undefined;
  version?: tls.SecureVersion;
  early?: boolean;
}

/** Connects to the data port (TLS after the 150 unless `early`); returns the socket once usable. */
async function dataConnect(
  server: FakeFtpServer,
  port: number,
  o: DataOpts,
): Promise<{ raw: net.Socket; sock: net.Socket | tls.TLSSocket; start: () => Promise<void> }> {
  const raw = net.connect(port, server.host);
  raw.on('error', () => {});
  await new Promise((r) => raw.once('connect', r));
  let sock: net.Socket | tls.TLSSocket = raw;
  const begin = (): Promise<void> => {
    if (!o.tls) return Promise.resolve();
    const t = tls.connect({
      socket: raw,
      ca,
      servername: 'localhost',
      ...(o.session ? { session: o.session } : {}),
      ...versionOpts(o.version),
    });
    t.on('error', () => {});
    sock = t;
    return new Promise((resolve) => {
      t.once('secureConnect', () => resolve());
      t.once('close', () => resolve());
    });
  };
  const early = o.early ? begin() : undefined;
  return {
    raw,
    get sock() {
      return sock;
    },
    start: () => early ?? begin(),
  } as never;
}

async function retr(
  ctl: Ctl,
  server: FakeFtpServer,
  cmd: string,
  o: DataOpts,
): Promise<{ data: Buffer; replies: string[] }> {
  const port = await ctl.epsv();
  const d = await dataConnect(server, port, o);
  const replies = [await ctl.cmd(cmd)];
  if (!replies[0]?.startsWith('150')) return { data: Buffer.alloc(0), replies };
  await d.start();
  const chunks: Buffer[] = [];
  d.sock.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((r) => d.sock.once('close', r));
  replies.push(await ctl.read());
  return { data: Buffer.concat(chunks), replies };
}

test('explicit: refuses login before AUTH, logs TLS per line, full session', async () => {
  await withServer({ mode: 'explicit', files: { '/pub/a.txt': 'hello' } }, async (server) => {
    const ctl = await Ctl.open(server);
    assert.match(await ctl.read(), /^220 /);
    assert.match(await ctl.cmd('USER user'), /^530 /);
    assert.match(await ctl.cmd('PBSZ 0'), /^503 /);
    await ctl.authTls();
    await ctl.login();
    assert.match(await ctl.cmd('LIST'), /^522 /); // PROT P missing
    await ctl.protP();
    assert.match(await ctl.cmd('FEAT'), /^211-Features:\n EPSV\n[\s\S]*\n211 End$/);
    assert.match(await ctl.cmd('CWD /pub'), /^250 /);
    assert.equal(await ctl.cmd('PWD'), '257 "/pub" is the current directory');
    assert.equal(await ctl.cmd('SIZE a.txt'), '213 5');
    assert.match(await ctl.cmd('XYZZY'), /^502 /);
    const { data, replies } = await retr(ctl, server, 'RETR a.txt', { tls: true, session: ctl.session });
    assert.equal(data.toString(), 'hello');
    assert.deepEqual(
      replies.map((r) => r.slice(0, 3)),
      ['150', '226'],
    );
    await ctl.quit();
    await server.waitForIdle(1000);
    assert.deepEqual(server.log.slice(0, 4), [
      { line: 'USER user', secure: false, connection: 1 },
      { line: 'PBSZ 0', secure: false, connection: 1 },
      { line: 'AUTH TLS', secure: false, connection: 1 },
      { line: 'USER user', secure: true, connection: 1 },
    ]);
    assert.ok(server.commands.includes('PASS pass'));
    assert.deepEqual(server.violations, ['USER before AUTH TLS', 'LIST without PROT P']);
    assert.deepEqual(server.dataReuse, [true]);
  });
});

test('implicit: greeting after TLS, AUTH refused, MLSD/NLST listings', async () => {
  await withServer({ mode: 'implicit', files: { '/d/x.bin': Buffer.alloc(3), '/d/sub/y': 'y' } }, async (server) => {
    const ctl = await ready(server);
    assert.match(await ctl.cmd('AUTH TLS'), /^503 /);
    const nlst = await retr(ctl, server, 'NLST /d', { tls: true, session: ctl.session });
    assert.equal(nlst.data.toString(), 'sub\r\nx.bin\r\n');
    const mlsd = await retr(ctl, server, 'MLSD /d', { tls: true, session: ctl.session });
    assert.match(mlsd.data.toString(), /^type=dir;modify=\d{14}; sub\r\ntype=file;size=3;modify=\d{14}; x\.bin\r\n$/);
    assert.match(
      await ctl.cmd('MLST /d/x.bin'),
      /^250-Listing \/d\/x\.bin\n type=file;size=3;modify=\d{14}; \/d\/x\.bin\n250 End$/,
    );
    await ctl.quit();
    await server.waitForIdle(1000);
    assert.ok(server.log.every((e) => e.secure));
  });
});

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`${version}: data session reuse detected, upload stored only with reuse`, async () => {
    await withServer({ mode: 'explicit', minVersion: version, maxVersion: version }, async (server) => {
      const ctl = await ready(server, version);
      assert.ok(ctl.session, 'control session ticket received');
      // Without the session: not resumed → 425.
      const bad = await retr(ctl, server, 'LIST', { tls: true, version });
      assert.deepEqual(
        bad.replies.map((r) => r.slice(0, 3)),
        ['150', '425'],
      );
      // With the session: resumed → upload stored.
      const port = await ctl.epsv();
      const d = await dataConnect(server, port, { tls: true, session: ctl.session, version });
      assert.match(await ctl.cmd('STOR /up.bin'), /^150 /);
      await d.start();
      d.sock.on('data', () => {});
      d.sock.end(Buffer.alloc(100_000, 7));
      assert.match(await ctl.read(), /^226 /);
      assert.equal(server.files.get('/up.bin')?.length, 100_000);
      assert.deepEqual(server.dataReuse, [false, true]);
      assert.deepEqual(server.violations, ['data TLS session not resumed']);
      await ctl.quit();
      await server.waitForIdle(1000);
    });
  });
}

test('requireSessionReuse: false accepts a fresh data session (on ::1)', async () => {
  await withServer(
    { mode: 'implicit', host: '::1', requireSessionReuse: false, files: { '/f': 'abc' } },
    async (server) => {
      const ctl = await ready(server);
      const r = await retr(ctl, server, 'RETR /f', { tls: true });
      assert.equal(r.data.toString(), 'abc');
      assert.deepEqual(server.dataReuse, [false]);
      await ctl.quit();
    },
  );
});

test('dataTls strict: early ClientHello fails, after-preliminary accepts it', async () => {
  for (const dataTls of ['strict', 'after-preliminary'] as const) {
    await withServer({ mode: 'explicit', dataTls, files: { '/f': 'abc' } }, async (server) => {
      const ctl = await ready(server);
      const port = await ctl.epsv();
      const d = await dataConnect(server, port, { tls: true, session: ctl.session, early: true });
      await sleep(50); // let the ClientHello arrive before the command
      const reply = await ctl.cmd('RETR /f');
      if (dataTls === 'strict') {
        assert.match(reply, /^425 /);
        assert.match(server.violations[0] ?? '', /before RETR/);
      } else {
        assert.match(reply, /^150 /);
        await d.start();
        const chunks: Buffer[] = [];
        d.sock.on('data', (c: Buffer) => chunks.push(c));
        await new Promise((r) => d.sock.once('close', r));
        assert.equal(Buffer.concat(chunks).toString(), 'abc');
        assert.match(await ctl.read(), /^226 /);
      }
      await ctl.quit();
      await server.waitForIdle(1000);
    });
  }
});

test('STOR truncation: FIN without close_notify or RST → 426, file not stored', async () => {
  for (const how of ['fin', 'rst'] as const) {
    await withServer({ mode: 'explicit' }, async (server) => {
      const ctl = await ready(server);
      const port = await ctl.epsv();
      const d = await dataConnect(server, port, { tls: true, session: ctl.session });
      assert.match(await ctl.cmd('STOR /t.bin'), /^150 /);
      await d.start();
      d.sock.write(Buffer.alloc(5000, 1));
      await sleep(50);
      if (how === 'fin')
        d.raw.end(); // TCP FIN under the TLS layer: no close_notify
      else d.raw.resetAndDestroy();
      assert.match(await ctl.read(), /^426 /);
      assert.equal(server.files.has('/t.bin'), false);
      assert.match(server.violations.join(), how === 'fin' ? /without close_notify/ : /failed before end/);
      d.sock.destroy();
      await ctl.quit();
      await server.waitForIdle(1000);
    });
  }
});

test('waitForIdle rejects while the client keeps a socket open', async () => {
  await withServer({ mode: 'plain' }, async (server) => {
    const ctl = await Ctl.open(server);
    assert.match(await ctl.read(), /^220 /);
    assert.equal(server.openSockets(), 1);
    await assert.rejects(server.waitForIdle(50), /not idle/);
    ctl.sock.destroy();
    await server.waitForIdle(1000);
  });
});

test('hooks: stall, 421 greeting, 120 greeting, reset', async () => {
  await withServer({ mode: 'plain' }, async (server) => {
    server.hook('CONNECT', faults.replyAndClose(), { times: 1 });
    const a = await Ctl.open(server);
    assert.match(await a.read(), /^421 /);
    await assert.rejects(a.read(), /closed/);

    server.hook('CONNECT', faults.greeting120(10), { times: 1 });
    server.hook('PWD', faults.stall());
    server.hook('NOOP', faults.reset());
    const b = await Ctl.open(server);
    assert.match(await b.read(), /^120 /);
    assert.match(await b.read(), /^220 /);
    b.sock.write('PWD\r\n');
    await assert.rejects(b.read(150), /reply timeout/);
    b.sock.destroy();

    const c = await Ctl.open(server);
    await c.read();
    c.sock.write('NOOP\r\n');
    const err = await new Promise<NodeJS.ErrnoException>((r) => c.sock.once('error', r));
    assert.equal(err.code, 'ECONNRESET');
    await server.waitForIdle(1000);
  });
});

test('hooks: custom reply, next() and fall-through', async () => {
  await withServer({ mode: 'plain' }, async (server) => {
    const seen: string[] = [];
    server.hook('*', (ctx) => {
      seen.push(ctx.verb);
      return 'default';
    });
    server.hook('SYST', async (ctx) => {
      await ctx.reply('215-line one\n215 UNIX');
    });
    server.hook('NOOP', async (ctx) => {
      await ctx.writeRaw('200-Extra line\r\n');
      await ctx.next();
    });
    const ctl = await Ctl.open(server);
    await ctl.read();
    assert.equal(await ctl.cmd('SYST'), '215-line one\n215 UNIX');
    assert.equal(await ctl.cmd('NOOP'), '200-Extra line\n200 NOOP ok.');
    await ctl.login();
    assert.deepEqual(seen, ['USER', 'PASS']);
    ctl.sock.destroy();
  });
});

test('hooks: garbage after 234, AUTH and PROT refused', async () => {
  await withServer({ mode: 'explicit' }, async (server) => {
    server.hook('AUTH', faults.garbageAfter234(), { times: 1 });
    const a = await Ctl.open(server);
    await a.read();
    a.sock.write('AUTH TLS\r\n');
    assert.match(await a.read(), /^234 /);
    assert.match(await a.read(), /not a TLS/);
    a.sock.destroy();

    server.hook('AUTH', faults.reply('534 No TLS for you'), { times: 1 });
    const b = await Ctl.open(server);
    await b.read();
    assert.match(await b.cmd('AUTH TLS'), /^534 /);
    b.sock.destroy();

    server.hook('PROT', faults.reply('536 PROT P not supported'));
    const c = await Ctl.open(server);
    await c.read();
    await c.authTls();
    await c.login();
    assert.match(await c.cmd('PBSZ 0'), /^200 /);
    assert.match(await c.cmd('PROT P'), /^536 /);
    c.sock.destroy();
    await server.waitForIdle(1000);
  });
});

test('hooks: bogus 227 names 10.1.2.3 but the listener is on the control host', async () => {
  await withServer({ mode: 'plain', epsv: false, files: { '/f': 'data' } }, async (server) => {
    server.hook('PASV', faults.bogusPasv());
    const ctl = await ready(server);
    assert.match(await ctl.cmd('EPSV'), /^502 /);
    const r = await ctl.cmd('PASV');
    const m = /\(10,1,2,3,(\d+),(\d+)\)/.exec(r);
    assert.ok(m?.[1] && m[2], r);
    const d = await dataConnect(server, Number(m[1]) * 256 + Number(m[2]), { tls: false });
    assert.match(await ctl.cmd('RETR /f'), /^150 /);
    const chunks: Buffer[] = [];
    d.sock.on('data', (c: Buffer) => chunks.push(c));
    await new Promise((res) => d.sock.once('end', res));
    d.sock.end();
    assert.equal(Buffer.concat(chunks).toString(), 'data');
    assert.match(await ctl.read(), /^226 /);
    await ctl.quit();
    await server.waitForIdle(1000);
  });
});

test('hooks: endless reply stops when the client closes', async () => {
  await withServer({ mode: 'plain' }, async (server) => {
    server.hook('FEAT', faults.hugeReply());
    const ctl = await Ctl.open(server);
    await ctl.read();
    ctl.sock.off('data', (ctl as unknown as { onData: () => void }).onData);
    let received = 0;
    ctl.sock.on('data', (d: Buffer) => {
      received += d.length;
      if (received > 8 * 1024 * 1024) ctl.sock.destroy();
    });
    ctl.sock.write('FEAT\r\n');
    await new Promise((r) => ctl.sock.once('close', r));
    assert.ok(received > 8 * 1024 * 1024);
    await server.waitForIdle(1000);
  });
});

test('transfer faults: data closed after N bytes, missing 226, stalled data', async () => {
  await withServer({ mode: 'implicit', files: { '/big': Buffer.alloc(200_000, 9) } }, async (server) => {
    const ctl = await ready(server);
    server.nextTransfer({ after: { bytes: 1000, action: 'close' } });
    const r1 = await retr(ctl, server, 'RETR /big', { tls: true, session: ctl.session });
    assert.equal(r1.data.length, 1000);
    assert.match(r1.replies[1] ?? '', /^426 /);

    server.nextTransfer({ omitFinalReply: true });
    const port = await ctl.epsv();
    const d = await dataConnect(server, port, { tls: true, session: ctl.session });
    assert.match(await ctl.cmd('RETR /big'), /^150 /);
    await d.start();
    let n = 0;
    d.sock.on('data', (c: Buffer) => {
      n += c.length;
    });
    await new Promise((r) => d.sock.once('close', r));
    assert.equal(n, 200_000);
    await assert.rejects(ctl.read(100), /reply timeout/);

    server.nextTransfer({ stall: true });
    const p2 = await ctl.epsv();
    const d2 = await dataConnect(server, p2, { tls: true, session: ctl.session });
    assert.match(await ctl.cmd('RETR /big'), /^150 /);
    let handshaken = false;
    void d2.start().then(() => {
      handshaken = !d2.raw.destroyed;
    });
    await sleep(100);
    assert.equal(handshaken, false); // the server never answers the ClientHello
    d2.raw.destroy();
    ctl.sock.destroy();
    await server.waitForIdle(1000);
  });
});

test('transfer faults: control reset mid-transfer', async () => {
  await withServer({ mode: 'explicit', files: { '/big': Buffer.alloc(100_000) } }, async (server) => {
    const ctl = await ready(server);
    server.nextTransfer({ after: { bytes: 5000, action: 'reset-control' } });
    const port = await ctl.epsv();
    const d = await dataConnect(server, port, { tls: true, session: ctl.session });
    assert.match(await ctl.cmd('RETR /big'), /^150 /);
    await d.start();
    d.sock.on('data', () => {});
    const err = await new Promise<NodeJS.ErrnoException>((r) => ctl.sock.once('error', r));
    assert.equal(err.code, 'ECONNRESET');
    d.sock.destroy();
    await server.waitForIdle(1000);
  });
});

test('transfer faults: STOR data reset after N bytes → 426, nothing stored', async () => {
  await withServer({ mode: 'implicit' }, async (server) => {
    const ctl = await ready(server);
    server.nextTransfer({ after: { bytes: 10_000, action: 'reset' } });
    const port = await ctl.epsv();
    const d = await dataConnect(server, port, { tls: true, session: ctl.session });
    assert.match(await ctl.cmd('STOR /s'), /^150 /);
    await d.start();
    d.sock.on('error', () => {});
    d.sock.write(Buffer.alloc(50_000));
    assert.match(await ctl.read(), /^426 /);
    assert.equal(server.files.has('/s'), false);
    await ctl.quit();
    await server.waitForIdle(1000);
  });
});
