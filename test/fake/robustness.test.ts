// Faults on the caller's side (local files and streams), odd server replies, and secrets in errors.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { ConnectionError, createPool, FtpReplyError, FtpsClient, ProtocolError } from '../../src/index.js';
import { LIMIT, optionsFor, random, verbs, withServer } from './support.js';

const local = (): string => mkdtempSync(join(tmpdir(), 'ftps-robust-'));

describe('local side failures', LIMIT, () => {
  it('a missing local source rejects with ENOENT before anything is sent; the remote file is untouched', async () => {
    await withServer({ mode: 'explicit', files: { '/keep.txt': 'precious' } }, async ({ connect, server }) => {
      const client = await connect();
      const before = server.commands.length;
      await assert.rejects(
        client.upload('/nonexistent/source.bin', '/keep.txt'),
        (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
      );
      assert.deepEqual(server.commands.slice(before), [], 'no EPSV, no STOR');
      assert.equal(server.files.get('/keep.txt')?.toString(), 'precious');
      assert.equal(await client.pwd(), '/');
    });
  });

  it('a download into a folder that does not exist rejects with ENOENT before RETR, client usable', async () => {
    await withServer({ mode: 'implicit', files: { '/a.txt': 'a' } }, async ({ connect, server }) => {
      const client = await connect();
      await assert.rejects(
        client.download('/a.txt', '/nonexistent-dir/a.txt'),
        (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
      );
      assert.ok(!verbs(server).includes('RETR'));
      const dir = local();
      try {
        await assert.rejects(client.download('/a.txt', dir), (err: NodeJS.ErrnoException) => err.code === 'EISDIR');
        assert.ok(!verbs(server).includes('RETR'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      assert.equal(await client.pwd(), '/');
    });
  });

  it('a destination stream that fails mid-download rejects with its own error; the client stays usable', async () => {
    await withServer({ mode: 'explicit', files: { '/big.bin': random(8 * 1024 * 1024) } }, async ({ connect }) => {
      const client = await connect();
      const diskFull = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      let written = 0;
      const sink = new Writable({
        write(chunk: Buffer, _e, cb) {
          written += chunk.length;
          cb(written > 1024 * 1024 ? diskFull : null);
        },
      });
      await assert.rejects(client.download('/big.bin', sink), (err: unknown) => err === diskFull);
      assert.equal(client.closed, false);
      assert.equal(await client.size('/big.bin'), 8 * 1024 * 1024);
    });
  });

  it('a source stream that fails mid-upload rejects with its own error and the server keeps nothing', async () => {
    await withServer({ mode: 'explicit' }, async ({ connect, server }) => {
      const client = await connect();
      const broken = new Error('source went away');
      let sent = 0;
      const source = new Readable({
        read() {
          sent += 64 * 1024;
          if (sent > 1024 * 1024) this.destroy(broken);
          else this.push(Buffer.alloc(64 * 1024, 1));
        },
      });
      await assert.rejects(client.upload(source, '/partial.bin'), (err: unknown) => err === broken);
      assert.equal(server.files.has('/partial.bin'), false, 'a truncated upload is not stored');
      assert.equal(await client.pwd(), '/');
    });
  });
});

describe('downloading into a local file', LIMIT, () => {
  it('a refused download leaves an existing local file as it was, and leaves no new file behind', async () => {
    await withServer({ mode: 'explicit' }, async ({ connect }) => {
      const client = await connect();
      const dir = local();
      try {
        writeFileSync(join(dir, 'precious.txt'), 'keep me');
        await assert.rejects(
          client.download('/missing.txt', join(dir, 'precious.txt')),
          (err: unknown) => (err as FtpReplyError).replyCode === 550,
        );
        assert.equal(readFileSync(join(dir, 'precious.txt'), 'utf8'), 'keep me');
        await assert.rejects(client.download('/missing.txt', join(dir, 'new.txt')), FtpReplyError);
        assert.equal(existsSync(join(dir, 'new.txt')), false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('downloads into /dev/null (a device cannot be truncated, and need not be)', async () => {
    await withServer({ mode: 'explicit', files: { '/a.bin': random(100_000) } }, async ({ connect }) => {
      const client = await connect();
      assert.equal((await client.download('/a.bin', '/dev/null')).bytes, 100_000);
    });
  });

  it('two downloads racing for one new path: the refused one cannot delete what the other wrote', async () => {
    const data = random(100_000);
    await withServer({ mode: 'explicit', files: { '/ok.bin': data } }, async ({ connect }) => {
      const [a, b] = await Promise.all([connect(), connect()]);
      const dir = local();
      const target = join(dir, 'same.bin');
      try {
        const [refused, ok] = await Promise.allSettled([
          a.download('/missing.bin', target),
          b.download('/ok.bin', target),
        ]);
        assert.equal(refused.status, 'rejected');
        assert.equal(ok.status, 'fulfilled');
        assert.ok(readFileSync(target).equals(data));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('a successful download replaces the whole file, whether the remote one is larger, smaller or empty', async () => {
    const big = random(3 * 1024 * 1024 + 7);
    await withServer(
      { mode: 'implicit', files: { '/big.bin': big, '/small.txt': 'small', '/empty': '' } },
      async ({ connect }) => {
        const client = await connect();
        const dir = local();
        const target = join(dir, 'target');
        try {
          writeFileSync(target, 'an older and longer local content');
          await client.download('/small.txt', target);
          assert.equal(readFileSync(target, 'utf8'), 'small');
          await client.download('/big.bin', target);
          assert.ok(readFileSync(target).equals(big));
          await client.download('/empty', target);
          assert.equal(readFileSync(target).length, 0);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
});

describe('tree downloads keep local copies the server refuses to send', LIMIT, () => {
  it('a 550 on one file leaves the local copy of that file intact; the rest is copied', async () => {
    await withServer(
      { mode: 'explicit', files: { '/t/locked.txt': 'new remote content', '/t/open.txt': 'fresh' } },
      async ({ server }) => {
        server.hook('RETR', (ctx) =>
          ctx.arg.endsWith('locked.txt') ? void ctx.reply('550 Permission denied.') : 'default',
        );
        const dir = local();
        const pool = createPool(optionsFor(server), { size: 2, retries: 0 });
        try {
          writeFileSync(join(dir, 'locked.txt'), 'my local copy');
          const result = await pool.downloadDir('/t', dir);
          assert.equal(readFileSync(join(dir, 'locked.txt'), 'utf8'), 'my local copy');
          assert.equal(readFileSync(join(dir, 'open.txt'), 'utf8'), 'fresh');
          assert.equal(result.items.find((i) => i.path === 'locked.txt')?.status, 'failed');
        } finally {
          await pool.close();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
});

describe('the caller gives up on its own stream', LIMIT, () => {
  it('an upload source destroyed without an error is reported as the source, not as the network', async () => {
    await withServer({ mode: 'explicit' }, async ({ connect, server }) => {
      const client = await connect();
      // The server acknowledges whatever arrived: only the client can know the source was cut short.
      server.hook('STOR', async (ctx) => {
        await ctx.next({ transfer: { finalReply: '226 Got it.' } });
      });
      let sent = 0;
      const source = new Readable({
        read() {
          sent += 64 * 1024;
          if (sent > 512 * 1024) this.destroy();
          else this.push(Buffer.alloc(64 * 1024, 2));
        },
      });
      await assert.rejects(client.upload(source, '/cut.bin'), (err: NodeJS.ErrnoException) => {
        assert.equal(err.code, 'ERR_STREAM_PREMATURE_CLOSE');
        assert.match(err.message, /source stream was destroyed/);
        return true;
      });
      assert.equal(await client.pwd(), '/');
    });
  });
});

describe('data connection and reply faults', LIMIT, () => {
  it('a reset data connection followed by 226 is a ConnectionError, not a success or a raw Node error', async () => {
    await withServer(
      { mode: 'explicit', files: { '/big.bin': random(4 * 1024 * 1024) } },
      async ({ connect, server }) => {
        const client = await connect();
        server.hook(
          'RETR',
          async (ctx) => {
            await ctx.next({ transfer: { after: { bytes: 256 * 1024, action: 'reset' }, omitFinalReply: true } });
            await ctx.reply('226 Transfer complete.');
          },
          { times: 1 },
        );
        await assert.rejects(
          client.download('/big.bin', new Writable({ write: (_c, _e, cb) => cb() })),
          (err: unknown) => {
            assert.ok(err instanceof ConnectionError, String(err));
            assert.equal(err.code, 'ERR_FTPS_CONNECTION');
            return true;
          },
        );
        assert.equal(await client.pwd(), '/');
      },
    );
  });

  it('a SIZE reply that is not digits is a ProtocolError, and the client stays usable', async () => {
    await withServer({ mode: 'explicit', files: { '/a': 'abc' } }, async ({ connect, server }) => {
      const client = await connect();
      for (const bogus of ['213 0x1F', '213 1e3', '213 ', '213 -5']) {
        server.hook('SIZE', (ctx) => void ctx.reply(bogus), { times: 1 });
        await assert.rejects(client.size('/a'), ProtocolError, bogus);
      }
      assert.equal(await client.size('/a'), 3);
    });
  });

  it('a stray extra reply is discarded instead of answering the next command', async () => {
    await withServer({ mode: 'explicit' }, async ({ connect, server }) => {
      const client = await connect();
      server.hook('NOOP', (ctx) => void ctx.writeRaw('200 first\r\n200 stray second reply\r\n'), { times: 1 });
      assert.equal((await client.send('NOOP')).text, 'first');
      await new Promise((r) => setTimeout(r, 50)); // the stray reply has arrived by now
      assert.equal(await client.pwd(), '/');
    });
  });

  it('MLST of an exotic file type (a device) still counts as existing', async () => {
    await withServer({ mode: 'explicit' }, async ({ connect, server }) => {
      const client = await connect();
      server.hook(
        'MLST',
        (ctx) => void ctx.reply('250-Listing /dev/tty\n type=OS.unix=chardev;UNIX.mode=0620; /dev/tty\n250 End'),
      );
      assert.equal(await client.exists('/dev/tty'), true);
      assert.equal((await client.stat('/dev/tty')).name, 'tty');
    });
  });

  it('202 to PASS (password not needed) is a successful login', async () => {
    await withServer({ mode: 'explicit' }, async ({ server }) => {
      server.hook('PASS', (ctx) => {
        ctx.state.loggedIn = true;
        void ctx.reply('202 Already logged in');
      });
      const client = await FtpsClient.connect(optionsFor(server));
      try {
        assert.equal(await client.pwd(), '/');
      } finally {
        await client.close();
      }
    });
  });
});

describe('secrets and options', LIMIT, () => {
  it('a refused password never appears in the error', async () => {
    await withServer({ mode: 'explicit' }, async ({ server }) => {
      const secret = 'hunter2-very-secret';
      const err = await FtpsClient.connect(optionsFor(server, { password: secret })).then(
        () => assert.fail('login should fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof FtpReplyError, String(err));
      assert.equal(err.replyCode, 530);
      assert.ok(!err.message.includes(secret) && !String(err.command).includes(secret), err.message);
      assert.ok(!JSON.stringify(err).includes(secret));
    });
  });

  it('TLS options that can never work are refused up front', async () => {
    await assert.rejects(
      FtpsClient.connect({ host: '127.0.0.1', port: 1, tls: { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' } }),
      RangeError,
    );
    await assert.rejects(
      FtpsClient.connect({
        host: '127.0.0.1',
        port: 1,
        tls: { ca: 'not a certificate', cert: 'nor this', key: 'nor this' },
      }),
      TypeError,
    );
  });
});
