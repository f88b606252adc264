// Tree runs with the single-file guarantees: atomic, resume and verify across an interrupted run.
// The run is cut mid-file (the server stalls one transfer, the run is aborted once the other files
// are done); the rerun must leave every file byte-identical, and with atomic no file may ever be
// seen half-written under its final name (no STOR/APPE to a final name, no partial local file).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPool, type TreeProgress } from '../../src/index.js';
import { DEFAULT_FEATURES } from '../helpers/fake-server.js';
import { listTree } from '../helpers/local-tree.js';
import { optionsFor, rejection, withServer } from './support.js';

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ftps-tree-resume-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

const NAMES = ['a.bin', 'b.bin', 'sub/c.bin', 'sub/.d.bin', 'sub/deeper/e.bin'];
const SIZE = 300_000;

function makeFiles(): Record<string, Buffer> {
  return Object.fromEntries(NAMES.map((n) => [n, randomBytes(SIZE)]));
}

function writeLocal(root: string, files: Record<string, Buffer>): void {
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), data);
  }
}

/** Aborts the run once every file but the stalled one is finished. */
function abortWhenOthersDone(controller: AbortController): (p: TreeProgress) => void {
  return (p) => {
    if (p.finished && p.filesDone >= NAMES.length - 1) controller.abort(new Error('killed mid-tree'));
  };
}

const OPTIONS = { atomic: true, resume: true, verify: true } as const;

describe('tree runs: atomic + resume + verify across an interrupted run', () => {
  it('uploadDir: never a half-written file under its final name; the rerun resumes and ends byte-identical', async () => {
    await withServer(
      {
        mode: 'explicit',
        keepPartialUploads: true,
        features: [...DEFAULT_FEATURES, 'XSHA256'],
      },
      async ({ server }) => {
        const local = join(scratch, 'up');
        const files = makeFiles();
        writeLocal(local, files);
        const pool = createPool(optionsFor(server, { timeouts: { connect: 5000, reply: 5000, data: 30_000 } }), {
          size: 2,
        });
        try {
          server.hook('STOR', (ctx) => ctx.next({ transfer: { after: { bytes: 100_000, action: 'stall' } } }), {
            times: 1,
          });
          const controller = new AbortController();
          const err = await rejection(
            pool.uploadDir(local, '/up', {
              ...OPTIONS,
              signal: controller.signal,
              onProgress: abortWhenOthersDone(controller),
            }),
          );
          assert.equal((err as Error).message, 'killed mid-tree');

          const stores = server.commands.filter((c) => /^(STOR|APPE) /.test(c));
          assert.ok(stores.length >= NAMES.length, stores.join('\n'));
          assert.ok(
            stores.every((c) => /\/\.[^/]+\.part$/.test(c)),
            `every upload went to a temporary name: ${stores.join(', ')}`,
          );
          for (const rel of NAMES) {
            const there = server.fs.files.get(`/up/${rel}`);
            assert.ok(
              there === undefined || there.equals(files[rel] as Buffer),
              `${rel} is absent or complete under its final name`,
            );
          }
          const partial = [...server.fs.files.entries()].filter(([p, d]) => p.endsWith('.part') && d.length < SIZE);
          assert.ok(partial.length <= 1, 'at most the interrupted file is partial');
          // Under load the run may be cut before the stalled file's bytes were stored: then there is nothing to resume.
          const resumable = (partial[0]?.[1].length ?? 0) > 0;

          const before = server.commands.length;
          const rerun = await pool.uploadDir(local, '/up', OPTIONS);
          assert.equal(rerun.ok, true, JSON.stringify(rerun.items.filter((i) => i.status !== 'done')));
          const again = server.commands.slice(before);
          if (resumable)
            assert.ok(
              again.some((c) => /^(REST [1-9]|APPE )/.test(c)),
              `the partial file was continued: ${again.join(', ')}`,
            );
          assert.ok(
            again.some((c) => c.startsWith('XSHA256 ')),
            'verified with the server hash',
          );
          for (const rel of NAMES) assert.ok(server.fs.files.get(`/up/${rel}`)?.equals(files[rel] as Buffer), rel);
          assert.deepEqual(
            [...server.fs.files.keys()].filter((p) => p.endsWith('.part')),
            [],
            'no temporary file left',
          );
        } finally {
          await pool.close();
        }
      },
    );
  });

  it('downloadDir: no partial local file under its final name; the rerun resumes and ends byte-identical', async () => {
    const files = makeFiles();
    const remote = Object.fromEntries(Object.entries(files).map(([rel, d]) => [`/down/${rel}`, d]));
    await withServer({ mode: 'explicit', files: remote }, async ({ server }) => {
      const local = join(scratch, 'down');
      const pool = createPool(optionsFor(server, { timeouts: { connect: 5000, reply: 5000, data: 30_000 } }), {
        size: 2,
      });
      try {
        server.hook('RETR', (ctx) => ctx.next({ transfer: { after: { bytes: 100_000, action: 'stall' } } }), {
          times: 1,
        });
        const controller = new AbortController();
        const err = await rejection(
          pool.downloadDir('/down', local, {
            ...OPTIONS,
            signal: controller.signal,
            onProgress: abortWhenOthersDone(controller),
          }),
        );
        assert.equal((err as Error).message, 'killed mid-tree');
        const present = listTree(local).filter((p) => !p.endsWith('/'));
        for (const rel of present) {
          const name = rel.slice(rel.lastIndexOf('/') + 1);
          if (name.endsWith('.part')) continue;
          assert.ok(
            readFileSync(join(local, rel)).equals(files[rel] as Buffer),
            `${rel} is complete under its final name`,
          );
        }
        assert.ok(
          present.some((p) => p.endsWith('.part')),
          `a partial temporary file is left: ${present.join(', ')}`,
        );

        const before = server.commands.length;
        const rerun = await pool.downloadDir('/down', local, OPTIONS);
        assert.equal(rerun.ok, true, JSON.stringify(rerun.items.filter((i) => i.status !== 'done')));
        assert.ok(
          server.commands.slice(before).some((c) => /^REST [1-9]/.test(c)),
          'the partial file was continued',
        );
        for (const rel of NAMES) assert.ok(readFileSync(join(local, rel)).equals(files[rel] as Buffer), rel);
        assert.deepEqual(
          listTree(local).filter((p) => p.endsWith('.part')),
          [],
        );
        assert.equal(existsSync(join(local, 'sub/.d.bin')), true);
        assert.ok(readdirSync(local).length > 0);
      } finally {
        await pool.close();
      }
    });
  });
});
