/**
 * The data timeout counts only the server's silence while the local side is ready for more: a
 * consumer or producer pausing for longer than `timeouts.data` does not kill the transfer, a silent
 * server still does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { DataTimeoutError, FtpReplyError } from '../../src/index.js';
import {
  assertFtpsError,
  closeDataOnClientFin,
  LIMIT,
  random,
  rejection,
  Sink,
  sleep,
  until,
  withServer,
} from './support.js';

const DATA_MS = 300;
const PAUSE_MS = 3 * DATA_MS + 100;
const TIMEOUTS = { connect: 2000, reply: 2000, data: DATA_MS };
const SIZE = 512 * 1024;

/** A sink that stops acknowledging writes for PAUSE_MS once, mid-way. */
class StallingSink extends Writable {
  readonly chunks: Buffer[] = [];
  private received = 0;
  private paused = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (!this.paused && this.received >= SIZE / 4) {
      this.paused = true;
      setTimeout(() => done(), PAUSE_MS);
    } else done();
  }
}

/** A source that gives half the payload, produces nothing for PAUSE_MS, then the rest. */
function stallingSource(payload: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield payload.subarray(0, SIZE / 2);
      await sleep(PAUSE_MS);
      yield payload.subarray(SIZE / 2);
    })(),
  );
}

for (const mode of ['explicit', 'plain'] as const) {
  test(`download into a sink that stalls for 3× timeouts.data succeeds byte-identical (${mode})`, LIMIT, async () => {
    const payload = random(SIZE);
    await withServer({ mode, files: { '/big.bin': payload } }, async ({ server, connect }) => {
      const client = await connect({ timeouts: TIMEOUTS });
      const sink = new StallingSink();
      await client.download('/big.bin', sink);
      assert.ok(Buffer.concat(sink.chunks).equals(payload));
      await until(() => server.openSockets() === 1, 2000, 'only the control connection left open');
      await client.close();
      await server.waitForIdle(2000);
    });
  });

  test(`upload from a source silent for 3× timeouts.data succeeds (${mode})`, LIMIT, async () => {
    const payload = random(SIZE);
    await withServer({ mode }, async ({ server, connect }) => {
      const client = await connect({ timeouts: TIMEOUTS });
      await client.upload(stallingSource(payload), '/up.bin');
      assert.ok(server.files.get('/up.bin')?.equals(payload));
      await until(() => server.openSockets() === 1, 2000, 'only the control connection left open');
      await client.close();
      await server.waitForIdle(2000);
    });
  });

  test(
    `upload to a server that stops reading (TCP backpressure) → fails with the data timeout, no hang (${mode})`,
    LIMIT,
    async () => {
      await withServer({ mode }, async ({ server, connect }) => {
        const client = await connect({ timeouts: TIMEOUTS });
        server.nextTransfer({ after: { bytes: 256 * 1024, action: 'stop-reading' } });
        // Far more than the socket buffers hold, so the writes back up while the server reads nothing.
        const err = await rejection(client.upload(random(64 * 1024 * 1024), '/up.bin'));
        const timeout = err instanceof DataTimeoutError ? err : (err as { cause?: unknown }).cause;
        assert.ok(
          timeout instanceof DataTimeoutError,
          `error: ${String(err)}, cause: ${String((err as { cause?: unknown }).cause)}`,
        );
        assert.equal(timeout.code, 'ERR_FTPS_DATA_TIMEOUT');
        assert.equal(server.files.get('/up.bin'), undefined);
        assert.equal(await client.pwd(), '/'); // still usable
      });
    },
  );

  test(`server silent mid-download with a ready sink → 426 caused by DataTimeoutError (${mode})`, LIMIT, async () => {
    const payload = random(SIZE);
    await withServer({ mode, files: { '/big.bin': payload } }, async ({ server, connect }) => {
      const client = await connect({ timeouts: TIMEOUTS });
      closeDataOnClientFin(server);
      server.nextTransfer({ after: { bytes: 64 * 1024, action: 'stall' } });
      const err = assertFtpsError(
        await rejection(client.download('/big.bin', new Sink())),
        FtpReplyError,
        'ERR_FTPS_REPLY',
      );
      assert.ok(err.cause instanceof DataTimeoutError, `cause: ${String(err.cause)}`);
      assert.equal(err.cause.code, 'ERR_FTPS_DATA_TIMEOUT');
      assert.equal(client.closed, false);
      await until(() => server.openSockets() === 1, 2000, 'only the control connection left open');
      await client.close();
      await server.waitForIdle(2000);
    });
  });
}
