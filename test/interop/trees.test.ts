// Folder trees over a pool against real servers (vsftpd: LIST only, no MLSD; proftpd and pure-ftpd:
// MLSD): nested folders, unicode names, empty folders and files; a second mirror run copies nothing
// in both directions; a pool of 4 against a server allowing 2 connections per client finishes.
// In CI (FTPS_INTEROP_REQUIRED=1) a missing server is a failure, never a skip.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPool, type FtpsPool, type TreeResult } from '../../src/index.js';
import { startRealServer, type RealServer, type ServerKind } from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';
import { listTree } from '../helpers/local-tree.js';

const KINDS: ServerKind[] = ['vsftpd', 'proftpd', 'pureftpd'];

const TREE: Record<string, Buffer> = {
  'top.txt': Buffer.from('top level\n'),
  'empty-file.txt': Buffer.alloc(0),
  'docs/readme.md': Buffer.from('# readme\n'),
  'docs/deeper/deepest/data.bin': randomBytes(150_000),
  'ünïcødé/日本語 ファイル.txt': Buffer.from('ユニコード ✓\n'),
  'ünïcødé/with space/ça va.txt': Buffer.from('ça va\n'),
  'many/a.bin': randomBytes(4096),
  'many/b.bin': randomBytes(4096),
  'many/c.bin': randomBytes(4096),
  'many/d.bin': randomBytes(4096),
};
const EMPTY_DIRS = ['empty', 'docs/empty-inside', 'ünïcødé/leer'];

function writeTree(root: string): void {
  for (const [rel, data] of Object.entries(TREE)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), data);
  }
  for (const d of EMPTY_DIRS) mkdirSync(join(root, d), { recursive: true });
}

function assertSameTree(actual: string, expected: string): void {
  const paths = listTree(expected);
  assert.deepEqual(listTree(actual), paths);
  for (const p of paths)
    if (!p.endsWith('/')) assert.ok(readFileSync(join(actual, p)).equals(readFileSync(join(expected, p))), p);
}

function failures(result: TreeResult): string[] {
  return result.items.filter((i) => i.status === 'failed').map((i) => `${i.path}: ${i.reason ?? ''}`);
}

function copied(result: TreeResult): string[] {
  return result.items.filter((i) => i.action === 'copy' && i.status === 'done').map((i) => i.path);
}

for (const kind of KINDS) {
  describe(`${kind}: trees over a pool of 3 (explicit, TLS 1.3)`, { skip: skipReason(kind) }, () => {
    let server: RealServer;
    let pool: FtpsPool;
    let local: string;
    before(async () => {
      server = await startRealServer({ kind, mode: 'explicit', tlsVersion: '1.3' });
      pool = createPool(clientOptions(server), { size: 3 });
      local = mkdtempSync(join(tmpdir(), `ftps-trees-${kind}-`));
    });
    after(async () => {
      await pool?.close();
      await server?.stop();
      if (local !== undefined) rmSync(local, { recursive: true, force: true });
    });

    it('uploadDir then downloadDir: nested folders, unicode names, empty folders and files', async () => {
      const src = join(local, 'src');
      writeTree(src);
      const up = await pool.uploadDir(src, '/tree');
      assert.deepEqual(failures(up), []);
      assert.equal(up.files.copied, Object.keys(TREE).length);
      assertSameTree(join(server.root, 'tree'), src);

      const back = join(local, 'back');
      const down = await pool.downloadDir('/tree', back);
      assert.deepEqual(failures(down), []);
      assert.equal(down.files.copied, Object.keys(TREE).length);
      assert.equal(down.bytes.done, down.bytes.total);
      assertSameTree(back, src);
    });

    it('mirror upload: the second run transfers nothing, a changed file is sent again, delete removes extras', async () => {
      const src = join(local, 'mirror-up');
      writeTree(src);
      const first = await pool.mirror({ direction: 'upload', local: src, remote: '/mirror-up' });
      assert.deepEqual(failures(first), []);
      assert.equal(first.files.copied, Object.keys(TREE).length);
      const second = await pool.mirror({ direction: 'upload', local: src, remote: '/mirror-up', delete: true });
      assert.deepEqual(failures(second), []);
      assert.deepEqual(copied(second), [], 'second run copies nothing');
      assert.deepEqual(second.plan.delete, []);
      assert.equal(second.files.upToDate, Object.keys(TREE).length);

      writeFileSync(join(src, 'docs/readme.md'), '# readme, longer now\n');
      rmSync(join(src, 'many/d.bin'));
      const third = await pool.mirror({ direction: 'upload', local: src, remote: '/mirror-up', delete: true });
      assert.deepEqual(failures(third), []);
      assert.deepEqual(copied(third), ['docs/readme.md']);
      assert.deepEqual(third.plan.delete, ['many/d.bin']);
      assertSameTree(join(server.root, 'mirror-up'), src);
    });

    it('mirror download: the second run transfers nothing', async () => {
      const dst = join(local, 'mirror-down');
      const first = await pool.mirror({ direction: 'download', remote: '/tree', local: dst, delete: true });
      assert.deepEqual(failures(first), []);
      assert.equal(first.files.copied, Object.keys(TREE).length);
      const second = await pool.mirror({ direction: 'download', remote: '/tree', local: dst, delete: true });
      assert.deepEqual(failures(second), []);
      assert.deepEqual(copied(second), [], 'second run copies nothing');
      assert.deepEqual(second.plan.delete, []);
      assertSameTree(dst, join(server.root, 'tree'));
    });

    it('dryRun plans without changing anything', async () => {
      const plan = await pool.mirror({
        direction: 'download',
        remote: '/tree',
        local: join(local, 'never'),
        dryRun: true,
      });
      assert.equal(plan.plan.copy.length, Object.keys(TREE).length);
      assert.throws(() => readdirSync(join(local, 'never')), /ENOENT/);
    });
  });

  describe(`${kind}: a pool of 4 against a limit of 2 connections per client`, { skip: skipReason(kind) }, () => {
    it('shrinks to 2 and finishes every transfer', async () => {
      const server = await startRealServer({ kind, mode: 'explicit', tlsVersion: '1.3', maxPerClient: 2 });
      const pool = createPool(clientOptions(server), { size: 4 });
      const src = mkdtempSync(join(tmpdir(), `ftps-limit-${kind}-`));
      try {
        for (let i = 0; i < 24; i++) writeFileSync(join(src, `f${i}.bin`), randomBytes(8192 + i));
        const up = await pool.uploadDir(src, '/limited');
        assert.deepEqual(failures(up), []);
        const down = await pool.downloadDir('/limited', join(src, 'back'));
        assert.deepEqual(failures(down), []);
        for (let i = 0; i < 24; i++)
          assert.ok(readFileSync(join(src, 'back', `f${i}.bin`)).equals(readFileSync(join(src, `f${i}.bin`))));
        assert.equal(pool.stats().size, 2);
        assert.ok(pool.stats().open <= 2);
      } finally {
        await pool.close();
        await server.stop();
        rmSync(src, { recursive: true, force: true });
      }
    });
  });
}
