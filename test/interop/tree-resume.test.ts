// Interrupted tree runs against real servers: a run with atomic + resume + verify is aborted while
// a big file is moving, then run again. Afterwards every file is byte-identical, no final name ever
// held a partial file, and the rerun moved less than everything (it resumed).
// In CI (FTPS_INTEROP_REQUIRED=1) a missing server is a failure, never a skip.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPool, type FtpsPool, type TreeProgress } from '../../src/index.js';
import { listTree } from '../helpers/local-tree.js';
import { startRealServer, type RealServer, type ServerKind } from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

const KINDS: ServerKind[] = ['vsftpd', 'proftpd'];
const BIG = 16 * 1024 * 1024;
// The interrupted runs are rate-limited so that big.bin is reliably mid-transfer when they are cut.
const LIMITED = { rateLimit: 8_000_000 } as const;
const OPTIONS = { atomic: true, resume: true, verify: true } as const;

function makeFiles(): Record<string, Buffer> {
  return { 'big.bin': randomBytes(BIG), 'small/.env': Buffer.from('A=1\n'), 'small/s.txt': randomBytes(5000) };
}

/** Aborts once 2 MB of big.bin have moved (the small files are done by then): it is mid-transfer. */
function abortMidFile(controller: AbortController, seen: TreeProgress[]): (p: TreeProgress) => void {
  return (p) => {
    seen.push(p);
    if (!p.finished && p.bytesInFlight > 2_000_000 && p.path === 'big.bin')
      controller.abort(new Error('killed mid-tree'));
  };
}

/** Every file present under its final name is complete; .part names are the only partial ones. */
function assertNoHalfWritten(root: string, files: Record<string, Buffer>): void {
  for (const rel of listTree(root).filter((p) => !p.endsWith('/') && !p.endsWith('.part'))) {
    assert.ok(readFileSync(join(root, rel)).equals(files[rel] as Buffer), `${rel} under its final name is complete`);
  }
}

for (const kind of KINDS) {
  describe(`${kind}: interrupted atomic + resumable tree runs`, { skip: skipReason(kind) }, () => {
    let server: RealServer;
    let pool: FtpsPool;
    let local: string;
    before(async () => {
      server = await startRealServer({ kind, mode: 'explicit', tlsVersion: '1.3' });
      pool = createPool(
        { ...clientOptions(server), timeouts: { connect: 10_000, reply: 30_000, data: 30_000 } },
        { size: 2 },
      );
      local = mkdtempSync(join(tmpdir(), `ftps-resume-${kind}-`));
    });
    after(async () => {
      await pool?.close();
      await server?.stop();
      if (local !== undefined) rmSync(local, { recursive: true, force: true });
    });

    it('uploadDir: aborted mid-file, rerun resumes; byte-identical, never half-written under a final name', async () => {
      const src = join(local, 'src');
      const files = makeFiles();
      for (const [rel, data] of Object.entries(files)) {
        mkdirSync(join(src, rel, '..'), { recursive: true });
        writeFileSync(join(src, rel), data);
      }
      const controller = new AbortController();
      const seen: TreeProgress[] = [];
      await assert.rejects(
        pool.uploadDir(src, '/bk', {
          ...OPTIONS,
          ...LIMITED,
          signal: controller.signal,
          onProgress: abortMidFile(controller, seen),
        }),
        /killed mid-tree/,
      );
      assert.ok(
        seen.some((p) => !p.finished && p.bytesInFlight > 0),
        'progress showed bytes in flight',
      );
      assertNoHalfWritten(join(server.root, 'bk'), files);

      const rerun = await pool.uploadDir(src, '/bk', OPTIONS);
      assert.equal(rerun.ok, true, JSON.stringify(rerun.items.filter((i) => i.status !== 'done')));
      const big = rerun.items.find((i) => i.path === 'big.bin');
      assert.ok(big !== undefined && big.bytes < BIG, `the rerun resumed big.bin (moved ${big?.bytes} of ${BIG})`);
      assert.deepEqual(listTree(join(server.root, 'bk')), listTree(src));
      assertNoHalfWritten(join(server.root, 'bk'), files);
    });

    it('downloadDir: aborted mid-file, rerun resumes; byte-identical, never half-written under a final name', async () => {
      const dst = join(local, 'dst');
      const files = Object.fromEntries(
        listTree(join(server.root, 'bk'))
          .filter((p) => !p.endsWith('/'))
          .map((p) => [p, readFileSync(join(server.root, 'bk', p))]),
      );
      const controller = new AbortController();
      const seen: TreeProgress[] = [];
      await assert.rejects(
        pool.downloadDir('/bk', dst, {
          ...OPTIONS,
          ...LIMITED,
          signal: controller.signal,
          onProgress: abortMidFile(controller, seen),
        }),
        /killed mid-tree/,
      );
      assertNoHalfWritten(dst, files);
      const rerun = await pool.downloadDir('/bk', dst, OPTIONS);
      assert.equal(rerun.ok, true, JSON.stringify(rerun.items.filter((i) => i.status !== 'done')));
      const big = rerun.items.find((i) => i.path === 'big.bin');
      assert.ok(big !== undefined && big.bytes < BIG, `the rerun resumed big.bin (moved ${big?.bytes} of ${BIG})`);
      assert.deepEqual(listTree(dst), Object.keys(files).concat(['small/']).sort());
      assertNoHalfWritten(dst, files);
    });
  });
}
