// uploadDir / downloadDir / mirror on a pool against the scripted server: nested trees, empty
// folders, unicode names, compare rule (a second run copies nothing), delete, dryRun, filter,
// failure semantics, retries, progress, and hostile listings that must not write outside.
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPool, UnsafePathError, type FtpsPool, type TreeProgress, type TreeResult } from '../../src/index.js';
import { localPathInside } from '../../src/transfer/safe-path.js';
import { localNamesFoldCase, makePlan } from '../../src/transfer/tree-plan.js';
import { faults, type FakeServerOptions } from '../helpers/fake-server.js';
import { optionsFor, withServer, type Harness } from './support.js';
import { listTree } from '../helpers/local-tree.js';

const LIST_ONLY = ['EPSV', 'PASV', 'SIZE', 'MDTM', 'REST STREAM', 'UTF8', 'AUTH TLS', 'PBSZ', 'PROT'];

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ftps-tree-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
function freshDir(): string {
  const dir = join(scratch, `t${++counter}`);
  mkdirSync(dir);
  return dir;
}

/** A local tree: nested folders, an empty folder, unicode names. */
function makeLocalTree(root: string): Record<string, string> {
  const files: Record<string, string> = {
    'a.txt': 'alpha',
    'sub/b.txt': 'bravo'.repeat(1000),
    'sub/deeper/c.bin': 'x'.repeat(70_000),
    'ünïcødé/日本語.txt': 'unicode ✓',
    'sub/deeper/deepest/d.txt': 'd',
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  mkdirSync(join(root, 'empty/also-empty'), { recursive: true });
  return files;
}

async function withPool(
  opts: Partial<FakeServerOptions>,
  fn: (h: Harness, pool: FtpsPool) => Promise<void>,
): Promise<void> {
  await withServer({ mode: 'explicit', ...opts }, async (h) => {
    const pool = createPool(optionsFor(h.server), { size: 3, retryDelayMs: 10 });
    try {
      await fn(h, pool);
    } finally {
      await pool.close();
    }
  });
}

function copied(result: TreeResult): string[] {
  return result.items.filter((i) => i.action === 'copy' && i.status === 'done').map((i) => i.path);
}

function failures(result: TreeResult): string[] {
  return result.items.filter((i) => i.status === 'failed').map((i) => `${i.path}: ${i.reason ?? ''}`);
}

for (const features of [undefined, LIST_ONLY]) {
  const label = features === undefined ? 'MLSD' : 'LIST';
  describe(`trees over a pool (${label})`, () => {
    const opts: Partial<FakeServerOptions> = features === undefined ? {} : { features };

    it('uploadDir copies nested folders, empty folders and unicode names', async () => {
      await withPool(opts, async (h, pool) => {
        const local = freshDir();
        const files = makeLocalTree(local);
        const progress: TreeProgress[] = [];
        const result = await pool.uploadDir(local, '/up', { onProgress: (p) => progress.push(p) });
        assert.deepEqual(failures(result), []);
        assert.equal(result.ok, true);
        for (const [rel, content] of Object.entries(files))
          assert.equal(h.server.fs.files.get(`/up/${rel}`)?.toString(), content, rel);
        assert.ok(h.server.fs.isDir('/up/empty/also-empty'));
        assert.equal(result.files.copied, 5);
        const last = progress.at(-1);
        assert.equal(last?.filesDone, 5);
        assert.equal(last?.filesTotal, 5);
        assert.equal(last?.bytesDone, last?.bytesTotal);
        assert.equal(
          result.bytes.done,
          Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0),
        );
        assert.deepEqual(h.server.violations, []);
      });
    });

    it('downloadDir recreates the tree, with the remote modification times', async () => {
      await withPool(opts, async (h, pool) => {
        const files = {
          '/src/a.txt': 'alpha',
          '/src/sub/b.txt': 'bravo',
          '/src/ünï/日本.txt': 'ü',
          '/src/sub/deep/c.txt': 'c',
        };
        // Recent (a Unix LIST line shows hours and minutes, no year, for the last six months).
        const when = new Date(Math.floor((Date.now() - 86_400_000) / 60_000) * 60_000 + 5_000);
        for (const [p, c] of Object.entries(files)) h.server.fs.writeFile(p, Buffer.from(c), when);
        h.server.fs.mkdir('/src/empty');
        const local = join(freshDir(), 'new', 'target');
        const result = await pool.downloadDir('/src', local);
        assert.deepEqual(failures(result), []);
        assert.deepEqual(listTree(local), [
          'a.txt',
          'empty/',
          'sub/',
          'sub/b.txt',
          'sub/deep/',
          'sub/deep/c.txt',
          'ünï/',
          'ünï/日本.txt',
        ]);
        assert.equal(readFileSync(join(local, 'ünï/日本.txt'), 'utf8'), 'ü');
        const expected = label === 'MLSD' ? when.getTime() : when.getTime() - 5_000; // LIST: minutes only
        assert.equal(statSync(join(local, 'a.txt')).mtime.getTime(), expected);
      });
    });

    it('mirror upload: the second run copies nothing; changes are picked up; delete removes extraneous entries', async () => {
      await withPool(opts, async (h, pool) => {
        const local = freshDir();
        makeLocalTree(local);
        const first = await pool.mirror({ direction: 'upload', local, remote: '/m' });
        assert.equal(first.files.copied, 5);
        const second = await pool.mirror({ direction: 'upload', local, remote: '/m' });
        assert.deepEqual(copied(second), []);
        assert.equal(second.files.upToDate, 5);
        assert.equal(second.ok, true);

        // A changed file (newer, other size) is copied again; an extra remote file and folder are deleted.
        // (Its time is older than the remote copy's: the size tells.)
        writeFileSync(join(local, 'a.txt'), 'alpha, changed');
        utimesSync(join(local, 'a.txt'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
        h.server.fs.writeFile('/m/extra.txt', Buffer.from('x'));
        h.server.fs.writeFile('/m/old/inner/z.txt', Buffer.from('z'));
        const plan = await pool.mirror({ direction: 'upload', local, remote: '/m', delete: true, dryRun: true });
        assert.equal(plan.dryRun, true);
        assert.deepEqual(plan.plan.copy, ['a.txt']);
        assert.deepEqual(plan.plan.delete.sort(), ['extra.txt', 'old', 'old/inner', 'old/inner/z.txt']);
        assert.ok(h.server.fs.isFile('/m/extra.txt'), 'dryRun changed nothing');
        assert.equal(h.server.fs.files.get('/m/a.txt')?.toString(), 'alpha');

        const third = await pool.mirror({ direction: 'upload', local, remote: '/m', delete: true });
        assert.deepEqual(failures(third), []);
        assert.deepEqual(copied(third), ['a.txt']);
        assert.equal(h.server.fs.files.get('/m/a.txt')?.toString(), 'alpha, changed');
        assert.equal(h.server.fs.isFile('/m/extra.txt'), false);
        assert.equal(h.server.fs.isDir('/m/old'), false);
        const fourth = await pool.mirror({ direction: 'upload', local, remote: '/m', delete: true });
        assert.deepEqual(copied(fourth), []);
        assert.deepEqual(fourth.plan.delete, []);
      });
    });

    it('mirror download: the second run copies nothing; delete removes local extras; filter leaves entries alone', async () => {
      await withPool(opts, async (h, pool) => {
        for (const [p, c] of Object.entries({ '/d/a.txt': 'a', '/d/s/b.txt': 'bb', '/d/s/skip.log': 'log' })) {
          h.server.fs.writeFile(p, Buffer.from(c), new Date('2024-03-04T05:06:07Z'));
        }
        h.server.fs.mkdir('/d/empty');
        const local = freshDir();
        writeFileSync(join(local, 'local-only.txt'), 'extra');
        writeFileSync(join(local, 'keep.log'), 'kept by the filter');
        const filter = (e: { name: string }): boolean => !e.name.endsWith('.log');
        const first = await pool.mirror({ direction: 'download', local, remote: '/d', delete: true, filter });
        assert.deepEqual(failures(first), []);
        assert.deepEqual(copied(first), ['a.txt', 's/b.txt']);
        assert.deepEqual(listTree(local), ['a.txt', 'empty/', 'keep.log', 's/', 's/b.txt']);
        const second = await pool.mirror({ direction: 'download', local, remote: '/d', delete: true, filter });
        assert.deepEqual(copied(second), []);
        assert.equal(second.files.upToDate, 2);
        // The remote file changes (same size, other time): copied again.
        h.server.fs.writeFile('/d/a.txt', Buffer.from('A'), new Date('2024-05-06T07:08:09Z'));
        const third = await pool.mirror({ direction: 'download', local, remote: '/d', filter });
        assert.deepEqual(copied(third), ['a.txt']);
        assert.equal(readFileSync(join(local, 'a.txt'), 'utf8'), 'A');
      });
    });
  });
}

describe('tree failure semantics', () => {
  it('one failing file does not stop the others; the result lists every outcome', async () => {
    await withPool({}, async (h, pool) => {
      for (let i = 0; i < 6; i++) h.server.fs.writeFile(`/f/file${i}.txt`, Buffer.from(`content ${i}`));
      h.server.hook('RETR', async (ctx) => {
        if (ctx.arg.endsWith('file3.txt')) await ctx.reply('550 Permission denied.');
        else return 'default';
      });
      const local = freshDir();
      const result = await pool.downloadDir('/f', local);
      assert.equal(result.ok, false);
      assert.equal(result.files.copied, 5);
      assert.equal(result.files.failed, 1);
      const bad = result.items.find((i) => i.path === 'file3.txt');
      assert.equal(bad?.status, 'failed');
      assert.equal(bad?.attempts, 1, 'a 550 is not retried');
      assert.match(bad?.reason ?? '', /550/);
      assert.equal(result.items.length, 6);
    });
  });

  it('stopOnError stops at the first failure and reports the rest as cancelled', async () => {
    await withServer({ mode: 'explicit' }, async (h) => {
      const pool = createPool(optionsFor(h.server), { size: 1 });
      try {
        for (let i = 0; i < 6; i++) h.server.fs.writeFile(`/f/file${i}.txt`, Buffer.from(`content ${i}`));
        h.server.hook('RETR', async (ctx) => {
          if (ctx.arg.endsWith('file1.txt')) await ctx.reply('550 Permission denied.');
          else return 'default';
        });
        const result = await pool.downloadDir('/f', freshDir(), { stopOnError: true });
        assert.equal(result.ok, false);
        assert.equal(result.items.find((i) => i.path === 'file1.txt')?.status, 'failed');
        assert.ok(
          result.items.filter((i) => i.status === 'cancelled').length >= 3,
          JSON.stringify(result.items.map((i) => [i.path, i.status])),
        );
      } finally {
        await pool.close();
      }
    });
  });

  it('retries transient failures per file, bounded', async () => {
    await withPool({}, async (h, pool) => {
      for (let i = 0; i < 3; i++) h.server.fs.writeFile(`/r/file${i}.txt`, Buffer.from(`content ${i}`));
      // Only the first RETR of file0 fails, whichever file's RETR comes first.
      let refused = false;
      h.server.hook('RETR', async (ctx) => {
        if (refused || !ctx.arg.endsWith('file0.txt')) return 'default';
        refused = true;
        await ctx.reply('450 Try again later.');
      });
      h.server.hook('STOR', faults.reply('452 Insufficient storage space.'));
      const local = freshDir();
      const down = await pool.downloadDir('/r', local, { retries: 1 });
      assert.equal(down.ok, true);
      assert.equal(down.items.find((i) => i.path === 'file0.txt')?.attempts, 2);
      const up = await pool.uploadDir(local, '/back', { retries: 2 });
      assert.equal(up.ok, false);
      assert.deepEqual(
        up.items.map((i) => i.attempts),
        [3, 3, 3],
      );
    });
  });

  it('a connection reset in the middle of a file is retried on a fresh connection', async () => {
    await withPool({}, async (h, pool) => {
      h.server.fs.writeFile('/big/x.bin', Buffer.alloc(200_000, 7));
      h.server.nextTransfer({}); // the listing
      const local = freshDir();
      h.server.hook(
        'RETR',
        async (ctx) => ctx.next({ transfer: { after: { bytes: 50_000, action: 'reset-control' } } }),
        { times: 1 },
      );
      const result = await pool.downloadDir('/big', local);
      assert.deepEqual(failures(result), []);
      assert.equal(readFileSync(join(local, 'x.bin')).length, 200_000);
      assert.equal(result.items[0]?.attempts, 2);
    });
  });

  it('uploadDir skips local symlinks unless followSymlinks', async () => {
    await withPool({}, async (h, pool) => {
      const outside = freshDir();
      writeFileSync(join(outside, 'secret.txt'), 'secret');
      const local = freshDir();
      writeFileSync(join(local, 'real.txt'), 'real');
      symlinkSync(join(outside, 'secret.txt'), join(local, 'link.txt'));
      symlinkSync(outside, join(local, 'linkdir'));
      const result = await pool.uploadDir(local, '/s');
      assert.deepEqual([...h.server.fs.files.keys()].sort(), ['/s/real.txt']);
      assert.deepEqual(
        result.items.filter((i) => i.type === 'symlink').map((i) => `${i.path}:${i.reason ?? ''}`),
        ['link.txt:symlink not followed', 'linkdir:symlink not followed'],
      );
      await pool.uploadDir(local, '/t', { followSymlinks: true });
      assert.deepEqual([...h.server.fs.files.keys()].filter((k) => k.startsWith('/t/')).sort(), [
        '/t/link.txt',
        '/t/linkdir/secret.txt',
        '/t/real.txt',
      ]);
    });
  });

  it('a local file that cannot be written fails as an entry before RETR is sent; the run goes on', async () => {
    await withPool({}, async (h, pool) => {
      h.server.fs.writeFile('/tree/a.txt', Buffer.from('aaa'));
      h.server.fs.writeFile('/tree/b.txt', Buffer.from('bbb'));
      const local = freshDir();
      mkdirSync(join(local, 'a.txt')); // a folder where the remote has a file
      const result = await pool.downloadDir('/tree', local);
      assert.equal(result.ok, false);
      const a = result.items.find((i) => i.path === 'a.txt');
      assert.equal(a?.status, 'failed');
      assert.equal((a?.error as NodeJS.ErrnoException | undefined)?.code, 'EISDIR');
      assert.equal(a?.attempts, 1, 'a local error is not retried');
      assert.equal(result.items.find((i) => i.path === 'b.txt')?.status, 'done');
      assert.equal(readFileSync(join(local, 'b.txt'), 'utf8'), 'bbb');
      assert.ok(!h.server.commands.some((c) => c === 'RETR /tree/a.txt'), 'no RETR for it');
      // Opened before anything is sent: one data connection for the listing, one for b.txt.
      assert.equal(h.server.commands.filter((c) => /^(EPSV|PASV)/.test(c)).length, 2, h.server.commands.join('\n'));
    });
  });

  it('uploadDir: a file that vanished after the scan fails as an entry before STOR is sent', async () => {
    await withPool({}, async (h, pool) => {
      const local = freshDir();
      writeFileSync(join(local, 'a.txt'), 'a');
      writeFileSync(join(local, 'gone.txt'), 'b');
      const result = await pool.uploadDir(local, '/dst', {
        filter: (e) => {
          if (e.name === 'gone.txt') rmSync(join(local, 'gone.txt'));
          return true;
        },
      });
      assert.equal(result.ok, false);
      const gone = result.items.find((i) => i.path === 'gone.txt');
      assert.equal(gone?.status, 'failed');
      assert.equal((gone?.error as NodeJS.ErrnoException | undefined)?.code, 'ENOENT');
      assert.equal(result.items.find((i) => i.path === 'a.txt')?.status, 'done');
      assert.ok(
        !h.server.commands.some((c) => c.startsWith('STOR') && c.includes('gone.txt')),
        'no STOR (which would truncate the remote copy)',
      );
    });
  });

  it('names that merely start with ".." are ordinary names', async () => {
    await withPool({}, async (h, pool) => {
      h.server.fs.writeFile('/dots/..foo', Buffer.from('foo'));
      h.server.fs.writeFile('/dots/..bar/...baz', Buffer.from('baz'));
      const local = freshDir();
      const result = await pool.downloadDir('/dots', local);
      assert.deepEqual(failures(result), []);
      assert.deepEqual(listTree(local), ['..bar/', '..bar/...baz', '..foo']);
      assert.equal(localPathInside(local, ['..foo']), join(local, '..foo'));
      assert.throws(() => localPathInside(local, ['sub', '..', '..', 'x']), UnsafePathError);
    });
  });

  it('case-insensitive local file systems: remote names differing only in case are refused, not overwritten', async () => {
    await withPool({}, async (h, pool) => {
      h.server.fs.writeFile('/case/Read.me', Buffer.from('first'));
      h.server.fs.writeFile('/case/read.ME', Buffer.from('second'));
      h.server.fs.writeFile('/case/Dir/x.txt', Buffer.from('x'));
      h.server.fs.writeFile('/case/dir/y.txt', Buffer.from('y'));
      h.server.fs.writeFile('/case/other.txt', Buffer.from('o'));
      const platform = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor;
      Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
      let result: TreeResult;
      const local = freshDir();
      writeFileSync(join(local, 'OTHER.TXT'), 'o'); // what the local file system calls other.txt
      try {
        result = await pool.mirror({ direction: 'download', remote: '/case', local, delete: true });
      } finally {
        Object.defineProperty(process, 'platform', platform);
      }
      assert.equal(result.ok, false);
      const refused = result.items.filter((i) => i.status === 'failed');
      assert.deepEqual(
        refused.map((i) => i.path),
        ['dir', 'read.ME'],
      );
      for (const r of refused) {
        assert.ok(r.error instanceof UnsafePathError);
        assert.match(r.reason ?? '', /case-insensitive/);
      }
      assert.deepEqual(listTree(local), ['Dir/', 'Dir/x.txt', 'OTHER.TXT', 'Read.me']);
      assert.equal(readFileSync(join(local, 'Read.me'), 'utf8'), 'first');
      assert.ok(!h.server.commands.some((c) => /^RETR .*(read\.ME|dir\/y)/.test(c)));
      assert.deepEqual(result.plan.delete, [], 'OTHER.TXT is other.txt there: not extraneous');
    });
  });

  it('the plan folds case only when asked (case-sensitive file systems keep both)', () => {
    const node = (rel: string): [string, { rel: string; type: 'file'; size: number }] => [
      rel,
      { rel, type: 'file', size: 1 },
    ];
    const source = new Map([node('A.txt'), node('a.txt')]);
    const sides = { direction: 'download' as const, local: '/l', remote: '/r', compare: false, delete: false };
    const run = {
      runner: undefined as never,
      options: {},
      retries: 0,
      signal: new AbortController().signal,
      items: [],
    };
    assert.deepEqual(
      makePlan(run, sides, source, undefined).copy.map((n) => n.rel),
      ['A.txt', 'a.txt'],
    );
    assert.deepEqual(
      makePlan(run, sides, source, undefined, true).copy.map((n) => n.rel),
      ['A.txt'],
    );
    assert.deepEqual(
      makePlan(run, { ...sides, direction: 'upload' }, source, undefined, true).copy.map((n) => n.rel),
      ['A.txt', 'a.txt'],
    );
    assert.equal(localNamesFoldCase('darwin'), true);
    assert.equal(localNamesFoldCase('win32'), true);
    assert.equal(localNamesFoldCase('linux'), false);
  });

  it('rejects when the local root cannot be made', async () => {
    await withPool({}, async (h, pool) => {
      h.server.fs.writeFile('/r/x.txt', Buffer.from('x'));
      const file = join(freshDir(), 'file');
      writeFileSync(file, 'not a folder');
      await assert.rejects(pool.downloadDir('/r', join(file, 'sub')), /ENOTDIR|EEXIST/);
    });
  });

  it('rejects bad options and a missing local folder', async () => {
    await withPool({}, async (_h, pool) => {
      await assert.rejects(pool.uploadDir(join(scratch, 'does-not-exist'), '/x'), /ENOENT/);
      assert.throws(() => pool.mirror({ direction: 'sideways' as 'upload', local: scratch, remote: '/' }), TypeError);
      assert.throws(() => pool.uploadDir(scratch, '/x', { filter: 'no' as unknown as () => boolean }), TypeError);
    });
  });
});

describe('hostile listings write nothing outside the target', () => {
  const HOSTILE_LIST = [
    '-rw-r--r-- 1 o g 4 May 06 07:08 ../evil',
    '-rw-r--r-- 1 o g 4 May 06 07:08 ..',
    '-rw-r--r-- 1 o g 4 May 06 07:08 .',
    '-rw-r--r-- 1 o g 4 May 06 07:08 a/b',
    '-rw-r--r-- 1 o g 4 May 06 07:08 C:\\x',
    '-rw-r--r-- 1 o g 4 May 06 07:08 x\\..\\y',
    '-rw-r--r-- 1 o g 4 May 06 07:08 ..\\..\\evil2',
    '-rw-r--r-- 1 o g 4 May 06 07:08 nul\0byte',
    'drwxr-xr-x 1 o g 0 May 06 07:08 ..',
    '-rw-r--r-- 1 o g 4 May 06 07:08 good.txt',
  ];
  const HOSTILE_MLSD = [
    'type=file;size=4;modify=20240506070809; ../evil',
    'type=file;size=4;modify=20240506070809; /etc/evil',
    'type=dir;modify=20240506070809; ..',
    'type=file;size=4;modify=20240506070809; a/b',
    'type=file;size=4;modify=20240506070809; C:\\x',
    'type=file;size=4;modify=20240506070809; x\\..\\y',
    'type=file;size=4;modify=20240506070809; nul\0byte',
    'type=file;size=4;modify=20240506070809; good.txt',
  ];

  for (const [label, features, lines] of [
    ['LIST', LIST_ONLY, HOSTILE_LIST],
    ['MLSD', undefined, HOSTILE_MLSD],
  ] as const) {
    it(`${label}: downloadDir and mirror refuse the names with UnsafePathError, download the good file only`, async () => {
      await withPool(features === undefined ? {} : { features: [...features] }, async (h, pool) => {
        // Files the hostile names would reach if a client followed them, all readable on the server.
        for (const p of [
          '/evil',
          '/x/evil',
          '/x/../evil',
          '/etc/evil',
          '/x/good.txt',
          '/x/a/b',
          '/x/C:\\x',
          '/x/x\\..\\y',
          '/x/..\\..\\evil2',
        ]) {
          h.server.fs.writeFile(p, Buffer.from('evil'));
        }
        h.server.listings.set('/x', [...lines]);
        const parent = freshDir();
        const target = join(parent, 'target');
        for (const run of [
          () => pool.downloadDir('/x', target),
          () => pool.mirror({ direction: 'download', remote: '/x', local: target, delete: true }),
        ]) {
          const result = await run();
          assert.equal(result.ok, false, 'refusals make the run fail');
          const refused = result.items.filter((i) => i.status === 'failed');
          assert.ok(refused.length >= 5, JSON.stringify(refused.map((i) => i.reason)));
          for (const r of refused) {
            assert.ok(r.error instanceof UnsafePathError, String(r.error));
            assert.equal((r.error as UnsafePathError).code, 'ERR_FTPS_UNSAFE_PATH');
            assert.match(r.reason ?? '', /Refusing/);
          }
          assert.deepEqual(readdirSync(parent), ['target'], 'nothing next to the target');
          assert.deepEqual(listTree(target), ['good.txt']);
        }
        assert.equal(existsSync(join(scratch, 'evil')), false);
        assert.ok(!h.server.commands.some((c) => /^RETR .*(evil|\\)/.test(c)), 'hostile names were never requested');
      });
    });
  }

  it('a symlink inside the local target is not followed when downloading', async () => {
    await withPool({}, async (h, pool) => {
      h.server.fs.writeFile('/y/sub/file.txt', Buffer.from('data'));
      h.server.fs.writeFile('/y/link.txt', Buffer.from('data'));
      const outside = freshDir();
      const target = freshDir();
      symlinkSync(outside, join(target, 'sub'));
      symlinkSync(join(outside, 'victim.txt'), join(target, 'link.txt'));
      const result = await pool.downloadDir('/y', target);
      assert.equal(result.ok, false);
      assert.deepEqual(readdirSync(outside), [], 'nothing written through the symlinks');
      assert.ok(lstatSync(join(target, 'sub')).isSymbolicLink());
      const reasons = result.items.filter((i) => i.status === 'failed').map((i) => i.reason ?? '');
      assert.ok(
        reasons.some((r) => /symlink/.test(r)),
        reasons.join('\n'),
      );
    });
  });
});
