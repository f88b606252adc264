// FtpsPool against the scripted server: parallelism, lazy connections, replacement of broken
// connections, shrinking under a per-client connection limit, retries, closing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ClientClosedError,
  ConnectionError,
  DataTimeoutError,
  FtpReplyError,
  createPool,
  isTransientError,
  type FtpsPool,
} from '../../src/index.js';
import { faults, type FakeServerOptions } from '../helpers/fake-server.js';
import {
  Sink,
  assertFtpsError,
  optionsFor,
  random,
  rejection,
  sleep,
  handClock,
  verbs,
  withServer,
  type Harness,
} from './support.js';

const FILES: Record<string, Buffer> = {};
for (let i = 0; i < 12; i++) FILES[`/f${i}.bin`] = random(20_000 + i);

async function withPool(
  opts: FakeServerOptions,
  size: number,
  fn: (h: Harness, pool: FtpsPool) => Promise<void>,
  retryDelayMs = 10,
): Promise<void> {
  await withServer(opts, async (h) => {
    const pool = createPool(optionsFor(h.server), { size, retryDelayMs });
    try {
      await fn(h, pool);
    } finally {
      await pool.close();
    }
  });
}

/** Downloads into a local file (a destination the pool may retry), returns the bytes. */
async function downloadToFile(pool: FtpsPool, name: string): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'ftps-pool-'));
  try {
    await pool.download(name, join(dir, 'out'));
    return readFileSync(join(dir, 'out'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function downloadAll(pool: FtpsPool, names: string[]): Promise<Buffer[]> {
  return Promise.all(
    names.map(async (name) => {
      const sink = new Sink();
      await pool.download(name, sink);
      return sink.bytes;
    }),
  );
}

describe('FtpsPool', () => {
  it('opens connections lazily and runs up to `size` operations at once', async () => {
    await withPool({ mode: 'explicit', files: FILES }, 3, async (h, pool) => {
      await sleep(50);
      assert.equal(h.server.connections.size, 0, 'no connection before the first operation');
      const names = Object.keys(FILES);
      const got = await downloadAll(pool, names);
      names.forEach((n, i) => assert.ok(got[i]?.equals(FILES[n] as Buffer), n));
      assert.ok(h.server.peakConnections <= 3, `peak ${h.server.peakConnections}`);
      assert.ok(h.server.peakConnections >= 2, 'ran in parallel');
      assert.equal(pool.stats().open, h.server.peakConnections);
      assert.deepEqual(h.server.violations, []);
    });
  });

  it('offers the client operations: list, stat, exists, mkdir, ensureDir, rename, remove, removeDir, upload', async () => {
    await withPool({ mode: 'implicit' }, 2, async (h, pool) => {
      await pool.ensureDir('/a/b/c');
      await pool.upload(Buffer.from('hello'), '/a/b/c/x.txt');
      assert.equal((await pool.stat('/a/b/c/x.txt')).size, 5);
      assert.equal(await pool.exists('/a/nope'), false);
      assert.equal(await pool.size('/a/b/c/x.txt'), 5);
      await pool.rename('/a/b/c/x.txt', '/a/y.txt');
      assert.deepEqual((await pool.list('/a')).map((e) => e.name).sort(), ['b', 'y.txt']);
      await pool.remove('/a/y.txt');
      await pool.removeDir('/a', { recursive: true });
      assert.equal(h.server.fs.isDir('/a'), false);
      await pool.mkdir('/z');
      assert.equal(h.server.fs.isDir('/z'), true);
      assert.equal((await pool.send('NOOP')).code, 200);
    });
  });

  it('shrinks instead of failing when the server allows 2 connections per client', async () => {
    await withPool({ mode: 'explicit', files: FILES, maxConnections: 2 }, 4, async (h, pool) => {
      const names = Object.keys(FILES);
      const got = await downloadAll(pool, names);
      names.forEach((n, i) => assert.ok(got[i]?.equals(FILES[n] as Buffer), n));
      assert.ok(h.server.refusedConnections >= 1, 'the server refused a connection');
      assert.equal(pool.stats().size, 2);
      assert.equal(pool.stats().maxSize, 4);
      // More work later stays within the limit, without new refusals.
      const refused = h.server.refusedConnections;
      await downloadAll(pool, names);
      assert.equal(h.server.refusedConnections, refused);
    });
  });

  it('shrinks on a proftpd-style 530 "maximum number of clients" answer to USER', async () => {
    await withPool({ mode: 'explicit', files: FILES }, 3, async (h, pool) => {
      let logins = 0;
      h.server.hook('USER', async (ctx) => {
        if (++logins <= 2) return 'default';
        await ctx.reply('530 Sorry, the maximum number of clients (2) from your host are already connected.');
        ctx.close();
      });
      const names = Object.keys(FILES);
      await downloadAll(pool, names);
      assert.equal(pool.stats().size, 2);
    });
  });

  it('a single failed connect (network blip) does not shrink the pool', async () => {
    await withPool({ mode: 'explicit', files: FILES }, 4, async (h, pool) => {
      await pool.run((c) => c.pwd());
      h.server.hook('CONNECT', faults.reset(), { times: 1 });
      const busy = (): Promise<void> =>
        pool.run(async (c) => {
          await c.pwd();
          await sleep(50);
        });
      await Promise.all([1, 2, 3, 4].map(busy));
      assert.equal(pool.stats().size, 4, 'one reset connect is no connection limit');
      await Promise.all(Array.from({ length: 8 }, busy));
      assert.deepEqual({ size: pool.stats().size, open: pool.stats().open }, { size: 4, open: 4 });
    });
  });

  it('shrinks when the server silently drops every connection over its limit (twice in a row)', async () => {
    await withPool({ mode: 'explicit', files: FILES }, 4, async (h, pool) => {
      let dropped = 0;
      h.server.hook('CONNECT', (ctx) => {
        if (h.server.connections.size <= 2) return 'default';
        dropped++;
        ctx.destroy();
      });
      const names = Object.keys(FILES);
      const got = await downloadAll(pool, names);
      names.forEach((n, i) => assert.ok(got[i]?.equals(FILES[n] as Buffer), n));
      assert.ok(dropped >= 2, `dropped ${dropped}`);
      assert.equal(pool.stats().size, 2);
    });
  });

  it('grows back toward `size` regrowDelayMs after the last refusal', async () => {
    // The pool's clock (performance.now) is moved by hand: "no new attempt before the delay" and
    // "one more after it" then hold however slowly a loaded machine runs the downloads.
    const clock = handClock();
    await withServer({ mode: 'explicit', files: FILES, maxConnections: 2 }, async (h) => {
      const pool = createPool(optionsFor(h.server), { size: 4, retryDelayMs: 10, regrowDelayMs: 60_000 });
      try {
        const names = Object.keys(FILES);
        await downloadAll(pool, names);
        assert.equal(pool.stats().size, 2);
        let refused = h.server.refusedConnections;
        await downloadAll(pool, names);
        assert.equal(h.server.refusedConnections, refused, 'no new attempt before the delay');
        // Still limited: after the delay one more try, refused, and back to 2 (no storm of refusals).
        clock.advance(60_001);
        await downloadAll(pool, names);
        assert.equal(h.server.refusedConnections, refused + 1);
        assert.equal(pool.stats().size, 2);
        refused = h.server.refusedConnections;
        clock.advance(59_000);
        await downloadAll(pool, names);
        assert.equal(h.server.refusedConnections, refused, 'no new attempt before the delay');
        // The limit is lifted: one more connection per delay, up to size.
        h.server.options.maxConnections = Infinity;
        clock.advance(1_001);
        await downloadAll(pool, names);
        assert.equal(pool.stats().size, 3);
        await downloadAll(pool, names);
        assert.equal(pool.stats().size, 3, 'one per delay');
        clock.advance(60_001);
        await downloadAll(pool, names);
        assert.equal(pool.stats().size, 4);
        assert.equal(pool.stats().open, 4);
      } finally {
        await pool.close();
      }
    }).finally(() => clock.restore());
  });

  it('removeDir(recursive) leaves listed names that are not plain names alone', async () => {
    await withPool({ mode: 'explicit' }, 1, async (h, pool) => {
      const hostile = 'a\\..\\..\\x';
      h.server.fs.writeFile('/d/ok.txt', Buffer.from('ok'));
      h.server.fs.writeFile(`/d/${hostile}`, Buffer.from('x'));
      const err = assertFtpsError(
        await rejection(pool.removeDir('/d', { recursive: true })),
        FtpReplyError,
        'ERR_FTPS_REPLY',
      );
      assert.equal(err.replyCode, 550);
      assert.match(err.command ?? '', /^RMD \/d$/);
      assert.ok(!h.server.commands.some((c) => c.startsWith('DELE') && c.includes('\\')), h.server.commands.join('\n'));
      assert.equal(h.server.fs.isFile('/d/ok.txt'), false, 'the plain name was deleted');
      assert.equal(h.server.fs.isFile(`/d/${hostile}`), true);
    });
  });

  it('replaces a broken connection transparently and retries the operation', async () => {
    await withPool({ mode: 'explicit', files: FILES }, 1, async (h, pool) => {
      await downloadAll(pool, ['/f0.bin']);
      h.server.nextTransfer({ after: { bytes: 1000, action: 'reset-control' } });
      assert.ok((await downloadToFile(pool, '/f1.bin')).equals(FILES['/f1.bin'] as Buffer));
      assert.equal(verbs(h.server).filter((v) => v === 'USER').length, 2, 'a second connection was opened');
      // A connection the server dropped while idle is replaced too.
      h.server.hook('NOOP', faults.reset());
      await assert.rejects(pool.send('NOOP'));
      assert.equal((await pool.list('/')).length, 12);
    });
  });

  it('retries a transient 4xx (bounded); a 5xx is not retried', async () => {
    await withPool({ mode: 'explicit', files: FILES }, 2, async (h, pool) => {
      h.server.hook('RETR', faults.reply('450 Requested file action not taken: busy'), { times: 1 });
      assert.ok((await downloadToFile(pool, '/f2.bin')).equals(FILES['/f2.bin'] as Buffer));
      assert.equal(verbs(h.server).filter((v) => v === 'RETR').length, 2);

      h.server.log.length = 0;
      const unhook = h.server.hook('RETR', faults.reply('451 Local error'));
      const err = assertFtpsError(await rejection(downloadToFile(pool, '/f3.bin')), FtpReplyError, 'ERR_FTPS_REPLY');
      unhook();
      assert.equal(err.replyCode, 451);
      assert.equal(verbs(h.server).filter((v) => v === 'RETR').length, 3, '1 + 2 retries');

      h.server.log.length = 0;
      await assert.rejects(
        downloadToFile(pool, '/missing.bin'),
        (e: unknown) => e instanceof FtpReplyError && e.replyCode === 550,
      );
      assert.equal(verbs(h.server).filter((v) => v === 'RETR').length, 1);
    });
  });

  it('run() does not retry unless asked; a stream destination is never retried', async () => {
    await withPool({ mode: 'explicit', files: FILES }, 2, async (h, pool) => {
      h.server.hook('RETR', faults.reply('450 busy'), { times: 1 });
      await assert.rejects(pool.run((c) => c.download('/f0.bin', new Sink())));
      h.server.hook('RETR', faults.reply('450 busy'), { times: 1 });
      await assert.rejects(pool.download('/f0.bin', new Sink()));
      h.server.hook('RETR', faults.reply('450 busy'), { times: 1 });
      let calls = 0;
      await pool.run(
        async (c) => {
          calls++;
          return c.download('/f0.bin', new Sink());
        },
        { retries: 1 },
      );
      assert.equal(calls, 2);
    });
  });

  it('close() waits for operations in flight and queued; later calls reject', async () => {
    await withPool({ mode: 'explicit', files: FILES }, 2, async (h, pool) => {
      h.server.hook('RETR', async (): Promise<'default'> => {
        await sleep(100);
        return 'default';
      });
      const names = Object.keys(FILES).slice(0, 5);
      const downloads = downloadAll(pool, names);
      await sleep(20);
      await pool.close();
      const got = await downloads;
      names.forEach((n, i) => assert.ok(got[i]?.equals(FILES[n] as Buffer), n));
      assertFtpsError(await rejection(pool.list('/')), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
      assert.equal(pool.stats().open, 0);
    });
  });

  it('close({ signal }) cancels what runs and what is queued when the signal aborts', async () => {
    await withPool({ mode: 'explicit', files: FILES }, 2, async (h, pool) => {
      h.server.hook('RETR', faults.stall());
      const ops = Object.keys(FILES)
        .slice(0, 5)
        .map((n) => rejection(pool.download(n, new Sink())));
      await sleep(100);
      const started = Date.now();
      await pool.close({ signal: AbortSignal.timeout(50) });
      assert.ok(Date.now() - started < 900, 'closed without waiting for the stalled transfers');
      for (const err of await Promise.all(ops)) assertFtpsError(err, ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
    });
  });

  it('an aborted operation rejects with the reason and the pool goes on', async () => {
    await withPool({ mode: 'explicit', files: FILES }, 1, async (h, pool) => {
      const ac = new AbortController();
      h.server.hook(
        'RETR',
        async (): Promise<'default'> => {
          await sleep(200);
          return 'default';
        },
        { times: 1 },
      );
      const first = pool.download('/f0.bin', new Sink());
      const queued = pool.download('/f1.bin', new Sink(), { signal: ac.signal });
      ac.abort(new Error('stop'));
      await assert.rejects(queued, /stop/);
      await first;
      assert.equal((await downloadAll(pool, ['/f1.bin']))[0]?.length, FILES['/f1.bin']?.length);
    });
  });

  it('does not retry login failures; connect errors reach the caller', async () => {
    await withServer({ mode: 'explicit' }, async (h) => {
      const pool = createPool({ ...optionsFor(h.server), password: 'wrong' }, { size: 2 });
      const err = assertFtpsError(await rejection(pool.list('/')), FtpReplyError, 'ERR_FTPS_REPLY');
      assert.equal(err.replyCode, 530);
      assert.equal(verbs(h.server).filter((v) => v === 'PASS').length, 1);
      await pool.close();
    });
  });

  it('validates its options', () => {
    assert.throws(() => createPool({ host: '127.0.0.1' }, { size: 0 }), RangeError);
    assert.throws(() => createPool({ host: '127.0.0.1' }, { retries: -1 }), RangeError);
    assert.throws(() => createPool({ host: '127.0.0.1' }, { regrowDelayMs: -1 }), RangeError);
    assert.throws(() => createPool({ host: '' }), TypeError);
  });

  it('classifies transient failures', () => {
    assert.equal(isTransientError(new FtpReplyError(450, 'busy')), true);
    assert.equal(isTransientError(new FtpReplyError(550, 'no such file')), false);
    assert.equal(
      isTransientError(
        new FtpReplyError(530, 'Sorry, the maximum number of clients (2) from your host are already connected.'),
      ),
      true,
    );
    assert.equal(isTransientError(new ConnectionError('reset')), true);
    assert.equal(isTransientError(new DataTimeoutError('idle')), true);
    assert.equal(
      isTransientError(new ClientClosedError('Client is closed', { cause: new ConnectionError('gone') })),
      true,
    );
    assert.equal(isTransientError(new ClientClosedError()), false);
    assert.equal(isTransientError(new Error('x')), false);
  });
});
