// rateLimit: transfers under a limit still deliver every byte (uploads, downloads to a path and to
// a stream), a shared RateLimiter serves a tree run, tree progress reports bytes in flight while
// files move, and a bad value is refused. How close the rate holds is measured in
// bench/rate-limit.ts, not asserted here (no timing assertions in tests).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createPool, RateLimiter, type TreeProgress } from '../../src/index.js';
import { optionsFor, withServer } from './support.js';

describe('rateLimit', () => {
  it('single transfers under a limit deliver every byte, both ways', async () => {
    const data = randomBytes(300_000);
    await withServer({ mode: 'explicit', files: { '/d.bin': data } }, async ({ connect, server }) => {
      const client = await connect({ timeouts: { connect: 5000, reply: 5000, data: 5000 } });
      const dir = mkdtempSync(join(tmpdir(), 'ftps-rate-'));
      try {
        const r = await client.download('/d.bin', join(dir, 'd.bin'), { rateLimit: 4_000_000 });
        assert.equal(r.bytes, data.length);
        assert.ok(readFileSync(join(dir, 'd.bin')).equals(data));
        const chunks: Buffer[] = [];
        const sink = new PassThrough();
        sink.on('data', (c: Buffer) => chunks.push(c));
        await client.download('/d.bin', sink, { rateLimit: new RateLimiter(4_000_000) });
        assert.ok(Buffer.concat(chunks).equals(data));
        await client.upload(data, '/up.bin', { rateLimit: 4_000_000, verify: 'size' });
        assert.ok(server.fs.files.get('/up.bin')?.equals(data));
        await assert.rejects(client.upload(data, '/x.bin', { rateLimit: 0 }), RangeError);
        await assert.rejects(client.upload(data, '/x.bin', { rateLimit: Number.NaN }), RangeError);
        assert.equal(server.fs.files.has('/x.bin'), false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('an aborted limited transfer rejects with the reason and leaves the client usable', async () => {
    await withServer({ mode: 'explicit', files: { '/d.bin': randomBytes(2_000_000) } }, async ({ connect }) => {
      const client = await connect({ timeouts: { connect: 5000, reply: 5000, data: 5000 } });
      const controller = new AbortController();
      const sink = new PassThrough();
      sink.resume();
      let seen = 0;
      sink.on('data', (c: Buffer) => {
        seen += c.length;
        if (seen > 100_000) controller.abort(new Error('enough'));
      });
      await assert.rejects(
        client.download('/d.bin', sink, { rateLimit: 500_000, signal: controller.signal }),
        /enough/,
      );
      assert.equal(await client.pwd(), '/');
    });
  });

  it('a tree run shares one limit; its progress shows bytes in flight, rate, ETA and file index', async () => {
    await withServer({ mode: 'explicit' }, async ({ server }) => {
      const local = mkdtempSync(join(tmpdir(), 'ftps-rate-tree-'));
      const files: Record<string, Buffer> = {
        'a.bin': randomBytes(250_000),
        'sub/b.bin': randomBytes(250_000),
        'sub/.c.bin': randomBytes(250_000),
      };
      for (const [rel, d] of Object.entries(files)) {
        mkdirSync(join(local, rel, '..'), { recursive: true });
        writeFileSync(join(local, rel), d);
      }
      const pool = createPool(optionsFor(server, { timeouts: { connect: 5000, reply: 5000, data: 5000 } }), {
        size: 3,
      });
      try {
        const progress: TreeProgress[] = [];
        // 750 kB at 1.5 MB/s: about half a second, so per-file progress events (every 100 ms) arrive mid-file.
        const result = await pool.uploadDir(local, '/t', { rateLimit: 1_500_000, onProgress: (p) => progress.push(p) });
        assert.equal(result.ok, true);
        for (const [rel, d] of Object.entries(files)) assert.ok(server.fs.files.get(`/t/${rel}`)?.equals(d), rel);
        const moving = progress.filter((p) => !p.finished);
        assert.ok(moving.length > 0, 'events while bytes move');
        assert.ok(
          moving.every(
            (p) =>
              p.bytesInFlight > 0 && p.filesRunning >= 1 && p.fileIndex >= 1 && p.fileIndex <= 3 && p.filesTotal === 3,
          ),
        );
        assert.ok(moving.some((p) => p.bytesPerSecond > 0 && p.etaSeconds !== undefined && p.etaSeconds >= 0));
        const last = progress.at(-1);
        assert.equal(last?.finished, true);
        assert.equal(last?.filesDone, 3);
        assert.equal(last?.bytesInFlight, 0);
        assert.equal(last?.bytesDone, 750_000);
        await assert.rejects(async () => pool.uploadDir(local, '/t', { rateLimit: -1 }), RangeError);
      } finally {
        await pool.close();
        rmSync(local, { recursive: true, force: true });
      }
    });
  });
});
