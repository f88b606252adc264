// Per-file bytes in a tree run's progress: every TreeProgress of a moving file carries that file's
// own ProgressEvent (`file`, the single-transfer event), a copied file's finished event carries its
// final one, a failed file's does not claim completion, and no more files move at once than the
// pool has connections. Against the scripted server, uploads and downloads (resumed too).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPool, RateLimiter, type TreeProgress } from '../../src/index.js';
import { handClock, optionsFor, sleep, withServer } from './support.js';

const POOL_SIZE = 3;
const SIZE = 400_000;
// 4 x 400 kB at 1.6 MB/s: about a second, with files moving side by side.
const RATE = 1_600_000;

/**
 * The run's rate limit, paced in real time (so that files overlap), that also moves the clock the
 * progress events go by (performance.now) on by each piece's time at the limit: every file of
 * 400 kB then spans more than the 100 ms between two events of its own on that clock, so it has
 * events mid-file however a loaded machine bunches its chunks in real time.
 */
class ClockedLimiter extends RateLimiter {
  constructor(private readonly clock: ReturnType<typeof handClock>) {
    super(RATE);
  }
  override async take(bytes: number): Promise<void> {
    const ms = (bytes / this.bytesPerSecond) * 1000;
    this.clock.advance(ms);
    await sleep(ms);
  }
}

/** Runs `fn` with a ClockedLimiter, the real clock restored after. */
async function withClockedLimiter(fn: (limiter: RateLimiter) => Promise<void>): Promise<void> {
  const clock = handClock();
  try {
    await fn(new ClockedLimiter(clock));
  } finally {
    clock.restore();
  }
}
const NAMES = ['a.bin', 'b.bin', 'sub/c.bin', 'sub/d.bin'];

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ftps-tree-progress-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Checks the per-file events of one run; returns the most files seen moving at once. */
function checkFileEvents(
  progress: TreeProgress[],
  remoteRoot: string,
  sizes: Map<string, number>,
  copied: Set<string>,
  midFile = copied,
): number {
  const moving = new Set<string>();
  const lastBytes = new Map<string, number>();
  let most = 0;
  for (const p of progress) {
    if (p.fileIndex === 0) {
      assert.equal(p.file, undefined, 'a deletion has no file event');
      continue;
    }
    if (!p.finished) {
      const f = p.file;
      assert.ok(f !== undefined, `a moving file's event has its bytes: ${p.path}`);
      assert.equal(f.name, `${remoteRoot}/${p.path}`);
      assert.equal(f.done, false);
      assert.equal(f.total, sizes.get(p.path));
      assert.ok(f.bytes >= (lastBytes.get(p.path) ?? 0) && f.bytes <= (f.total ?? Infinity), `${p.path}: ${f.bytes}`);
      lastBytes.set(p.path, f.bytes);
      moving.add(p.path);
      most = Math.max(most, moving.size);
    } else {
      moving.delete(p.path);
      if (copied.has(p.path)) {
        assert.equal(p.file?.done, true, `${p.path}: the final event`);
        assert.equal(p.file?.bytes, sizes.get(p.path));
      } else assert.notEqual(p.file?.done, true, `${p.path} failed: not reported done`);
    }
  }
  for (const name of midFile) assert.ok(lastBytes.has(name), `events mid-file for ${name}`);
  return most;
}

describe('tree progress: per-file bytes', () => {
  it('uploadDir: every moving file has its own bytes, total and rate; at most the pool size at once', async () => {
    await withServer({ mode: 'explicit' }, async ({ server }) => {
      const local = join(scratch, 'up');
      const sizes = new Map<string, number>();
      for (const rel of NAMES) {
        mkdirSync(join(local, rel, '..'), { recursive: true });
        writeFileSync(join(local, rel), randomBytes(SIZE));
        sizes.set(rel, SIZE);
      }
      const pool = createPool(optionsFor(server, { timeouts: { connect: 5000, reply: 5000, data: 5000 } }), {
        size: POOL_SIZE,
      });
      try {
        const progress: TreeProgress[] = [];
        await withClockedLimiter(async (rateLimit) => {
          const result = await pool.uploadDir(local, '/up', { rateLimit, onProgress: (p) => progress.push(p) });
          assert.equal(result.ok, true);
        });
        const most = checkFileEvents(progress, '/up', sizes, new Set(NAMES));
        assert.ok(most >= 2 && most <= POOL_SIZE, `files moving at once: ${most}`);
        assert.ok(
          progress.some((p) => !p.finished && (p.file?.bytesPerSecond ?? 0) > 0),
          'a per-file rate',
        );
      } finally {
        await pool.close();
      }
    });
  });

  it('downloadDir with resume: bytes count from the resumed offset; a failed file is never reported done', async () => {
    const data = new Map(NAMES.map((rel) => [rel, randomBytes(SIZE)]));
    const files = Object.fromEntries([...data].map(([rel, d]) => [`/down/${rel}`, d]));
    await withServer({ mode: 'explicit', files }, async ({ server }) => {
      const local = join(scratch, 'down');
      mkdirSync(join(local, 'sub'), { recursive: true });
      writeFileSync(join(local, 'a.bin'), (data.get('a.bin') as Buffer).subarray(0, 100_000)); // partly done earlier
      // sub/d.bin: the data connection is reset mid-file, and no retry.
      server.hook('RETR', async (ctx) => {
        if (ctx.arg.endsWith('/d.bin')) await ctx.next({ transfer: { after: { bytes: 250_000, action: 'reset' } } });
        else return 'default';
      });
      const pool = createPool(optionsFor(server, { timeouts: { connect: 5000, reply: 5000, data: 5000 } }), {
        size: POOL_SIZE,
      });
      try {
        const progress: TreeProgress[] = [];
        let result: Awaited<ReturnType<typeof pool.downloadDir>> | undefined;
        await withClockedLimiter(async (rateLimit) => {
          result = await pool.downloadDir('/down', local, {
            resume: true,
            retries: 0,
            rateLimit,
            onProgress: (p) => progress.push(p),
          });
        });
        assert.deepEqual(
          result?.items.filter((i) => i.status === 'failed').map((i) => i.path),
          ['sub/d.bin'],
        );
        const copied = new Set(NAMES.filter((n) => n !== 'sub/d.bin'));
        for (const rel of copied) assert.ok(readFileSync(join(local, rel)).equals(data.get(rel) as Buffer), rel);
        checkFileEvents(
          progress,
          '/down',
          new Map(NAMES.map((n) => [n, SIZE])),
          copied,
          new Set(['b.bin', 'sub/c.bin']),
        );
        const resumed = progress.filter((p) => p.path === 'a.bin' && p.file !== undefined);
        assert.ok(resumed.length > 0);
        assert.ok(
          resumed.every((p) => p.file?.resumedFrom === 100_000 && p.file.bytes >= 100_000),
          'position in the file, offset included',
        );
        const last = progress.at(-1);
        assert.equal(last?.filesDone, 4);
        assert.equal(last?.filesRunning, 0);
      } finally {
        await pool.close();
      }
    });
  });

  it('a file whose bytes all went but whose next step failed is not reported done', async () => {
    await withServer({ mode: 'explicit' }, async ({ server }) => {
      const local = join(scratch, 'after-step');
      mkdirSync(local, { recursive: true });
      writeFileSync(join(local, 'ok.txt'), 'fine');
      writeFileSync(join(local, 'late.txt'), 'stored, then MDTM fails');
      // Setting the modification time (MDTM with a time, no MFMT offered) fails transiently: no retry.
      server.hook('MDTM', async (ctx) => {
        if (ctx.arg.endsWith('late.txt') && /^\d{14}/.test(ctx.arg)) await ctx.reply('450 Try again later.');
        else return 'default';
      });
      const pool = createPool(optionsFor(server), { size: POOL_SIZE });
      try {
        const progress: TreeProgress[] = [];
        const result = await pool.uploadDir(local, '/late', { retries: 0, onProgress: (p) => progress.push(p) });
        assert.deepEqual(
          result.items.filter((i) => i.status === 'failed').map((i) => i.path),
          ['late.txt'],
        );
        assert.ok(server.files.has('/late/late.txt'), 'its bytes did arrive');
        const finished = new Map(progress.filter((p) => p.finished).map((p) => [p.path, p]));
        assert.equal(finished.get('ok.txt')?.file?.done, true);
        assert.equal(finished.get('late.txt')?.file, undefined);
      } finally {
        await pool.close();
      }
    });
  });

  it('mirror with delete: deletions carry no file event', async () => {
    await withServer({ mode: 'explicit', files: { '/m/old.txt': 'gone soon' } }, async ({ server }) => {
      const local = join(scratch, 'mirror');
      mkdirSync(local, { recursive: true });
      writeFileSync(join(local, 'new.txt'), 'new');
      const pool = createPool(optionsFor(server), { size: POOL_SIZE });
      try {
        const progress: TreeProgress[] = [];
        const result = await pool.mirror({
          direction: 'upload',
          local,
          remote: '/m',
          delete: true,
          onProgress: (p) => progress.push(p),
        });
        assert.equal(result.ok, true);
        const deletion = progress.find((p) => p.path === 'old.txt');
        assert.ok(deletion !== undefined && deletion.finished && deletion.file === undefined);
        const copy = progress.find((p) => p.path === 'new.txt' && p.finished);
        assert.equal(copy?.file?.done, true, 'even a file too small for mid-file events gets its final one');
        assert.equal(copy?.file?.bytes, 3);
      } finally {
        await pool.close();
      }
    });
  });
});
