/**
 * Resume after a killed connection (scripted server): the control or data connection dies in the
 * middle of a download / upload; a resumed transfer then yields a byte-identical file.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { faults } from '../helpers/fake-server.js';
import { random, rejection, Sink, withServer } from './support.js';

const SIZE = 2_000_000;
const HASH_FEATURES = [
  'EPSV',
  'PASV',
  'SIZE',
  'MDTM',
  'REST STREAM',
  'UTF8',
  'AUTH TLS',
  'PBSZ',
  'PROT',
  'HASH SHA-1*;SHA-256;MD5;CRC32',
];
let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'ftps-resume-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

for (const action of ['reset-control', 'reset', 'close'] as const) {
  test(`download killed (${action}) mid-transfer, then resume: byte-identical file, REST at the partial size`, async () => {
    const data = random(SIZE);
    const local = join(dir, `down-${action}.bin`);
    await withServer(
      { mode: 'explicit', features: HASH_FEATURES, files: { '/big.bin': data } },
      async ({ server, connect }) => {
        const first = await connect();
        // A plain download leaves nothing behind; a resumable one keeps its partial data by design.
        server.nextTransfer({ after: { bytes: 700_000, action } });
        await rejection(first.download('/big.bin', local));
        assert.equal(existsSync(local), false, 'a failed plain download leaves no file');
        const again = action === 'reset-control' ? await connect() : first;
        server.nextTransfer({ after: { bytes: 700_000, action } });
        await rejection(again.download('/big.bin', local, { resume: true }));
        const partial = statSync(local).size;
        assert.ok(partial < SIZE, `partial download is ${partial} bytes`);
        assert.ok(readFileSync(local).equals(data.subarray(0, partial)), 'the partial file is a prefix');

        const client = action === 'reset-control' ? await connect() : first;
        if (action === 'reset-control') assert.equal(again.closed, true);
        const events: number[] = [];
        const result = await client.download('/big.bin', local, {
          resume: true,
          verify: true,
          onProgress: (e) => events.push(e.bytes),
        });
        assert.equal(result.resumedFrom, partial);
        assert.equal(result.bytes, SIZE - partial);
        assert.equal(result.reply.code, 226);
        assert.deepEqual(result.verified, {
          size: true,
          hash: { algorithm: 'SHA-256', value: sha256(data), command: 'HASH' },
        });
        assert.ok(readFileSync(local).equals(data), 'resumed file equals the original');
        assert.equal(events.at(-1), SIZE, 'the final progress event is at the full size');
        if (partial > 0) assert.ok(server.commands.includes(`REST ${partial}`), server.commands.join(' | '));
      },
    );
  });
}

test('upload killed mid-transfer (control reset), then resume with REST + STOR: byte-identical on the server', async () => {
  const data = random(SIZE);
  const src = join(dir, 'up-src.bin');
  writeFileSync(src, data);
  await withServer(
    { mode: 'explicit', keepPartialUploads: true, features: HASH_FEATURES },
    async ({ server, connect }) => {
      const first = await connect();
      server.nextTransfer({ after: { bytes: 800_000, action: 'reset-control' } });
      await rejection(first.upload(src, '/up.bin'));
      const partial = server.files.get('/up.bin');
      assert.ok(
        partial !== undefined && partial.length > 0 && partial.length < SIZE,
        `partial upload: ${partial?.length}`,
      );
      assert.ok(data.subarray(0, partial.length).equals(partial));

      const client = await connect();
      const result = await client.upload(src, '/up.bin', { resume: true, verify: true });
      assert.equal(result.resumedFrom, partial.length);
      assert.equal(result.bytes, SIZE - partial.length);
      assert.equal(result.verified.size, true);
      assert.equal(result.verified.hash?.value, sha256(data));
      assert.ok(server.files.get('/up.bin')?.equals(data), 'resumed upload equals the original');
      const last = Math.max(...server.log.map((e) => e.connection));
      const second = server.log.filter((e) => e.connection === last).map((e) => e.line);
      const transfer = second.filter((l) => /^(REST|STOR|APPE) /.test(l));
      assert.deepEqual(transfer, [`REST ${partial.length}`, 'STOR /up.bin']);
    },
  );
});

test('upload resume uses APPE when FEAT has no REST STREAM, and when REST is refused', async () => {
  const data = random(SIZE);
  for (const variant of ['no-feature', 'rest-refused'] as const) {
    const features = variant === 'no-feature' ? HASH_FEATURES.filter((f) => f !== 'REST STREAM') : HASH_FEATURES;
    await withServer({ mode: 'explicit', keepPartialUploads: true, features }, async ({ server, connect }) => {
      const first = await connect();
      server.nextTransfer({ after: { bytes: 500_000, action: 'reset' } });
      await rejection(first.upload(data, '/up.bin'));
      const partial = server.files.get('/up.bin')?.length ?? 0;
      assert.ok(partial > 0 && partial < SIZE, `partial ${partial}`);
      if (variant === 'rest-refused') server.hook('REST', faults.reply('502 REST not implemented.'));
      const result = await first.upload(data, '/up.bin', { resume: true, verify: 'size' });
      assert.equal(result.resumedFrom, partial);
      assert.ok(server.files.get('/up.bin')?.equals(data), `${variant}: resumed upload equals the original`);
      assert.ok(server.commands.includes('APPE /up.bin'), server.commands.join(' | '));
      assert.deepEqual(result.verified, { size: true, hashSkipped: 'not asked for' });
    });
  }
});

test('download resume: REST refused → whole file again; local file larger than remote → start over; complete → no transfer', async () => {
  const data = random(300_000);
  await withServer({ mode: 'explicit', files: { '/f.bin': data } }, async ({ server, connect }) => {
    const client = await connect();
    const local = join(dir, 'variants.bin');

    writeFileSync(local, data.subarray(0, 1000));
    server.hook('REST', faults.reply('502 REST not implemented.'), { times: 1 });
    const refused = await client.download('/f.bin', local, { resume: true });
    assert.equal(refused.resumedFrom, 0);
    assert.ok(readFileSync(local).equals(data));

    writeFileSync(local, Buffer.concat([data, Buffer.from('junk')]));
    const larger = await client.download('/f.bin', local, { resume: true });
    assert.equal(larger.resumedFrom, 0);
    assert.ok(readFileSync(local).equals(data));

    const before = server.commands.filter((c) => c.startsWith('RETR')).length;
    const complete = await client.download('/f.bin', local, { resume: true, verify: 'size' });
    assert.equal(complete.bytes, 0);
    assert.equal(complete.resumedFrom, data.length);
    assert.equal(complete.verified.size, true);
    assert.equal(server.commands.filter((c) => c.startsWith('RETR')).length, before, 'no RETR for a complete file');
  });
});

test('resume needs a local path or Buffer: streams are refused before anything is sent', async () => {
  await withServer({ mode: 'explicit', files: { '/f.bin': 'x' } }, async ({ connect }) => {
    const client = await connect();
    await assert.rejects(client.download('/f.bin', new Sink(), { resume: true }), TypeError);
    const { Readable } = await import('node:stream');
    await assert.rejects(client.upload(Readable.from([Buffer.from('x')]), '/f.bin', { resume: true }), TypeError);
    assert.equal(await client.pwd(), '/');
  });
});

for (const channel of ['passive', 'active'] as const) {
  test(`a resumed download's REST goes out in the same write as the ${channel} channel's command`, async () => {
    const data = random(300_000);
    const local = join(dir, `rest-${channel}.bin`);
    await withServer({ mode: 'explicit', files: { '/f.bin': data } }, async ({ server, connect }) => {
      const client = await connect({ dataConnection: channel });
      const verb = channel === 'passive' ? 'EPSV' : 'EPRT';
      // What had arrived when the channel command was handled: a REST sent after its reply cannot be there yet.
      let next: string | undefined;
      server.hook(verb, (ctx) => {
        const lines = ctx.server.log.filter((e) => e.connection === ctx.connection).map((e) => e.line);
        next = lines[lines.findLastIndex((l) => l.startsWith(verb)) + 1];
        return 'default';
      });
      writeFileSync(local, data.subarray(0, 1000));
      const result = await client.download('/f.bin', local, { resume: true });
      assert.equal(result.resumedFrom, 1000);
      assert.ok(readFileSync(local).equals(data));
      assert.equal(next, 'REST 1000');
    });
  });
}

test('a REST the server took for a transfer that never started is undone: the next download is whole', async () => {
  const data = random(300_000);
  const local = join(dir, 'rest-undone.bin');
  await withServer({ mode: 'explicit', files: { '/f.bin': data } }, async ({ server, connect }) => {
    const client = await connect();
    // EPSV refused (transient): the REST written behind it was answered 350, and no RETR consumes it.
    server.hook('EPSV', faults.reply('425 Cannot open passive connection.'), { times: 1 });
    writeFileSync(local, data.subarray(0, 1000));
    await assert.rejects(client.download('/f.bin', local, { resume: true }), {
      code: 'ERR_FTPS_REPLY',
      replyCode: 425,
    });
    const sink = new Sink();
    await client.download('/f.bin', sink);
    assert.ok(sink.bytes.equals(data), 'from byte 0, not from the stale REST offset');
    assert.deepEqual(
      server.commands.filter((c) => c.startsWith('REST')),
      ['REST 1000', 'REST 0'],
    );
  });
});

test('a server without EPSV: the REST sent with it is sent again with PASV, and the resumed file is whole', async () => {
  const data = random(300_000);
  const local = join(dir, 'rest-pasv.bin');
  await withServer({ mode: 'explicit', epsv: false, files: { '/f.bin': data } }, async ({ server, connect }) => {
    const client = await connect();
    writeFileSync(local, data.subarray(0, 1000));
    const result = await client.download('/f.bin', local, { resume: true });
    assert.equal(result.resumedFrom, 1000);
    assert.ok(readFileSync(local).equals(data));
    const sent = server.commands.filter((c) => /^(EPSV|PASV|REST|RETR)/.test(c));
    assert.deepEqual(sent, ['EPSV', 'REST 1000', 'PASV', 'REST 1000', 'RETR /f.bin']);
    // Learnt: the next resumed download asks PASV at once.
    writeFileSync(local, data.subarray(0, 2000));
    await client.download('/f.bin', local, { resume: true });
    assert.ok(readFileSync(local).equals(data));
    assert.deepEqual(server.commands.filter((c) => /^(EPSV|PASV|REST|RETR)/.test(c)).slice(5), [
      'PASV',
      'REST 2000',
      'RETR /f.bin',
    ]);
  });
});
