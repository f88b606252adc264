// Passive prefetch (session/data-prefetch.ts): on a server that queues commands during a transfer
// (vsftpd, recognised by its greeting; the fake server handles commands one at a time, so it queues
// too), each transfer command carries the next transfer's EPSV, and the next transfer connects to the
// address it got without asking again. Every lifetime case: the next command is no transfer, keepalive
// NOOPs, an abort and a range stop (the 229 read among the resync's replies), a failed transfer, a
// listener that went away (refused connect, or 425 as through a proxy), a refused or unanswered EPSV,
// a reconnect. Each checks the bytes and that the replies stay in step.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { FtpReplyError, ReplyTimeoutError, ConnectionError } from '../../src/index.js';
import { resolveOptions } from '../../src/options.js';
import { runTransfer } from '../../src/session/data.js';
import { downloadRange } from '../../src/session/files.js';
import { openSession } from '../../src/session/handshake.js';
import { fileSize } from '../../src/session/metadata.js';
import { FakeFtpServer, faults, type FakeServerOptions } from '../helpers/fake-server.js';
import { assertFtpsError, LIMIT, optionsFor, random, rejection, Sink, sleep, withServer } from './support.js';
import { transfersDuring } from '../helpers/diagnostics.js';

const FILE = random(200_000);
const BIG = random(8 * 1024 * 1024);

/** Greets as vsftpd does (every connection): the client then knows it queues commands. */
function asVsftpd(server: FakeFtpServer): void {
  server.hook('CONNECT', (ctx) => ctx.reply('220 (vsFTPd 3.0.3)'));
}

/** The verbs after login (from the first command past TYPE I), optionally of one connection. */
function afterLogin(server: FakeFtpServer, connection = 1): string[] {
  const lines = server.log.filter((e) => e.connection === connection).map((e) => e.line);
  return lines.slice(lines.indexOf('TYPE I') + 1).map((l) => (l.split(' ', 1)[0] ?? '').toUpperCase());
}

async function download(client: { download(p: string, s: Sink): Promise<unknown> }, path: string): Promise<Buffer> {
  const sink = new Sink();
  await client.download(path, sink);
  return sink.bytes;
}

const files = { '/f.bin': FILE, '/big.bin': BIG };

describe('passive prefetch on a server that queues commands (vsftpd greeting)', () => {
  it('each transfer command carries the next EPSV; the next transfers ask no more', LIMIT, async () => {
    await withServer({ mode: 'explicit', files }, async ({ server, connect }) => {
      asVsftpd(server);
      const client = await connect();
      // The first transfer's address comes with the login's settings batch, answered before connect() resolves.
      assert.deepEqual(server.commands.slice(-2), ['TYPE I', 'EPSV']);
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      await client.upload(FILE, '/up.bin');
      assert.deepEqual(
        (await client.list('/')).map((e) => e.name),
        ['big.bin', 'f.bin', 'up.bin'],
      );
      assert.ok((await download(client, '/up.bin')).equals(FILE));
      // OPTS MLST (once per connection) is no transfer: it leaves the address alone.
      assert.deepEqual(afterLogin(server), [
        'EPSV',
        'RETR',
        'EPSV',
        'STOR',
        'EPSV',
        'OPTS',
        'MLSD',
        'EPSV',
        'RETR',
        'EPSV',
      ]);
      assert.deepEqual(server.dataReuse, [true, true, true, true]);
      assert.deepEqual(server.violations, []);
    });
  });

  it('commands that are no transfer leave the address for the next transfer, replies in step', LIMIT, async () => {
    await withServer({ mode: 'explicit', files }, async ({ server, connect }) => {
      asVsftpd(server);
      const client = await connect({ keepAlive: 20 });
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      assert.equal(await client.pwd(), '/');
      await client.mkdir('/d');
      assert.equal(await client.size('/f.bin'), FILE.length);
      await client.rename('/f.bin', '/g.bin');
      await sleep(150); // idle keepalive NOOPs
      assert.ok((await download(client, '/g.bin')).equals(FILE));
      assert.equal(await client.pwd(), '/');
      const verbs = afterLogin(server);
      assert.ok(verbs.filter((v) => v === 'NOOP').length >= 2, `keepalive NOOPs expected: ${verbs.join(' ')}`);
      const transfers = verbs.filter((v) => v === 'EPSV' || v === 'RETR');
      assert.deepEqual(transfers, ['EPSV', 'RETR', 'EPSV', 'RETR', 'EPSV']);
      assert.deepEqual(server.violations, []);
    });
  });

  it('a refused transfer (550) still gets its EPSV answered; the next transfer uses it', LIMIT, async () => {
    await withServer({ mode: 'explicit', files }, async ({ server, connect }) => {
      asVsftpd(server);
      const client = await connect();
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      const err = assertFtpsError(await rejection(download(client, '/missing')), FtpReplyError, 'ERR_FTPS_REPLY');
      assert.equal(err.replyCode, 550);
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      assert.deepEqual(afterLogin(server), ['EPSV', 'RETR', 'EPSV', 'RETR', 'EPSV', 'RETR', 'EPSV']);
    });
  });

  for (const abor of ['queued', 'rfc'] as const) {
    it(`an abort (ABOR ${abor}): the 229 is read among the resync's replies and used next`, LIMIT, async () => {
      await withServer({ mode: 'explicit', files, abor }, async ({ server, connect }) => {
        asVsftpd(server);
        const client = await connect();
        const controller = new AbortController();
        const reason = new Error('caller gave up');
        const sink = new Sink((_c, total) => {
          if (total >= 1024 * 1024 && !controller.signal.aborted) controller.abort(reason);
        });
        assert.equal(await rejection(client.download('/big.bin', sink, { signal: controller.signal })), reason);
        assert.equal(await client.pwd(), '/');
        assert.ok((await download(client, '/f.bin')).equals(FILE));
        assert.ok((await download(client, '/big.bin')).equals(BIG));
        assert.deepEqual(afterLogin(server), [
          'EPSV',
          'RETR',
          'EPSV',
          'ABOR',
          'NOOP',
          'PWD',
          'RETR',
          'EPSV',
          'RETR',
          'EPSV',
        ]);
        assert.deepEqual(server.violations, []);
      });
    });
  }

  it(
    'range stops keep the connection in step; a restart asks afresh (REST with EPSV), a RETR next does not',
    LIMIT,
    async () => {
      const server = new FakeFtpServer({ mode: 'explicit' });
      await server.start();
      asVsftpd(server);
      server.fs.writeFile('/f.bin', BIG);
      const session = await openSession(resolveOptions(optionsFor(server)));
      try {
        const a = new Sink();
        await downloadRange(session, '/f.bin', a, { offset: 1000, length: 100_000 });
        assert.ok(a.bytes.equals(BIG.subarray(1000, 101_000)));
        assert.equal(await fileSize(session, '/f.bin'), BIG.length);
        const b = new Sink();
        await downloadRange(session, '/f.bin', b, { offset: 5_000_000, length: 7 });
        assert.ok(b.bytes.equals(BIG.subarray(5_000_000, 5_000_007)));
        assert.equal(await fileSize(session, '/f.bin'), BIG.length);
        // The 229 read among the last range stop's replies serves the next transfer without REST.
        const whole = new Sink();
        await runTransfer(session, 'RETR /f.bin', { direction: 'download', sink: whole });
        assert.ok(whole.bytes.equals(BIG));
        // The login's EPSV, then per range a fresh EPSV with its REST in one write (data-restart.ts).
        assert.deepEqual(afterLogin(server), [
          'EPSV',
          'EPSV',
          'REST',
          'RETR',
          'EPSV',
          'ABOR',
          'NOOP',
          'SIZE',
          'EPSV',
          'REST',
          'RETR',
          'EPSV',
          'ABOR',
          'NOOP',
          'SIZE',
          'RETR',
          'EPSV',
        ]);
        assert.deepEqual(server.violations, []);
      } finally {
        await session.control.quit(1000);
        await server.waitForIdle(2000).finally(() => server.close());
      }
    },
  );

  it('a listener that went away (refused connect): a fresh EPSV, transparently', LIMIT, async () => {
    await withServer({ mode: 'explicit', files, passiveTimeoutMs: 200 }, async ({ server, connect }) => {
      asVsftpd(server);
      const client = await connect();
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      await sleep(400); // the server stops listening on the prefetched port
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      assert.deepEqual(afterLogin(server), ['EPSV', 'RETR', 'EPSV', 'EPSV', 'RETR', 'EPSV']);
      assert.deepEqual(server.violations, []);
    });
  });

  it(
    'a restarting transfer that fails before its command: its EPSV replaced the prefetched listener, the next transfer does not dial it',
    LIMIT,
    async () => {
      await withServer({ mode: 'explicit', files }, async ({ server, connect }) => {
        asVsftpd(server);
        const dials: number[] = [];
        const client = await connect({
          connect: (request) => {
            dials.push(request.port);
            return net.connect({ host: request.host, port: request.port });
          },
        });
        assert.ok((await download(client, '/f.bin')).equals(FILE)); // an address is now prefetched
        server.hook('REST', faults.reply('502 REST not implemented.'), { times: 1 });
        const stream = client.createReadStream('/f.bin', { start: 10 });
        stream.on('error', () => undefined).resume();
        await assert.rejects(stream.result, /502/);
        const before = dials.length;
        assert.ok((await download(client, '/f.bin')).equals(FILE));
        // One data connection: a dial to the replaced listener would be a refused one first.
        assert.equal(dials.length - before, 1);
        assert.deepEqual(server.violations, []);
      });
    },
  );

  it('a 425 on the prefetched address: retried with a fresh EPSV; early TLS is not given up', LIMIT, async () => {
    await withServer({ mode: 'explicit', files }, async ({ server, connect }) => {
      asVsftpd(server);
      const client = await connect();
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      // As through a proxy, whose connect succeeds whatever is behind it: vsftpd without a listener.
      server.hook('RETR', faults.reply('425 Use PORT or PASV first.'), { times: 1 });
      const ends = await transfersDuring(async () => {
        assert.ok((await download(client, '/f.bin')).equals(FILE));
        assert.ok((await download(client, '/f.bin')).equals(FILE));
      });
      assert.deepEqual(afterLogin(server), [
        'EPSV',
        'RETR',
        'EPSV',
        'RETR',
        'EPSV',
        'EPSV',
        'RETR',
        'EPSV',
        'RETR',
        'EPSV',
      ]);
      assert.deepEqual(
        ends.map((m) => m.dataTls),
        ['early', 'early'],
      );
    });
  });

  it('a refused prefetch EPSV gives no address: the next transfer asks as usual', LIMIT, async () => {
    await withServer({ mode: 'explicit', files }, async ({ server, connect }) => {
      asVsftpd(server);
      const client = await connect();
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      server.hook('EPSV', faults.reply('450 EPSV: data transfer in progress'), { times: 1 });
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      assert.deepEqual(afterLogin(server), ['EPSV', 'RETR', 'EPSV', 'RETR', 'EPSV', 'EPSV', 'RETR', 'EPSV']);
    });
  });

  it(
    'an EPSV never answered after the final reply: ReplyTimeoutError, the connection closed, no hang',
    LIMIT,
    async () => {
      await withServer({ mode: 'explicit', files }, async ({ server, connect }) => {
        asVsftpd(server);
        const client = await connect();
        assert.ok((await download(client, '/f.bin')).equals(FILE));
        server.hook('EPSV', faults.stall(), { times: 1 });
        assertFtpsError(await rejection(download(client, '/f.bin')), ReplyTimeoutError, 'ERR_FTPS_REPLY_TIMEOUT');
        assert.equal(client.closed, true);
      });
    },
  );

  it('a reconnected session starts without an address and prefetches again', LIMIT, async () => {
    await withServer({ mode: 'explicit', files }, async ({ server, connect }) => {
      asVsftpd(server);
      const client = await connect({ reconnect: true });
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      server.hook('PWD', (ctx) => ctx.destroy(), { times: 1 });
      assertFtpsError(await rejection(client.pwd()), ConnectionError, 'ERR_FTPS_CONNECTION');
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      assert.deepEqual(afterLogin(server, 2), ['EPSV', 'RETR', 'EPSV', 'RETR', 'EPSV']);
    });
  });
});

describe('no passive prefetch', () => {
  const cases: [string, FakeServerOptions, Record<string, unknown>, boolean][] = [
    ['a server not known to queue commands', { mode: 'explicit' }, {}, false],
    ['plain FTP (a waiting listener would serve anyone)', { mode: 'plain' }, {}, true],
    ['PROT C', { mode: 'explicit', allowClearData: true }, { dataProtection: 'clear' }, true],
  ];
  for (const [what, opts, extra, vsftpd] of cases) {
    it(`${what}: EPSV before every transfer, none behind`, LIMIT, async () => {
      await withServer({ ...opts, files }, async ({ server, connect }) => {
        if (vsftpd) asVsftpd(server);
        const client = await connect(extra);
        assert.ok((await download(client, '/f.bin')).equals(FILE));
        await client.upload(FILE, '/up.bin');
        assert.deepEqual(afterLogin(server), ['EPSV', 'RETR', 'EPSV', 'STOR']);
      });
    });
  }

  it('active mode on vsftpd: EPRT only', LIMIT, async () => {
    await withServer({ mode: 'explicit', files }, async ({ server, connect }) => {
      asVsftpd(server);
      const client = await connect({ dataConnection: 'active' });
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      assert.ok((await download(client, '/f.bin')).equals(FILE));
      assert.deepEqual(afterLogin(server), ['EPRT', 'RETR', 'EPRT', 'RETR']);
    });
  });
});
