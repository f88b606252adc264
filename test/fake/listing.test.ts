// Listings against the scripted server: listIter's memory bound, early exit (drained, no ABOR), LIST fallback.
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { FtpsClient, InvalidArgumentError, type FileInfo, type ListLineParser } from '../../src/index.js';
import { ServerProcess } from '../helpers/server-process.js';
import { Sink, sleep, withServer } from './support.js';

const MANY = 200_000;

// A full GC before each reading, so that garbage does not count as buffering (works without --expose-gc).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Bytes held in Buffers right now. */
function buffered(): number {
  gc();
  return process.memoryUsage().arrayBuffers;
}

function manyFiles(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`/big/file-with-a-rather-long-name-${String(i).padStart(7, '0')}.dat`] = '';
  return files;
}

/** Replies (`code text`) seen on the diagnostics channel while `fn` runs. */
async function withReplies(fn: () => Promise<void>): Promise<string[]> {
  const replies: string[] = [];
  const onReply = (m: unknown): void => {
    const r = m as { code: number; text: string };
    replies.push(`${r.code} ${r.text}`);
  };
  diagnostics_channel.subscribe('ftps-client:reply', onReply);
  try {
    await fn();
  } finally {
    diagnostics_channel.unsubscribe('ftps-client:reply', onReply);
  }
  return replies;
}

/** Consumes `after` entries, then leaves the loop by `exit`; returns how many entries the loop saw. */
async function leaveEarly(
  entries: AsyncIterable<FileInfo>,
  after: number,
  exit: 'break' | 'return' | 'throw',
): Promise<number> {
  let count = 0;
  const own = new Error('left by throwing');
  const loop = async (): Promise<void> => {
    for await (const _ of entries) {
      if (++count < after) continue;
      if (exit === 'break') break;
      if (exit === 'return') return;
      throw own;
    }
  };
  if (exit === 'throw') await assert.rejects(loop(), (err) => err === own);
  else await loop();
  return count;
}

const NO_MLST = ['EPSV', 'PASV', 'SIZE', 'MDTM', 'UTF8', 'AUTH TLS', 'PBSZ', 'PROT'];

describe('listIter', () => {
  it('reads the data connection only as fast as the loop consumes (memory stays flat)', async () => {
    // The server runs in a child process: this process's Buffers are the client's alone (in-process,
    // the server's listing and write buffers counted too), and its CPU does not slow the client's.
    const emptyFiles = { folder: '/big', count: MANY, name: 'file-with-a-rather-long-name-{i}.dat' };
    await using server = await ServerProcess.start({ mode: 'explicit', emptyFiles });
    const client = await FtpsClient.connect({
      ...server.connectOptions,
      timeouts: { connect: 5000, reply: 5000, data: 5000 },
    });
    try {
      let count = 0;
      let baseline = 0;
      let grown = 0;
      for await (const entry of client.listIter('/big')) {
        count++;
        if (count === 100) {
          baseline = buffered();
          // Without backpressure the whole listing (~16 MB) would pile up in client buffers now.
          await sleep(500);
          // Two readings 200 ms apart, the smaller counts: a buffer in flight at one GC is gone at
          // the next, while real client buffering without backpressure (the whole ~16 MB) stays in both.
          const first = buffered();
          await sleep(200);
          grown = Math.min(first, buffered()) - baseline;
        }
        assert.equal(entry.type, 'file');
      }
      assert.equal(count, MANY);
      assert.ok(grown < 4 * 1024 * 1024, `client buffered ${grown} bytes while the loop paused`);
    } finally {
      await client.close();
    }
  });

  for (const exit of ['break', 'return', 'throw'] as const) {
    it(`leaving the loop early (${exit}) reads the rest of the listing without ABOR; list() and download() then work`, async () => {
      await withServer(
        { mode: 'implicit', files: { ...manyFiles(20_000), '/small/a.txt': 'a' } },
        async ({ connect, server }) => {
          const client = await connect();
          const replies = await withReplies(async () => {
            assert.equal(await leaveEarly(client.listIter('/big'), 5, exit), 5);
            assert.equal(await client.pwd(), '/'); // queued behind the rest of the listing
          });
          // Read to its end, not cut: pure-ftpd sends what a cut listing left in its buffer into the
          // next listing's data connection (see docs/architecture.md).
          const sent = server.commands;
          assert.deepEqual(sent.slice(sent.indexOf('MLSD /big') + 1), ['PWD']);
          assert.ok(
            replies.some((r) => r.startsWith('226 ')),
            replies.join(' | '),
          );
          assert.deepEqual(
            (await client.list('/small')).map((e) => e.name),
            ['a.txt'],
          );
          const file = new Sink();
          await client.download('/small/a.txt', file);
          assert.equal(file.bytes.toString(), 'a');
          assert.equal(client.closed, false);
          assert.deepEqual(server.violations, []);
        },
      );
    });
  }

  it("a caller's own error thrown in the loop is what the loop rejects with; the client stays usable", async () => {
    await withServer({ mode: 'explicit', files: manyFiles(1_000) }, async ({ connect }) => {
      const client = await connect();
      const own = new Error('mine');
      await assert.rejects(
        async () => {
          for await (const _ of client.listIter('/big')) throw own;
        },
        (err) => err === own,
      );
      assert.equal((await client.list('/big')).length, 1_000);
    });
  });

  it('rejects with the server error when the folder does not exist', async () => {
    await withServer({ mode: 'explicit' }, async ({ connect }) => {
      const client = await connect();
      await assert.rejects(
        async () => {
          for await (const _ of client.listIter('/missing')) assert.fail('no entries expected');
        },
        (err: unknown) => (err as { replyCode?: number }).replyCode === 550,
      );
      assert.equal(await client.pwd(), '/');
    });
  });

  it('refuses CR/LF in the path before anything is sent', async () => {
    await withServer({ mode: 'explicit' }, async ({ connect, server }) => {
      const client = await connect();
      const before = server.commands.length;
      assert.throws(() => client.listIter('/x\r\nDELE /y'), InvalidArgumentError);
      await assert.rejects(client.list('/x\nDELE /y'), InvalidArgumentError);
      assert.equal(server.commands.length, before);
    });
  });
});

describe('LIST fallback', () => {
  it('uses LIST and the Unix parser when the server has no MLST', async () => {
    await withServer(
      {
        mode: 'explicit',
        features: ['EPSV', 'PASV', 'SIZE', 'MDTM', 'UTF8', 'AUTH TLS', 'PBSZ', 'PROT'],
        files: { '/d/one.txt': '12345', '/d/sub/x': 'x', '/d/-dash': 'd' },
      },
      async ({ connect, server }) => {
        const client = await connect();
        // What had arrived when SIZE was handled: an MDTM sent after SIZE's reply cannot be there yet.
        const afterSize: string[] = [];
        server.hook('SIZE', (ctx) => {
          const lines = ctx.server.log.filter((e) => e.connection === ctx.connection).map((e) => e.line);
          afterSize.push(lines[lines.lastIndexOf(ctx.line) + 1] ?? '(nothing)');
          return 'default';
        });
        const entries = (await client.list('/d'))
          .map((e) => `${e.type}:${e.name}:${e.type === 'file' ? e.size : '-'}`)
          .sort();
        assert.deepEqual(entries, ['directory:sub:-', 'file:-dash:1', 'file:one.txt:5']);
        assert.ok(server.commands.includes('LIST -a /d'));
        assert.ok(!server.commands.some((c) => c.startsWith('MLSD')));
        const info = await client.stat('/d/one.txt');
        assert.equal(info.size, 5);
        assert.equal((await client.stat('/d/sub')).type, 'directory');
        assert.equal(await client.pwd(), '/', 'the CWD probe returned to the working folder');
        assert.deepEqual(afterSize, ['MDTM /d/one.txt', 'MDTM /d/sub'], 'SIZE and MDTM in one write');
      },
    );
  });
});

describe('LIST -a (dotfiles)', () => {
  const files = { '/d/.env': 'secret', '/d/.hidden/x': 'x', '/d/plain.txt': 'p' };

  it('sends LIST -a when MLSD is absent and sees dotfiles; keeps using it', async () => {
    await withServer({ mode: 'explicit', features: NO_MLST, files }, async ({ connect, server }) => {
      const client = await connect();
      assert.deepEqual((await client.list('/d')).map((e) => e.name).sort(), ['.env', '.hidden', 'plain.txt']);
      assert.deepEqual(
        (await client.list('/d/.hidden')).map((e) => e.name),
        ['x'],
      );
      assert.deepEqual(
        server.commands.filter((c) => c.startsWith('LIST')),
        ['LIST -a /d', 'LIST -a /d/.hidden'],
      );
    });
  });

  it('falls back to a bare LIST once when the server reads -a as a path, and never sends -a again', async () => {
    await withServer({ mode: 'explicit', features: NO_MLST, files }, async ({ connect, server }) => {
      server.hook('LIST', (ctx) =>
        ctx.arg.startsWith('-') ? ctx.reply('550 "-a /d": no such file or directory.') : 'default',
      );
      const client = await connect();
      assert.deepEqual((await client.list('/d')).map((e) => e.name).sort(), ['.env', '.hidden', 'plain.txt']);
      assert.deepEqual((await client.list('/d')).length, 3);
      assert.deepEqual(
        server.commands.filter((c) => c.startsWith('LIST')),
        ['LIST -a /d', 'LIST /d', 'LIST /d'],
      );
      assert.equal(await client.pwd(), '/');
    });
  });

  it('a missing folder fails with the bare LIST error and teaches nothing', async () => {
    await withServer({ mode: 'explicit', features: NO_MLST, files }, async ({ connect, server }) => {
      const client = await connect();
      await assert.rejects(
        client.list('/missing'),
        (err: unknown) =>
          (err as { code?: string; replyCode?: number }).code === 'ERR_FTPS_REPLY' &&
          (err as { replyCode?: number }).replyCode === 550,
      );
      assert.equal((await client.list('/d')).length, 3);
      assert.deepEqual(
        server.commands.filter((c) => c.startsWith('LIST')),
        ['LIST -a /missing', 'LIST /missing', 'LIST -a /d'],
      );
    });
  });

  it('MLSD stays first when the server has MLST', async () => {
    await withServer({ mode: 'explicit', files }, async ({ connect, server }) => {
      const client = await connect();
      assert.deepEqual((await client.list('/d')).map((e) => e.name).sort(), ['.env', '.hidden', 'plain.txt']);
      assert.ok(!server.commands.some((c) => c.startsWith('LIST')));
    });
  });
});

describe('parseList option (a parser for an exotic server)', () => {
  // The VMS example of docs/listings.md.
  const VMS_MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  const VMS_LINE = /^([^\s;]+);\d+\s+(\d+)\/\d+\s+(\d{1,2})-([A-Z]{3})-(\d{4})\s+(\d{2}):(\d{2}):(\d{2})\s/;
  const parseVms: ListLineParser = (line) => {
    const m = VMS_LINE.exec(line);
    if (m === null) return line.trim() === '' || /^(Directory|Total of) /.test(line) ? null : undefined;
    const [, file = '', blocks, day, month = '', year, hh, mm, ss] = m;
    const isDir = file.endsWith('.DIR');
    return {
      name: isDir ? file.slice(0, -4) : file,
      type: isDir ? 'directory' : 'file',
      size: Number(blocks) * 512,
      modifiedAt: new Date(
        Date.UTC(Number(year), VMS_MONTHS.indexOf(month), Number(day), Number(hh), Number(mm), Number(ss)),
      ),
      modifiedPrecision: 'second',
    };
  };
  const VMS = [
    'Directory DISK$USER:[ANONYMOUS]',
    '',
    'README.TXT;1              2/4    21-OCT-2003 10:27:41  [SYSTEM]   (RWED,RWED,RE,RE)',
    'SUBDIR.DIR;1              1/3    03-JAN-2004 08:00:00  [SYSTEM]   (RWED,RWED,RE,)',
    '',
    'Total of 2 files, 3/7 blocks.',
  ];

  it("reads a VMS listing with the caller's parser", async () => {
    await withServer({ mode: 'explicit', features: NO_MLST, files: { '/vms/x': 'x' } }, async ({ connect, server }) => {
      server.listings.set('/vms', VMS);
      const client = await connect({ parseList: parseVms });
      const entries = await client.list('/vms');
      assert.deepEqual(
        entries.map((e) => [e.name, e.type, e.size, e.modifiedAt?.toISOString(), e.raw.slice(0, 12)]),
        [
          ['README.TXT', 'file', 1024, '2003-10-21T10:27:41.000Z', 'README.TXT;1'],
          ['SUBDIR', 'directory', 512, '2004-01-03T08:00:00.000Z', 'SUBDIR.DIR;1'],
        ],
      );
      // Without it the same lines are not understood: unknown entries, never guessed ones.
      const plain = await connect();
      assert.ok((await plain.list('/vms')).every((e) => e.type === 'unknown' && e.name === ''));
    });
  });

  it('lines it leaves (undefined) go to the built-in parsers; unsafe names become unknown; MLSD never uses it', async () => {
    await withServer({ mode: 'explicit', features: NO_MLST, files: { '/d/x': 'x' } }, async ({ connect, server }) => {
      server.listings.set('/d', ['-rw-r--r-- 1 u g 3 Jan  5  2023 unix.txt', 'CUSTOM ../../etc/passwd', 'CUSTOM ok']);
      const seen: string[] = [];
      const client = await connect({
        parseList: (line) => {
          seen.push(line);
          return line.startsWith('CUSTOM ') ? { name: line.slice(7), type: 'file' } : undefined;
        },
      });
      const entries = await client.list('/d');
      assert.deepEqual(
        entries.map((e) => `${e.type}:${e.name}`),
        ['file:unix.txt', 'unknown:', 'file:ok'],
      );
      assert.equal(seen.length, 3);
    });
    await withServer({ mode: 'explicit', files: { '/m/a': 'a' } }, async ({ connect }) => {
      let calls = 0;
      const client = await connect({ parseList: () => (calls++, null) });
      assert.deepEqual(
        (await client.list('/m')).map((e) => e.name),
        ['a'],
      );
      assert.equal(calls, 0);
    });
  });

  it('a parser that throws fails the listing with its error; the client stays usable', async () => {
    await withServer({ mode: 'explicit', features: NO_MLST, files: { '/d/a': 'a' } }, async ({ connect }) => {
      const boom = new Error('cannot read this');
      const client = await connect({
        parseList: () => {
          throw boom;
        },
      });
      await assert.rejects(client.list('/d'), (err) => err === boom);
      assert.equal(await client.pwd(), '/');
    });
  });

  it('rejects a parseList that is not a function', async () => {
    await withServer({ mode: 'explicit' }, async ({ connect }) => {
      await assert.rejects(connect({ parseList: 'vms' as unknown as ListLineParser }), TypeError);
    });
  });
});
