/**
 * Verification, atomic uploads and progress against the scripted server: hashes over HASH and the
 * X-commands, a wrong hash or size detected as VerifyError, the temporary file of an atomic upload
 * removed on failure, progress throttled with a final event.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { FtpReplyError, VerifyError, type ProgressEvent } from '../../src/index.js';
import { faults } from '../helpers/fake-server.js';
import { assertFtpsError, random, rejection, Sink, withServer } from './support.js';

const BASE = ['EPSV', 'PASV', 'SIZE', 'MDTM', 'REST STREAM', 'UTF8', 'AUTH TLS', 'PBSZ', 'PROT'];
const hex = (algorithm: string, b: Buffer): string => createHash(algorithm).update(b).digest('hex');

test('verify with HASH: OPTS HASH selects SHA-256, upload and download hashes match', async () => {
  const data = random(1_000_003);
  await withServer(
    { mode: 'explicit', features: [...BASE, 'HASH SHA-1*;SHA-256;MD5;CRC32'] },
    async ({ server, connect }) => {
      const client = await connect();
      const up = await client.upload(data, '/v.bin', { verify: true });
      assert.deepEqual(up.verified, {
        size: true,
        hash: { algorithm: 'SHA-256', value: hex('sha256', data), command: 'HASH' },
      });
      const sink = new Sink();
      const down = await client.download('/v.bin', sink, { verify: true });
      assert.equal(down.verified.hash?.value, hex('sha256', data));
      assert.ok(sink.bytes.equals(data));
      // OPTS HASH once per connection; each check = SIZE + HASH.
      assert.deepEqual(
        server.commands.filter((c) => /^(OPTS HASH|HASH|SIZE)/.test(c)),
        ['OPTS HASH SHA-256', 'SIZE /v.bin', 'HASH /v.bin', 'SIZE /v.bin', 'HASH /v.bin'],
      );
    },
  );
});

for (const [feature, algorithm, node] of [
  ['XSHA256', 'SHA-256', 'sha256'],
  ['XSHA1', 'SHA-1', 'sha1'],
  ['XMD5', 'MD5', 'md5'],
  ['XCRC', 'CRC32', 'crc32'],
] as const) {
  test(`verify with ${feature} when it is the only hash command offered`, async () => {
    const data = random(200_000);
    await withServer({ mode: 'explicit', features: [...BASE, feature] }, async ({ connect }) => {
      const client = await connect();
      const result = await client.upload(data, '/x.bin', { verify: true });
      const expected = node === 'crc32' ? (crc32(data) >>> 0).toString(16).padStart(8, '0') : hex(node, data);
      assert.deepEqual(result.verified.hash, { algorithm, value: expected, command: feature });
    });
  });
}

test('a wrong hash from the server → VerifyError with both values; client usable', async () => {
  const data = random(100_000);
  await withServer(
    { mode: 'explicit', features: [...BASE, 'HASH SHA-256*'], files: { '/f.bin': data } },
    async ({ server, connect }) => {
      const client = await connect();
      const wrong = 'ab'.repeat(32);
      server.hook('HASH', faults.reply(`213 SHA-256 0-${data.length} ${wrong} /f.bin`), { times: 1 });
      const err = assertFtpsError(
        await rejection(client.download('/f.bin', new Sink(), { verify: true })),
        VerifyError,
        'ERR_FTPS_VERIFY',
      );
      assert.equal(err.algorithm, 'SHA-256');
      assert.equal(err.expected, hex('sha256', data));
      assert.equal(err.actual, wrong);
      assert.equal(err.path, '/f.bin');
      assert.equal(await client.pwd(), '/');
      // The same through an X-command reply
      server.hook('HASH', faults.reply('500 nope'), { times: 1 });
      const skipped = await client.download('/f.bin', new Sink(), { verify: true });
      assert.equal(skipped.verified.size, true);
      assert.match(skipped.verified.hashSkipped ?? '', /HASH refused: 500/);
    },
  );
});

test('download to a path failing verify: nothing under the final name (an existing file kept), no temporary file left', async () => {
  const data = random(100_000);
  const dir = mkdtempSync(join(tmpdir(), 'ftps-verify-'));
  try {
    await withServer(
      { mode: 'explicit', features: [...BASE, 'HASH SHA-256*'], files: { '/f.bin': data } },
      async ({ server, connect }) => {
        const client = await connect();
        const unhook = server.hook('HASH', faults.reply(`213 SHA-256 0-${data.length} ${'ab'.repeat(32)} /f.bin`));
        const fresh = join(dir, 'new.bin');
        assertFtpsError(
          await rejection(client.download('/f.bin', fresh, { verify: true })),
          VerifyError,
          'ERR_FTPS_VERIFY',
        );
        assert.equal(existsSync(fresh), false, 'a download that failed verification must not appear under its name');
        const old = join(dir, 'old.bin');
        writeFileSync(old, 'previous content');
        assertFtpsError(
          await rejection(client.download('/f.bin', old, { verify: true })),
          VerifyError,
          'ERR_FTPS_VERIFY',
        );
        assert.equal(readFileSync(old, 'utf8'), 'previous content');
        assert.deepEqual(readdirSync(dir), ['old.bin']);
        unhook();
        await client.download('/f.bin', fresh, { verify: true }); // the right hash: passes and commits
        assert.ok(readFileSync(fresh).equals(data));
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a wrong size → VerifyError(size); no hash offered → size only, hashSkipped says why', async () => {
  const data = random(50_000);
  await withServer({ mode: 'explicit', files: { '/f.bin': data } }, async ({ server, connect }) => {
    const client = await connect();
    const ok = await client.download('/f.bin', new Sink(), { verify: true });
    assert.equal(ok.verified.size, true);
    assert.equal(ok.verified.hash, undefined);
    assert.match(ok.verified.hashSkipped ?? '', /no usable hash command/);
    server.hook('SIZE', faults.reply('213 49999'), { times: 1 });
    const err = assertFtpsError(
      await rejection(client.upload(data, '/g.bin', { verify: 'size' })),
      VerifyError,
      'ERR_FTPS_VERIFY',
    );
    assert.equal(err.algorithm, 'size');
    assert.equal(err.expected, data.length);
    assert.equal(err.actual, 49_999);
    server.hook('SIZE', faults.reply('550 Could not get file size.'), { times: 1 });
    const noSize = await client.upload(data, '/g.bin', { verify: 'size' });
    assert.equal(noSize.verified.size, 'skipped');
  });
});

test('atomic upload: temporary name, rename over an existing target (DELE fallback), no temp left', async () => {
  const old = Buffer.from('old content');
  const data = random(400_000);
  await withServer({ mode: 'explicit', files: { '/dir/target.bin': old } }, async ({ server, connect }) => {
    const client = await connect();
    const result = await client.upload(data, '/dir/target.bin', { atomic: true, verify: true });
    assert.equal(result.reply.code, 226);
    assert.ok(server.files.get('/dir/target.bin')?.equals(data));
    assert.deepEqual([...server.files.keys()], ['/dir/target.bin']);
    const stor = server.commands.find((c) => c.startsWith('STOR '));
    assert.match(stor ?? '', /^STOR \/dir\/\.target\.bin\.[0-9a-f]{8}\.part$/);
    // The fake server refuses RNTO onto an existing file (like Windows servers): DELE, then rename again.
    assert.deepEqual(
      server.commands.filter((c) => /^(RNFR|RNTO|DELE)/.test(c)).map((c) => c.split(' ')[0]),
      ['RNFR', 'RNTO', 'DELE', 'RNFR', 'RNTO'],
    );
  });
});

test('atomic upload failing mid-transfer or on verification: target untouched, temporary file removed', async () => {
  const old = Buffer.from('old content');
  const data = random(600_000);
  await withServer(
    { mode: 'explicit', keepPartialUploads: true, features: [...BASE, 'XSHA256'], files: { '/t.bin': old } },
    async ({ server, connect }) => {
      const client = await connect();
      server.nextTransfer({ after: { bytes: 200_000, action: 'reset' } });
      assertFtpsError(
        await rejection(client.upload(data, '/t.bin', { atomic: true })),
        FtpReplyError,
        'ERR_FTPS_REPLY',
      );
      assert.ok(server.files.get('/t.bin')?.equals(old), 'target untouched');
      assert.deepEqual([...server.files.keys()], ['/t.bin'], 'temporary file removed');

      server.hook('XSHA256', faults.reply(`250 ${'0'.repeat(64)}`), { times: 1 });
      assertFtpsError(
        await rejection(client.upload(data, '/t.bin', { atomic: true, verify: true })),
        VerifyError,
        'ERR_FTPS_VERIFY',
      );
      assert.ok(server.files.get('/t.bin')?.equals(old), 'target untouched after a failed verification');
      assert.deepEqual([...server.files.keys()], ['/t.bin']);
      assert.equal(server.commands.filter((c) => c.startsWith('RNFR')).length, 0, 'never renamed');
    },
  );
});

test('atomic + resume: the partial temporary file is kept and continued', async () => {
  const data = random(1_000_000);
  await withServer({ mode: 'explicit', keepPartialUploads: true }, async ({ server, connect }) => {
    const client = await connect();
    server.nextTransfer({ after: { bytes: 300_000, action: 'reset' } });
    await rejection(client.upload(data, '/r.bin', { atomic: true, resume: true }));
    const partial = server.files.get('/.r.bin.part');
    assert.ok(partial !== undefined && partial.length > 0, 'partial temp kept');
    assert.equal(server.files.has('/r.bin'), false);
    const result = await client.upload(data, '/r.bin', { atomic: true, resume: true, verify: true });
    assert.equal(result.resumedFrom, partial.length);
    assert.ok(server.files.get('/r.bin')?.equals(data));
    assert.deepEqual([...server.files.keys()], ['/r.bin']);
  });
});

test('progress: throttled events, total from SIZE / the buffer, monotonic, one final event with done', async () => {
  const data = random(4_000_000);
  await withServer({ mode: 'explicit', files: { '/p.bin': data } }, async ({ connect }) => {
    const client = await connect();
    for (const direction of ['download', 'upload'] as const) {
      const events: ProgressEvent[] = [];
      const started = performance.now();
      if (direction === 'download') await client.download('/p.bin', new Sink(), { onProgress: (e) => events.push(e) });
      else await client.upload(data, '/p2.bin', { onProgress: (e) => events.push(e) });
      const elapsed = performance.now() - started;
      const last = events.at(-1);
      assert.ok(last !== undefined);
      assert.deepEqual(
        { ...last, bytesPerSecond: 0 },
        {
          name: direction === 'download' ? '/p.bin' : '/p2.bin',
          direction,
          bytes: data.length,
          total: data.length,
          resumedFrom: 0,
          bytesPerSecond: 0,
          done: true,
        },
      );
      assert.equal(events.filter((e) => e.done).length, 1);
      assert.ok(events.length <= elapsed / 100 + 2, `${events.length} events in ${Math.round(elapsed)} ms`);
      for (let i = 1; i < events.length; i++) assert.ok((events[i]?.bytes ?? 0) >= (events[i - 1]?.bytes ?? 0));
      assert.ok(last.bytesPerSecond > 0);
    }
    // A listener that throws does not break the transfer.
    const r = await client.download('/p.bin', new Sink(), {
      onProgress: () => {
        throw new Error('listener bug');
      },
    });
    assert.equal(r.bytes, data.length);
  });
});
