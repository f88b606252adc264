// Dotfiles against real servers. vsftpd has no MLSD and hides dotfiles from a bare LIST: the
// client sends `LIST -a`. Dotfiles at several depths must show in list, listIter, trees and mirror
// (upload, download, delete both ways), and a second mirror run transfers nothing.
// In CI (FTPS_INTEROP_REQUIRED=1) a missing server is a failure, never a skip.
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPool, FtpsClient, type FtpsPool, type TreeResult } from '../../src/index.js';
import { listTree } from '../helpers/local-tree.js';
import { startRealServer, type RealServer, type ServerKind } from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

const KINDS: ServerKind[] = ['vsftpd', 'proftpd', 'pureftpd'];

const TREE: Record<string, string> = {
  '.env': 'SECRET=1\n',
  '.htaccess': 'Deny from all\n',
  'index.html': '<p>hi</p>\n',
  'a/.hidden.txt': 'hidden at depth 1\n',
  'a/visible.txt': 'visible\n',
  'a/.dotdir/b/.deep': 'hidden at depth 3\n',
  '.config/app/.rc': 'rc\n',
};

function writeTree(root: string): void {
  for (const [rel, data] of Object.entries(TREE)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), data);
  }
}

function failures(result: TreeResult): string[] {
  return result.items.filter((i) => i.status === 'failed').map((i) => `${i.path}: ${i.reason ?? ''}`);
}

function copied(result: TreeResult): string[] {
  return result.items
    .filter((i) => i.action === 'copy' && i.status === 'done')
    .map((i) => i.path)
    .sort();
}

function assertSameTree(actual: string, expected: string): void {
  const paths = listTree(expected);
  assert.deepEqual(listTree(actual), paths);
  for (const p of paths)
    if (!p.endsWith('/'))
      assert.equal(readFileSync(join(actual, p), 'utf8'), readFileSync(join(expected, p), 'utf8'), p);
}

for (const kind of KINDS) {
  describe(`${kind}: dotfiles (explicit, TLS 1.3)`, { skip: skipReason(kind) }, () => {
    let server: RealServer;
    let pool: FtpsPool;
    let local: string;
    before(async () => {
      server = await startRealServer({ kind, mode: 'explicit', tlsVersion: '1.3' });
      pool = createPool(clientOptions(server), { size: 2 });
      local = mkdtempSync(join(tmpdir(), `ftps-dot-${kind}-`));
    });
    after(async () => {
      await pool?.close();
      await server?.stop();
      if (local !== undefined) rmSync(local, { recursive: true, force: true });
    });

    it('list and listIter show dotfiles', async () => {
      const { uid, gid } = statSync(server.root);
      const dir = join(server.root, 'listed');
      mkdirSync(join(dir, '.sub'), { recursive: true });
      writeFileSync(join(dir, '.env'), 'x');
      writeFileSync(join(dir, 'plain'), 'y');
      for (const p of [dir, join(dir, '.sub'), join(dir, '.env'), join(dir, 'plain')]) chownSync(p, uid, gid);
      const client = await FtpsClient.connect(clientOptions(server));
      try {
        assert.deepEqual((await client.list('/listed')).map((e) => e.name).sort(), ['.env', '.sub', 'plain']);
        const names: string[] = [];
        for await (const e of client.listIter('/listed')) names.push(e.name);
        assert.deepEqual(names.sort(), ['.env', '.sub', 'plain']);
      } finally {
        await client.close();
      }
    });

    it('mirror upload with delete: dotfiles copied, second run transfers nothing, remote extra dotfiles deleted', async () => {
      const src = join(local, 'up');
      writeTree(src);
      const first = await pool.mirror({ direction: 'upload', local: src, remote: '/site' });
      assert.deepEqual(failures(first), []);
      assert.deepEqual(copied(first), Object.keys(TREE).sort());
      assertSameTree(join(server.root, 'site'), src);

      const second = await pool.mirror({ direction: 'upload', local: src, remote: '/site', delete: true });
      assert.deepEqual(failures(second), []);
      assert.deepEqual(copied(second), [], 'second run copies nothing');
      assert.deepEqual(second.plan.delete, []);

      rmSync(join(src, '.htaccess'));
      rmSync(join(src, 'a/.dotdir'), { recursive: true });
      const third = await pool.mirror({ direction: 'upload', local: src, remote: '/site', delete: true });
      assert.deepEqual(failures(third), []);
      assert.deepEqual(copied(third), []);
      assert.deepEqual(third.plan.delete.sort(), ['.htaccess', 'a/.dotdir', 'a/.dotdir/b', 'a/.dotdir/b/.deep']);
      assertSameTree(join(server.root, 'site'), src);
    });

    it('downloadDir and mirror download with delete: dotfiles fetched, second run transfers nothing, local extra dotfiles deleted', async () => {
      const dst = join(local, 'down');
      const down = await pool.downloadDir('/site', dst);
      assert.deepEqual(failures(down), []);
      assertSameTree(dst, join(server.root, 'site'));

      writeFileSync(join(dst, '.stale'), 'not on the server');
      mkdirSync(join(dst, 'a/.old'), { recursive: true });
      writeFileSync(join(dst, 'a/.old/.x'), 'x');
      const mirrored = await pool.mirror({ direction: 'download', remote: '/site', local: dst, delete: true });
      assert.deepEqual(failures(mirrored), []);
      assert.deepEqual(copied(mirrored), [], 'everything already there');
      assert.deepEqual(mirrored.plan.delete.sort(), ['.stale', 'a/.old', 'a/.old/.x']);
      assertSameTree(dst, join(server.root, 'site'));

      const again = await pool.mirror({ direction: 'download', remote: '/site', local: dst, delete: true });
      assert.deepEqual(copied(again), []);
      assert.deepEqual(again.plan.delete, []);
    });

    it('removeDir recursive removes dotfiles too', async () => {
      const client = await FtpsClient.connect(clientOptions(server));
      try {
        await client.removeDir('/site', { recursive: true });
        assert.equal(await client.exists('/site'), false);
      } finally {
        await client.close();
      }
    });
  });
}
