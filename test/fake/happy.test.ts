/**
 * Happy paths against the fake server: every mode (explicit, implicit, plain) and TLS version,
 * connecting by options and by URL, data-channel TLS timing, EPSV → PASV fallback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FtpsClient, type TransferResult } from '../../src/index.js';
import type { FakeFtpServer } from '../helpers/fake-server.js';
import { ca, FAST, LIMIT, random, type ServerMode, Sink, verbs, withServer } from './support.js';

const VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

function assertTransfer(server: FakeFtpServer, result: TransferResult, bytes: number): void {
  assert.equal(result.bytes, bytes);
  assert.equal(result.reply.code, 226);
  assert.equal(result.tlsSessionReused, server.options.mode === 'plain' ? undefined : true);
}

async function fullTour(mode: ServerMode, version: (typeof VERSIONS)[number] | undefined): Promise<void> {
  const pinned = version === undefined ? {} : { minVersion: version, maxVersion: version };
  await withServer({ mode, ...pinned }, async ({ server, connect }) => {
    const tmp = await mkdtemp(join(tmpdir(), 'ftps-fake-'));
    try {
      const client = await connect();
      if (mode === 'plain') assert.equal(client.tls, undefined);
      else {
        assert.equal(client.tls?.protocol, version);
        assert.equal(client.tls?.authorized, true);
      }
      assert.equal(client.closed, false);

      assert.equal(await client.pwd(), '/');
      await client.mkdir('/dir');
      await client.cd('/dir');
      assert.equal(await client.pwd(), '/dir');

      const a = random(300 * 1024);
      const b = random(256 * 1024 + 17);
      const c = random(200 * 1024 + 3);
      const localC = join(tmp, 'c.bin');
      await writeFile(localC, c);

      assertTransfer(server, await client.upload(a, 'a.bin'), a.length);
      assertTransfer(
        server,
        await client.upload(Readable.from([b.subarray(0, 1000), b.subarray(1000)]), 'b.bin'),
        b.length,
      );
      assertTransfer(server, await client.upload(localC, 'c.bin'), c.length);
      assert.deepEqual(server.files.get('/dir/a.bin'), a);
      assert.deepEqual(server.files.get('/dir/b.bin'), b);
      assert.deepEqual(server.files.get('/dir/c.bin'), c);

      const listing = await client.list();
      assert.deepEqual(listing.map((e) => [e.name, e.type, e.size]).sort(), [
        ['a.bin', 'file', a.length],
        ['b.bin', 'file', b.length],
        ['c.bin', 'file', c.length],
      ]);

      const sink = new Sink();
      assertTransfer(server, await client.download('a.bin', sink), a.length);
      assert.ok(sink.bytes.equals(a), 'downloaded bytes (Writable) differ');
      const localB = join(tmp, 'b.out');
      assertTransfer(server, await client.download('/dir/b.bin', localB), b.length);
      assert.ok((await readFile(localB)).equals(b), 'downloaded bytes (file) differ');

      assert.equal(await client.size('c.bin'), c.length);
      const mtime = await client.lastModified('c.bin');
      const expected = server.fs.mtimes.get('/dir/c.bin');
      assert.ok(expected !== undefined);
      assert.equal(mtime.getTime(), Math.floor(expected.getTime() / 1000) * 1000);

      await client.rename('c.bin', 'c2.bin');
      assert.equal(server.files.has('/dir/c.bin'), false);
      assert.ok(server.files.get('/dir/c2.bin')?.equals(c));
      for (const name of ['a.bin', 'b.bin', 'c2.bin']) await client.remove(name);
      assert.equal(server.files.size, 0);
      await client.cd('/');
      await client.rmdir('dir');
      assert.equal(server.fs.isDir('/dir'), false);

      const noop = await client.send('NOOP');
      assert.equal(noop.code, 200);

      // Control commands secured in TLS modes, PBSZ/PROT sent, nothing before AUTH in explicit mode.
      const log = server.log;
      if (mode === 'explicit') {
        assert.equal(log[0]?.line, 'AUTH TLS');
        assert.ok(
          log.slice(1).every((e) => e.secure),
          'every command after AUTH TLS is encrypted',
        );
      }
      if (mode === 'implicit') assert.ok(log.every((e) => e.secure));
      if (mode !== 'plain') {
        const v = verbs(server);
        assert.ok(v.indexOf('PBSZ') > v.indexOf('PASS') && v.indexOf('PROT') > v.indexOf('PBSZ'));
        assert.ok(server.commands.includes('PROT P'));
        assert.equal(server.dataReuse.length, 6);
        assert.ok(
          server.dataReuse.every((r) => r),
          `data TLS sessions reused: ${server.dataReuse.join()}`,
        );
      } else {
        assert.deepEqual(server.dataReuse, []);
        assert.ok(!verbs(server).includes('AUTH'));
      }
      assert.deepEqual(server.violations, []);

      await client.close();
      assert.equal(client.closed, true);
      assert.equal(server.commands.at(-1), 'QUIT');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
}

for (const mode of ['explicit', 'implicit'] as const) {
  for (const version of VERSIONS) {
    test(`happy path: ${mode} TLS, ${version}`, LIMIT, () => fullTour(mode, version));
  }
}
test('happy path: plain FTP (secure: false)', LIMIT, () => fullTour('plain', undefined));

for (const [scheme, mode] of [
  ['ftpes', 'explicit'],
  ['ftps', 'implicit'],
  ['ftp', 'plain'],
] as const) {
  test(`connect by URL: ${scheme}://`, LIMIT, async () => {
    await withServer(
      { mode, users: { 'us er': 'p@ss:w/rd' }, files: { '/f.txt': 'hello' } },
      async ({ server, track }) => {
        const url = `${scheme}://us%20er:p%40ss%3Aw%2Frd@127.0.0.1:${server.port}`;
        const client = track(await FtpsClient.connect(url, { tls: { ca }, timeouts: { ...FAST } }));
        assert.ok(server.commands.includes('USER us er'));
        assert.ok(server.commands.includes('PASS p@ss:w/rd'));
        assert.equal(client.tls?.protocol, mode === 'plain' ? undefined : 'TLSv1.3');
        const sink = new Sink();
        const r = await client.download('/f.txt', sink);
        assert.equal(sink.bytes.toString(), 'hello');
        assert.equal(r.tlsSessionReused, mode === 'plain' ? undefined : true);
        if (mode === 'explicit') assert.equal(server.commands[0], 'AUTH TLS');
        if (mode !== 'explicit') assert.ok(!server.commands.includes('AUTH TLS'));
        assert.deepEqual(server.violations, []);
      },
    );
  });
}

test('connect by URL object, overrides win over the URL', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, track }) => {
    const url = new URL(`ftpes://nobody:wrong@127.0.0.1:${server.port}`);
    const client = track(
      await FtpsClient.connect(url, { user: 'user', password: 'pass', tls: { ca }, timeouts: { ...FAST } }),
    );
    assert.equal(await client.pwd(), '/');
    assert.ok(server.commands.includes('USER user'));
  });
});

test('await using closes the client (Symbol.asyncDispose)', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    let outer: FtpsClient | undefined;
    {
      await using client = await connect();
      outer = client;
      assert.equal(await client.pwd(), '/');
    }
    assert.equal(outer.closed, true);
    assert.equal(server.commands.at(-1), 'QUIT');
    await server.waitForIdle(2000);
    await assert.rejects(outer.pwd(), { code: 'ERR_FTPS_CLIENT_CLOSED' });
  });
});

test(
  'data TLS timing: a strict server (no bytes before the command, a bare 425) works after two refused early handshakes',
  LIMIT,
  async () => {
    for (const mode of ['explicit', 'implicit'] as const) {
      await withServer(
        { mode, dataTls: 'strict', files: { '/f.bin': random(200_000) } },
        async ({ server, connect }) => {
          const client = await connect();
          const sink = new Sink();
          await client.download('/f.bin', sink);
          assert.ok(sink.bytes.equals(server.files.get('/f.bin') as Buffer));
          const up = random(150_000);
          await client.upload(up, '/up.bin');
          assert.ok(server.files.get('/up.bin')?.equals(up));
          assert.equal((await client.list('/')).length, 2);
          // RETR and STOR carried an early ClientHello (refused, retried): a bare 425 is learnt the second time.
          assert.equal(server.violations.length, 2);
          assert.deepEqual(server.dataReuse, [true, true, true]);
        },
      );
    }
  },
);

test('data TLS timing: default server (TLS after the preliminary reply) works on TLS 1.2 and 1.3', LIMIT, async () => {
  for (const version of VERSIONS) {
    await withServer(
      { mode: 'explicit', minVersion: version, maxVersion: version, files: { '/f.bin': random(100_000) } },
      async ({ server, connect }) => {
        const client = await connect();
        for (let i = 0; i < 3; i++) {
          const sink = new Sink();
          const r = await client.download('/f.bin', sink);
          assert.equal(r.tlsSessionReused, true);
          assert.ok(sink.bytes.equals(server.files.get('/f.bin') as Buffer));
        }
        assert.deepEqual(server.dataReuse, [true, true, true]);
        assert.deepEqual(server.violations, []);
      },
    );
  }
});

test('EPSV refused: falls back to PASV and remembers it', LIMIT, async () => {
  await withServer(
    { mode: 'explicit', epsv: false, files: { '/f.bin': random(50_000) } },
    async ({ server, connect }) => {
      const client = await connect();
      const sink = new Sink();
      await client.download('/f.bin', sink);
      assert.ok(sink.bytes.equals(server.files.get('/f.bin') as Buffer));
      await client.upload(random(10_000), '/g.bin');
      await client.list('/');
      const v = verbs(server);
      assert.equal(v.filter((x) => x === 'EPSV').length, 1, `EPSV sent once: ${v.join(' ')}`);
      assert.equal(v.filter((x) => x === 'PASV').length, 3);
      assert.deepEqual(server.violations, []);
    },
  );
});
