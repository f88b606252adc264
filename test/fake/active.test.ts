/**
 * Active mode (dataConnection: 'active'): EPRT first, PORT fallback, the listener on the control
 * connection's local address, only the server's address accepted, the client as TLS client with
 * session reuse, bounded waits; every kind of transfer and listing, and the pool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectTimeoutError, createPool, FtpReplyError } from '../../src/index.js';
import net from 'node:net';
import {
  assertFtpsError,
  closeDataOnClientFin,
  LIMIT,
  optionsFor,
  random,
  rejection,
  Sink,
  sleep,
  verbs,
  withServer,
} from './support.js';

for (const mode of ['explicit', 'implicit', 'plain'] as const) {
  test(`active mode: download, upload, list, resume (${mode})`, LIMIT, async () => {
    const data = random(300_000);
    await withServer({ mode, files: { '/big.bin': data } }, async ({ server, connect }) => {
      const client = await connect({ dataConnection: 'active' });
      const sink = new Sink();
      const down = await client.download('/big.bin', sink);
      assert.ok(sink.bytes.equals(data));
      if (mode !== 'plain') assert.equal(down.tlsSessionReused, true);
      await client.upload(data.subarray(0, 1000), '/up.bin');
      assert.ok(server.fs.files.get('/up.bin')?.equals(data.subarray(0, 1000)));
      const names = (await client.list('/')).map((e) => e.name).sort();
      assert.deepEqual(names, ['big.bin', 'up.bin']);
      const tail: Buffer[] = [];
      for await (const chunk of client.createReadStream('/big.bin', { start: 299_000 })) tail.push(chunk as Buffer);
      assert.ok(Buffer.concat(tail).equals(data.subarray(299_000)), 'REST + RETR over an active connection');
      assert.ok(verbs(server).includes('EPRT') && !verbs(server).includes('EPSV') && !verbs(server).includes('PASV'));
      for (const t of server.activeTargets) assert.equal(t.host, '127.0.0.1', "the control connection's local address");
      assert.deepEqual(server.violations, []);
    });
  });
}

test('active mode: PORT when the server does not know EPRT (learnt once)', LIMIT, async () => {
  await withServer({ mode: 'explicit', eprt: false, files: { '/a': 'a', '/b': 'b' } }, async ({ server, connect }) => {
    const client = await connect({ dataConnection: 'active' });
    await client.download('/a', new Sink());
    await client.download('/b', new Sink());
    assert.deepEqual(
      verbs(server).filter((v) => v === 'EPRT' || v === 'PORT'),
      ['EPRT', 'PORT', 'PORT'],
    );
  });
});

test('active mode: activePortRange and activeAddress are honoured', LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/a': 'a' } }, async ({ server, connect }) => {
    const client = await connect({ dataConnection: 'active', activePortRange: [20_100, 20_110] });
    await client.download('/a', new Sink());
    const port = server.activeTargets[0]?.port ?? 0;
    assert.ok(port >= 20_100 && port <= 20_110, String(port));
    // An announced address that is not ours: the server cannot connect there, the transfer fails cleanly.
    const nat = await connect({
      dataConnection: 'active',
      activeAddress: '127.0.0.7',
      timeouts: { connect: 500, reply: 2000, data: 1000 },
    });
    await rejection(nat.download('/a', new Sink()));
    assert.equal(server.activeTargets[1]?.host, '127.0.0.7');
    assert.equal(typeof (await nat.pwd()), 'string');
  });
});

test("active mode: a connection from another address is refused; the server's own then works", LIMIT, async () => {
  await withServer(
    { mode: 'explicit', dataConnectTimeoutMs: 1000, files: { '/a': 'secret' } },
    async ({ server, connect }) => {
      closeDataOnClientFin(server); // the scripted server then notices our refusal and answers 425/426
      const client = await connect({ dataConnection: 'active', timeouts: { connect: 1500, reply: 3000, data: 1000 } });
      server.activeSource = '127.0.0.9'; // an intruder (or a bounce) connecting to our data port
      const err = await rejection(client.download('/a', new Sink()));
      // Either our accept wait ends first (ConnectTimeoutError) or the server's 425 does.
      if (err instanceof FtpReplyError) assert.ok(err.replyCode >= 400, String(err));
      else assertFtpsError(err, ConnectTimeoutError, 'ERR_FTPS_CONNECT_TIMEOUT');
      assert.equal(client.closed, false);
      server.activeSource = undefined;
      const sink = new Sink();
      await client.download('/a', sink);
      assert.equal(sink.bytes.toString(), 'secret');
    },
  );
});

test(
  'active mode: a server that never connects back → its 425 after our listener is gone, client usable',
  LIMIT,
  async () => {
    await withServer(
      { mode: 'explicit', dataConnectTimeoutMs: 1500, files: { '/a': 'a' } },
      async ({ server, connect }) => {
        const client = await connect({ dataConnection: 'active', timeouts: { connect: 300, reply: 5000, data: 1000 } });
        server.activeNeverConnects = true;
        const started = client.download('/a', new Sink());
        await sleep(800);
        const target = server.activeTargets.at(-1);
        assert.ok(target !== undefined);
        // Past timeouts.connect the listener is closed: nobody can connect to it any more.
        const probe = await new Promise<string>((resolve) => {
          const s = net.connect(target.port, target.host);
          s.once('connect', () => (s.destroy(), resolve('connected')));
          s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        });
        assert.equal(probe, 'ECONNREFUSED');
        const err = assertFtpsError(await rejection(started), FtpReplyError, 'ERR_FTPS_REPLY');
        assert.equal(err.replyCode, 425);
        server.activeNeverConnects = false;
        await client.download('/a', new Sink());
      },
    );
  },
);

test('active mode with the pool: parallel transfers', LIMIT, async () => {
  const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`/f${i}`, random(20_000)]));
  await withServer({ mode: 'explicit', files }, async ({ server }) => {
    const pool = createPool({ ...optionsFor(server), dataConnection: 'active' }, { size: 3 });
    try {
      const sinks = await Promise.all(
        Object.keys(files).map(async (name) => {
          const sink = new Sink();
          await pool.download(name, sink);
          return [name, sink] as const;
        }),
      );
      for (const [name, sink] of sinks) assert.ok(sink.bytes.equals(files[name] as Buffer), name);
    } finally {
      await pool.close();
    }
  });
});

test('active mode options are validated', async () => {
  const { FtpsClient } = await import('../../src/index.js');
  for (const extra of [
    { dataConnection: 'port' },
    { activePortRange: [10, 5] },
    { activePortRange: [0, 5] },
    { activeAddress: 'nat.example' },
    { dataConnection: 'active', proxy: 'socks5://127.0.0.1:1080' },
  ]) {
    await assert.rejects(
      FtpsClient.connect({ host: '127.0.0.1', ...(extra as object) }),
      (e: unknown) => e instanceof TypeError || e instanceof RangeError,
      JSON.stringify(extra),
    );
  }
});
