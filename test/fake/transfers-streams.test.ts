/**
 * createReadStream / createWriteStream against the scripted server: content, start/append, end
 * and finish only after the 226, errors from either side, the connection usable afterwards, one
 * transfer at a time through the queue, and backpressure: a slow reader keeps buffered bytes flat.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { test } from 'node:test';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FtpReplyError, FtpsClient } from '../../src/index.js';
import { ServerProcess } from '../helpers/server-process.js';
import { assertFtpsError, random, rejection, Sink, sleep, until, withServer } from './support.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('createReadStream: whole file and from an offset (REST); result resolves; client usable', async () => {
  const data = random(1_500_000);
  await withServer({ mode: 'explicit', files: { '/s.bin': data } }, async ({ server, connect }) => {
    const client = await connect();
    const stream = client.createReadStream('/s.bin');
    assert.ok((await readAll(stream)).equals(data));
    const result = await stream.result;
    assert.equal(result.bytes, data.length);
    assert.equal(result.reply.code, 226);
    assert.equal(result.tlsSessionReused, true);

    const tail = client.createReadStream('/s.bin', { start: 1_000_000 });
    assert.ok((await readAll(tail)).equals(data.subarray(1_000_000)));
    assert.equal((await tail.result).resumedFrom, 1_000_000);
    assert.ok(server.commands.includes('REST 1000000'));
    assert.equal(await client.pwd(), '/');
  });
});

test('createWriteStream: STOR, APPE with append, REST + STOR with start; finish after the 226', async () => {
  const data = random(1_200_000);
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    const ws = client.createWriteStream('/w.bin');
    let finishedAt = -1;
    ws.on('finish', () => (finishedAt = server.commands.length));
    await pipeline(Readable.from([data.subarray(0, 600_000), data.subarray(600_000)]), ws);
    assert.ok(server.files.get('/w.bin')?.equals(data));
    assert.equal((await ws.result).bytes, data.length);
    assert.ok(finishedAt > 0);

    const more = Buffer.from('appended');
    await pipeline(Readable.from([more]), client.createWriteStream('/w.bin', { append: true }));
    assert.ok(server.files.get('/w.bin')?.equals(Buffer.concat([data, more])));

    const patch = Buffer.from('PATCH');
    const restWs = client.createWriteStream('/w.bin', { start: 10 });
    await pipeline(Readable.from([patch]), restWs);
    assert.ok(server.files.get('/w.bin')?.equals(Buffer.concat([data.subarray(0, 10), patch])));
    assert.equal((await restWs.result).resumedFrom, 10);
    assert.throws(() => client.createWriteStream('/w.bin', { append: true, start: 5 }), TypeError);
    assert.throws(() => client.createReadStream('/w.bin', { start: -1 }), RangeError);
  });
});

test('a final 451 after all the data: the read stream errors instead of ending, the write stream instead of finishing', async () => {
  const data = random(300_000);
  await withServer({ mode: 'explicit', files: { '/f.bin': data } }, async ({ server, connect }) => {
    const client = await connect();
    server.nextTransfer({ finalReply: '451 Local error in processing.' });
    const rs = client.createReadStream('/f.bin');
    let ended = false;
    rs.on('end', () => (ended = true));
    const err = assertFtpsError(await rejection(readAll(rs)), FtpReplyError, 'ERR_FTPS_REPLY');
    assert.equal(err.replyCode, 451);
    assert.equal(ended, false);

    server.nextTransfer({ finalReply: '451 Local error in processing.' });
    const ws = client.createWriteStream('/g.bin');
    let finished = false;
    ws.on('finish', () => (finished = true));
    const werr = assertFtpsError(await rejection(pipeline(Readable.from([data]), ws)), FtpReplyError, 'ERR_FTPS_REPLY');
    assert.equal(werr.replyCode, 451);
    assert.equal(finished, false);
    assert.equal(await client.pwd(), '/');
  });
});

test('errors from either side: data reset mid-stream reaches the stream; the consumer destroying it aborts the transfer', async () => {
  const data = random(2_000_000);
  await withServer({ mode: 'explicit', files: { '/f.bin': data } }, async ({ server, connect }) => {
    const client = await connect();
    server.nextTransfer({ after: { bytes: 500_000, action: 'reset' } });
    assertFtpsError(await rejection(readAll(client.createReadStream('/f.bin'))), FtpReplyError, 'ERR_FTPS_REPLY');

    server.nextTransfer({ after: { bytes: 500_000, action: 'reset' } });
    const ws = client.createWriteStream('/up.bin');
    assertFtpsError(await rejection(pipeline(Readable.from([data]), ws)), FtpReplyError, 'ERR_FTPS_REPLY');

    // Consumer side: read a little, then destroy; the queued download after it still works.
    const rs = client.createReadStream('/f.bin');
    const next = client.download('/f.bin', new Sink());
    await once(rs, 'readable');
    rs.destroy();
    await assert.rejects(rs.result);
    assert.equal((await next).bytes, data.length);

    // Producer side: destroy the upload stream with an error; nothing half-written is confirmed.
    const up = client.createWriteStream('/half.bin');
    const upError = once(up, 'error');
    up.write(data.subarray(0, 100_000));
    await sleep(50);
    up.destroy(new Error('producer failed'));
    await assert.rejects(up.result, /producer failed/);
    assert.match(String((await upError)[0]), /producer failed/);
    assert.equal(server.files.has('/half.bin'), false, 'no confirmed partial file');
    assert.equal(await client.pwd(), '/');
    assert.equal(client.closed, false);
  });
});

test('streams hold the queue slot: concurrent streams and calls run one after another, in order', async () => {
  const a = random(400_000);
  const b = random(300_000);
  await withServer({ mode: 'explicit', files: { '/a.bin': a, '/b.bin': b } }, async ({ server, connect }) => {
    const client = await connect();
    const sa = client.createReadStream('/a.bin');
    const sb = client.createReadStream('/b.bin');
    const pwd = client.pwd();
    const [ra, rb] = await Promise.all([readAll(sa), readAll(sb)]);
    assert.ok(ra.equals(a) && rb.equals(b));
    assert.equal(await pwd, '/');
    const order = server.commands.filter((c) => /^(RETR|PWD)/.test(c));
    assert.deepEqual(order, ['RETR /a.bin', 'RETR /b.bin', 'PWD']);
  });
});

test('a slow reader keeps memory flat: bytes received stop growing while the consumer pauses', async () => {
  const size = 48 * 1024 * 1024;
  // The server runs in a child process, so this process's ArrayBuffer memory is the client's alone
  // (in-process, the server's file and write buffers counted too: 17 MB once on Node 24).
  await using server = await ServerProcess.start({ mode: 'explicit', randomFiles: { '/huge.bin': size } });
  const client = await FtpsClient.connect({
    ...server.connectOptions,
    timeouts: { connect: 5000, reply: 5000, data: 5000 },
  });
  try {
    // Bytes pulled off the data socket (progress sees every chunk as it arrives).
    let pulled = 0;
    const rs = client.createReadStream('/huge.bin', { onProgress: (e) => (pulled = e.bytes) });
    const baseline = process.memoryUsage();
    let consumed = 0;
    const hash = createHash('sha256');
    const sink = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _e, cb) {
        consumed += chunk.length;
        hash.update(chunk);
        // Slow: the first 2 MiB normally, then a long pause, then fast.
        if (consumed > 2 * 1024 * 1024 && consumed - chunk.length <= 2 * 1024 * 1024) setTimeout(cb, 1500);
        else cb();
      },
    });
    const done = pipeline(rs, sink);
    await until(() => consumed > 2 * 1024 * 1024, 5000, 'the first 2 MiB');
    let maxBuffered = 0;
    let maxArrayBuffers = 0;
    const at = consumed;
    for (let i = 0; i < 12; i++) {
      await sleep(100);
      maxBuffered = Math.max(maxBuffered, rs.readableLength + sink.writableLength);
      maxArrayBuffers = Math.max(maxArrayBuffers, process.memoryUsage().arrayBuffers);
    }
    assert.equal(consumed, at, 'the consumer was paused');
    const pulledWhilePaused = pulled;
    await done;
    assert.equal(consumed, size);
    assert.equal(hash.digest('hex'), server.sha256['/huge.bin'], 'content');
    assert.equal((await rs.result).bytes, size);
    // Without backpressure the whole 48 MiB would sit in the stream within these 1.2 s.
    assert.ok(maxBuffered <= 512 * 1024, `buffered in the streams while paused: ${maxBuffered}`);
    assert.ok(
      pulledWhilePaused < 16 * 1024 * 1024,
      `pulled off the socket by the end of the pause: ${pulledWhilePaused}`,
    );
    // The client's own memory: a client that buffered the file would hold ~46 MiB more here.
    const grown = maxArrayBuffers - baseline.arrayBuffers;
    assert.ok(grown < 16 * 1024 * 1024, `ArrayBuffer memory grew by ${grown} bytes while paused`);
  } finally {
    await client.close();
  }
});
