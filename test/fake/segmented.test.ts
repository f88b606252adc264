// Segmented download (pool.download with `segments`) against the scripted server: ranges fetched
// with REST on connections of their own and written in place, the fallbacks to one stream (small
// file, REST refused), a range failing, abort, resume per range after an interrupted run, verify.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import diagnostics_channel from 'node:diagnostics_channel';
import { createHash } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  OperationTimeoutError,
  TruncatedTransferError,
  VerifyError,
  createPool,
  type FtpsPool,
  type ProgressEvent,
} from '../../src/index.js';
import { DEFAULT_FEATURES, faults, type FakeServerOptions, type HookContext } from '../helpers/fake-server.js';
import {
  FAST,
  LIMIT,
  Sink,
  assertFtpsError,
  closeDataOnClientFin,
  optionsFor,
  random,
  rejection,
  until,
  withServer,
  type Harness,
} from './support.js';

const MiB = 1024 * 1024;
const SIZE = 5 * MiB + 123; // four ranges of ~1.25 MiB
const DATA = random(SIZE);
const HASH_FEATURES = [...DEFAULT_FEATURES, 'HASH SHA-256*'];
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'ftps-segments-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh empty folder for one test: what is left in it afterwards is what the download left. */
function folder(): string {
  return mkdtempSync(join(dir, 'run-'));
}

async function withPool(
  opts: Partial<FakeServerOptions>,
  size: number,
  fn: (h: Harness, pool: FtpsPool) => Promise<void>,
  retries = 0,
): Promise<void> {
  await withServer({ mode: 'explicit', files: { '/big.bin': DATA }, ...opts }, async (h) => {
    const pool = createPool(optionsFor(h.server), { size, retries, retryDelayMs: 10 });
    try {
      await fn(h, pool);
      // Every connection is still in step: as many commands at once as the pool has connections.
      const sizes = await Promise.all(Array.from({ length: size }, () => pool.size('/big.bin')));
      assert.deepEqual(sizes, Array(size).fill(SIZE));
    } finally {
      await pool.close();
    }
  });
}

/** REST offsets the server was sent, sorted. */
function restOffsets(h: Harness): number[] {
  return h.server.commands
    .filter((c) => c.startsWith('REST '))
    .map((c) => Number(c.slice(5)))
    .sort((a, b) => a - b);
}

/** A RETR hook that applies `fault` to the range starting at `offset` (once), default for the others. */
function faultAt(
  offset: number,
  fault: Parameters<HookContext['next']>[0],
): (ctx: HookContext) => Promise<void> | 'default' {
  let done = false;
  return (ctx) => {
    if (done || ctx.state.rest !== offset) return 'default';
    done = true;
    return ctx.next(fault);
  };
}

/** Counts RETR transfers started and ended (diagnostics channels) while `fn` runs. */
async function countingTransfers<T>(fn: (counts: { started: number; ended: number }) => Promise<T>): Promise<T> {
  const counts = { started: 0, ended: 0 };
  const onStart = (m: unknown): void =>
    void ((m as { command: string }).command.startsWith('RETR') && counts.started++);
  const onEnd = (m: unknown): void => void ((m as { command: string }).command.startsWith('RETR') && counts.ended++);
  diagnostics_channel.subscribe('ftps-client:transfer:start', onStart);
  diagnostics_channel.subscribe('ftps-client:transfer:end', onEnd);
  try {
    return await fn(counts);
  } finally {
    diagnostics_channel.unsubscribe('ftps-client:transfer:start', onStart);
    diagnostics_channel.unsubscribe('ftps-client:transfer:end', onEnd);
  }
}

describe('segmented download', LIMIT, () => {
  it('fetches 4 ranges with REST on 4 connections, written in place: byte-identical, one progress sum', async () => {
    await withPool({}, 4, async (h, pool) => {
      const d = folder();
      const target = join(d, 'big.bin');
      const events: ProgressEvent[] = [];
      const result = await pool.download('/big.bin', target, { segments: 4, onProgress: (e) => events.push(e) });
      assert.ok(readFileSync(target).equals(DATA), 'the file is byte-identical');
      assert.deepEqual(readdirSync(d), ['big.bin'], 'no temporary file is left');
      assert.equal(result.segments, 4);
      assert.equal(result.bytes, SIZE);
      assert.equal(result.resumedFrom, 0);
      assert.equal(result.tlsSessionReused, true);
      // Ranges of at least MIN_SEGMENT_BYTES, the first without REST.
      const quarter = Math.floor(SIZE / 4);
      assert.deepEqual(restOffsets(h), [quarter + 1, 2 * quarter + 2, 3 * quarter + 3]);
      assert.equal(h.server.commands.filter((c) => c.startsWith('RETR ')).length, 4);
      const last = events.at(-1);
      assert.equal(last?.done, true);
      assert.equal(last?.bytes, SIZE);
      assert.equal(last?.total, SIZE);
      for (let i = 1; i < events.length; i++)
        assert.ok((events[i]?.bytes ?? 0) >= (events[i - 1]?.bytes ?? 0), 'progress never goes back');
      assert.ok(
        events.every((e) => e.bytes <= SIZE),
        'progress never exceeds the file',
      );
    });
  });

  it("each range's REST goes out in the same write as its EPSV (no round trip of its own)", async () => {
    await withPool({}, 4, async (h, pool) => {
      // What had arrived on the connection when EPSV was handled: a REST written after the 229 cannot be there yet.
      const seen: string[] = [];
      h.server.hook('EPSV', (ctx) => {
        const lines = ctx.server.log.filter((e) => e.connection === ctx.connection).map((e) => e.line);
        const next = lines[lines.lastIndexOf('EPSV') + 1];
        if (next !== undefined) seen.push(next);
        return 'default';
      });
      const target = join(folder(), 'big.bin');
      await pool.download('/big.bin', target, { segments: 4 });
      assert.ok(readFileSync(target).equals(DATA));
      const quarter = Math.floor(SIZE / 4);
      assert.deepEqual(seen.sort(), [`REST ${quarter + 1}`, `REST ${2 * quarter + 2}`, `REST ${3 * quarter + 3}`]);
    });
  });

  it('with more segments than connections, ranges queue for the pool: same bytes', async () => {
    await withPool({}, 2, async (h, pool) => {
      const target = join(folder(), 'big.bin');
      const result = await pool.download('/big.bin', target, { segments: 5 });
      assert.equal(result.segments, 5);
      assert.ok(readFileSync(target).equals(DATA));
      assert.equal(restOffsets(h).length, 4);
    });
  });

  it('a server allowing fewer connections than segments: the pool shrinks, the ranges share what there is', async () => {
    await withServer({ mode: 'explicit', files: { '/big.bin': DATA }, maxConnections: 2 }, async (h) => {
      const pool = createPool(optionsFor(h.server), { size: 4, retries: 2, retryDelayMs: 10 });
      try {
        const target = join(folder(), 'big.bin');
        const result = await pool.download('/big.bin', target, { segments: 4 });
        assert.equal(result.segments, 4);
        assert.ok(readFileSync(target).equals(DATA));
        assert.equal(pool.stats().size, 2);
        assert.ok(h.server.refusedConnections > 0);
      } finally {
        await pool.close();
      }
    });
  });

  it('a file under two minimum segments is one stream (no REST), into the same kind of target', async () => {
    const small = random(1024 * 1024 + 5);
    await withPool({ files: { '/big.bin': DATA, '/small.bin': small } }, 4, async (h, pool) => {
      const d = folder();
      const result = await pool.download('/small.bin', join(d, 'small.bin'), { segments: 4 });
      assert.equal(result.segments, undefined);
      assert.deepEqual(restOffsets(h), []);
      assert.ok(readFileSync(join(d, 'small.bin')).equals(small));
      assert.deepEqual(readdirSync(d), ['small.bin']);
    });
  });

  it('a server refusing REST gets one stream: the other ranges are stopped, the file is whole', async () => {
    await withPool({}, 4, async (h, pool) => {
      h.server.hook('REST', faults.reply('502 REST not implemented.'));
      const d = folder();
      const result = await pool.download('/big.bin', join(d, 'big.bin'), { segments: 4 });
      assert.equal(result.segments, undefined, 'fell back to one stream');
      assert.equal(result.bytes, SIZE);
      assert.ok(readFileSync(join(d, 'big.bin')).equals(DATA));
      assert.deepEqual(readdirSync(d), ['big.bin']);
    });
  });

  it('a server whose SIZE fails gets one stream', async () => {
    await withPool({}, 4, async (h, pool) => {
      h.server.hook('SIZE', faults.reply('550 Could not get file size.'), { times: 1 });
      h.server.hook('MLST', faults.reply('500 Unknown command.'), { times: 1 });
      const target = join(folder(), 'big.bin');
      const result = await pool.download('/big.bin', target, { segments: 4 });
      assert.equal(result.segments, undefined);
      assert.ok(readFileSync(target).equals(DATA));
    });
  });

  it('one range failing mid-way fails the whole download with its typed error; nothing under the name, no leftovers', async () => {
    await withPool({}, 4, async (h, pool) => {
      const offset = 2 * Math.floor(SIZE / 4) + 2;
      h.server.hook('RETR', faultAt(offset, { transfer: { after: { bytes: 300_000, action: 'reset' } } }));
      const d = folder();
      await countingTransfers(async (counts) => {
        const err = await rejection(pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, retries: 0 }));
        // Fewer bytes than the range needs, whatever the server then answered (426 here).
        assertFtpsError(err, TruncatedTransferError, 'ERR_FTPS_TRUNCATED');
        // Rejected only once every other range has stopped (its transfer is over, connection in step).
        assert.equal(counts.started, 4);
        assert.equal(counts.ended, 4, 'every range had stopped when the download rejected');
      });
      assert.deepEqual(readdirSync(d), [], 'no file under the final name, no temporary file');
      // withPool then checks that every connection still works and, at the end, that none leaked.
    });
  });

  it('a range failing mid-way is retried from where it stopped, on another connection', async () => {
    await withPool(
      {},
      4,
      async (h, pool) => {
        const offset = Math.floor(SIZE / 4) + 1;
        h.server.hook('RETR', faultAt(offset, { transfer: { after: { bytes: 300_000, action: 'reset' } } }));
        const target = join(folder(), 'big.bin');
        const result = await pool.download('/big.bin', target, { segments: 4, retries: 1 });
        assert.ok(readFileSync(target).equals(DATA));
        assert.equal(result.bytes, SIZE);
        const rests = restOffsets(h);
        assert.equal(rests.length, 4, rests.join(' '));
        const retry = rests.find((r) => r > offset && r <= offset + 300_000);
        assert.ok(
          retry !== undefined,
          `the retry restarts inside the range after the bytes it had (${rests.join(' ')})`,
        );
      },
      1,
    );
  });

  it('a range cut short (FIN without close_notify, then 426) fails the download', async () => {
    await withPool({}, 4, async (h, pool) => {
      const offset = 3 * Math.floor(SIZE / 4) + 3;
      h.server.hook('RETR', faultAt(offset, { transfer: { after: { bytes: 100_000, action: 'close' } } }));
      const d = folder();
      const err = await rejection(pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, retries: 0 }));
      assertFtpsError(err, TruncatedTransferError, 'ERR_FTPS_TRUNCATED');
      assert.deepEqual(readdirSync(d), []);
    });
  });

  // The 426 and the data connection's end in each order, after no byte and after some: a range short
  // of its length is a TruncatedTransferError every time (the tail too, which runs to the server's end).
  for (const [which, index] of [
    ['a middle range', 1],
    ['the tail range', 3],
  ] as const) {
    for (const order of ['reply-first', 'data-first'] as const) {
      for (const bytes of [0, 100_000]) {
        it(`${which} cut short after ${bytes} bytes, the 426 ${order === 'reply-first' ? 'before' : 'after'} the data's end: ERR_FTPS_TRUNCATED`, async () => {
          await withPool({}, 4, async (h, pool) => {
            const offset = index * Math.floor(SIZE / 4) + index;
            h.server.hook('RETR', faultAt(offset, { transfer: { after: { bytes, action: 'close' }, order } }));
            const d = folder();
            const err = await rejection(pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, retries: 0 }));
            assertFtpsError(err, TruncatedTransferError, 'ERR_FTPS_TRUNCATED');
            assert.deepEqual(readdirSync(d), []);
          });
        });
      }
    }
  }

  it('the tail range cut short while its bytes wait for a slow sink (the 426 first): ERR_FTPS_TRUNCATED', async () => {
    await withPool({}, 4, async (h, pool) => {
      const offset = 3 * Math.floor(SIZE / 4) + 3;
      const fault = { after: { bytes: 100_000, action: 'close' as const }, order: 'reply-first' as const };
      h.server.hook('RETR', faultAt(offset, { transfer: fault }));
      const d = folder();
      // Under the rate limit no byte of the range is written yet when the 426 stops its data connection.
      const options = { segments: 4, retries: 0, rateLimit: 200_000 };
      const err = await rejection(pool.download('/big.bin', join(d, 'big.bin'), options));
      assertFtpsError(err, TruncatedTransferError, 'ERR_FTPS_TRUNCATED');
      assert.deepEqual(readdirSync(d), []);
    });
  });

  for (const index of [1, 3]) {
    it(`a range failed before its first byte (426, then the close) is retried: the file is whole (range ${index})`, async () => {
      await withPool({}, 4, async (h, pool) => {
        const offset = index * Math.floor(SIZE / 4) + index;
        const fault = { after: { bytes: 0, action: 'close' as const }, order: 'reply-first' as const };
        h.server.hook('RETR', faultAt(offset, { transfer: fault }));
        const target = join(folder(), 'big.bin');
        const result = await pool.download('/big.bin', target, { segments: 4, retries: 1 });
        assert.ok(readFileSync(target).equals(DATA));
        assert.equal(result.bytes, SIZE);
        assert.equal(restOffsets(h).filter((r) => r === offset).length, 2, 'the range ran twice from its start');
      });
    });
  }

  for (const finalReply of ['451 Local error in processing.', '426 Connection closed; transfer aborted.']) {
    it(`a range that got all its bytes is complete whatever the server answers then (${finalReply.slice(0, 3)})`, async () => {
      await withPool({}, 4, async (h, pool) => {
        const offset = Math.floor(SIZE / 4) + 1;
        h.server.hook('RETR', faultAt(offset, { transfer: { finalReply } }));
        const target = join(folder(), 'big.bin');
        const result = await pool.download('/big.bin', target, { segments: 4, retries: 0 });
        assert.equal(result.segments, 4);
        assert.ok(readFileSync(target).equals(DATA));
      });
    });
  }

  it('abort stops every range: rejects with the reason, nothing under the final name, the pool still works', async () => {
    await withPool({}, 4, async (h, pool) => {
      closeDataOnClientFin(h.server);
      const d = folder();
      const quarter = Math.floor(SIZE / 4);
      // Range 2 goes silent after 200 000 bytes, so the download is surely still running at the abort.
      let stalled = false;
      const stall = faultAt(2 * quarter + 2, { transfer: { after: { bytes: 200_000, action: 'stall' } } });
      h.server.hook('RETR', (ctx) => {
        const result = stall(ctx);
        if (result !== 'default') stalled = true;
        return result;
      });
      const controller = new AbortController();
      const reason = new Error('stop it');
      await countingTransfers(async (counts) => {
        const done = pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, signal: controller.signal });
        await until(() => stalled, 5_000, 'the stalled range to start');
        controller.abort(reason);
        assert.equal(await rejection(done), reason);
        assert.equal(counts.ended, counts.started, 'every range had stopped when the download rejected');
      });
      assert.deepEqual(readdirSync(d), []);
      const again = join(d, 'again.bin');
      await pool.download('/big.bin', again, { segments: 4 });
      assert.ok(readFileSync(again).equals(DATA));
    });
  });

  it('timeout bounds the whole download: OperationTimeoutError, nothing left behind', async () => {
    await withPool({}, 4, async (h, pool) => {
      closeDataOnClientFin(h.server);
      const quarter = Math.floor(SIZE / 4);
      h.server.hook('RETR', faultAt(quarter + 1, { transfer: { after: { bytes: 100_000, action: 'stall' } } }));
      const d = folder();
      const err = await rejection(pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, timeout: 700 }));
      assertFtpsError(err, OperationTimeoutError, 'ERR_FTPS_OPERATION_TIMEOUT');
      assert.deepEqual(readdirSync(d), []);
    });
  });

  it('resume per range: an interrupted run leaves its state beside the temporary file; the rerun fetches only what is missing', async () => {
    await withPool({ features: HASH_FEATURES }, 4, async (h, pool) => {
      const d = folder();
      const target = join(d, 'big.bin');
      const quarter = Math.floor(SIZE / 4);
      // Range 2 breaks after 400 000 bytes; that stops the others wherever they are.
      h.server.hook('RETR', faultAt(2 * quarter + 2, { transfer: { after: { bytes: 400_000, action: 'reset' } } }));
      await rejection(pool.download('/big.bin', target, { segments: 4, resume: true, retries: 0 }));
      assert.equal(existsSync(target), false, 'nothing under the final name');
      assert.deepEqual(readdirSync(d).sort(), ['.big.bin.ftps-segments', '.big.bin.ftps-segments.json']);
      const state = JSON.parse(readFileSync(join(d, '.big.bin.ftps-segments.json'), 'utf8')) as {
        ranges: [number, number, number][];
      };
      assert.equal(state.ranges.length, 4);
      const [, , broken] = state.ranges[2] ?? [0, 0, 0];
      assert.ok(broken >= 0 && broken <= 400_000, `the broken range is recorded with at most what it got (${broken})`);
      // What the state claims is on disk really is.
      const partial = readFileSync(join(d, '.big.bin.ftps-segments'));
      for (const [start, , done] of state.ranges)
        assert.ok(partial.subarray(start, start + done).equals(DATA.subarray(start, start + done)));
      const missing = state.ranges.filter(([start, end, done]) => start + done < end);

      const before = h.server.commands.length;
      const result = await pool.download('/big.bin', target, { segments: 4, resume: true, verify: true });
      const commands = h.server.commands.slice(before);
      assert.ok(readFileSync(target).equals(DATA), 'the resumed file is byte-identical');
      assert.deepEqual(readdirSync(d), ['big.bin'], 'state and temporary file are gone');
      assert.equal(
        commands.filter((c) => c.startsWith('RETR ')).length,
        missing.length,
        `only the missing ranges are fetched: ${commands.join(' | ')}`,
      );
      for (const [start, , done] of missing)
        if (start + done > 0) assert.ok(commands.includes(`REST ${start + done}`), commands.join(' | '));
      const kept = state.ranges.reduce((sum, [, , done]) => sum + done, 0);
      assert.equal(result.resumedFrom, kept);
      assert.equal(result.bytes, SIZE - kept);
      assert.deepEqual(result.verified, {
        size: true,
        hash: { algorithm: 'SHA-256', value: sha256(DATA), command: 'HASH' },
      });
    });
  });

  it('resume after a crash: a process killed mid-download leaves a state the rerun continues from', async () => {
    await withPool({}, 4, async (h, pool) => {
      closeDataOnClientFin(h.server);
      const d = folder();
      const target = join(d, 'big.bin');
      const quarter = Math.floor(SIZE / 4);
      // Range 1 goes silent after 500 000 bytes: the child's download cannot finish.
      h.server.hook('RETR', faultAt(quarter + 1, { transfer: { after: { bytes: 500_000, action: 'stall' } } }));
      const task = { host: h.server.host, port: h.server.port, remote: '/big.bin', local: target, segments: 4 };
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/helpers/segmented-child.ts', JSON.stringify(task)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      const statePath = join(d, '.big.bin.ftps-segments.json');
      const stalledSaved = (): boolean => {
        try {
          const state = JSON.parse(readFileSync(statePath, 'utf8')) as { ranges: [number, number, number][] };
          return (state.ranges[1]?.[2] ?? 0) > 0;
        } catch {
          return false;
        }
      };
      try {
        await until(stalledSaved, 10_000, 'a checkpoint with progress of the stalled range');
      } finally {
        child.kill('SIGKILL');
      }
      assert.equal(await exited, 'SIGKILL');
      assert.equal(output, '', 'the child never finished');
      assert.equal(existsSync(target), false, 'nothing under the final name');
      const state = JSON.parse(readFileSync(statePath, 'utf8')) as { ranges: [number, number, number][] };
      const partial = readFileSync(join(d, '.big.bin.ftps-segments'));
      for (const [start, , done] of state.ranges)
        assert.ok(
          partial.subarray(start, start + done).equals(DATA.subarray(start, start + done)),
          'what the state claims is on disk',
        );
      const kept = state.ranges.reduce((sum, [, , done]) => sum + done, 0);

      const result = await pool.download('/big.bin', target, { segments: 4, resume: true });
      assert.equal(result.resumedFrom, kept);
      assert.ok(readFileSync(target).equals(DATA), 'byte-identical after the crash and the rerun');
      assert.deepEqual(readdirSync(d), ['big.bin']);
    });
  });

  it('resume after a run that fetched everything but stopped before the rename: no RETR, just the rename', async () => {
    await withPool({}, 4, async (h, pool) => {
      const d = folder();
      const half = Math.floor(SIZE / 2);
      // As the client reads it (MLST modify), the way the download identifies the remote file.
      const modified = (await pool.stat('/big.bin')).modifiedAt?.getTime();
      writeFileSync(join(d, '.big.bin.ftps-segments'), DATA);
      const state = {
        version: 1,
        remote: '/big.bin',
        size: SIZE,
        modified: modified ?? null,
        ranges: [
          [0, half, half],
          [half, SIZE, SIZE - half],
        ],
      };
      writeFileSync(join(d, '.big.bin.ftps-segments.json'), JSON.stringify(state));
      const before = h.server.commands.length;
      const result = await pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, resume: true });
      assert.equal(h.server.commands.slice(before).filter((c) => c.startsWith('RETR')).length, 0);
      assert.equal(result.resumedFrom, SIZE);
      assert.equal(result.bytes, 0);
      assert.ok(readFileSync(join(d, 'big.bin')).equals(DATA));
      assert.deepEqual(readdirSync(d), ['big.bin']);
    });
  });

  it('resume ignores a state made for another version of the remote file', async () => {
    await withPool({}, 4, async (h, pool) => {
      const d = folder();
      const target = join(d, 'big.bin');
      writeFileSync(join(d, '.big.bin.ftps-segments'), Buffer.alloc(SIZE, 7));
      writeFileSync(
        join(d, '.big.bin.ftps-segments.json'),
        JSON.stringify({
          version: 1,
          remote: '/big.bin',
          size: SIZE - 1,
          modified: null,
          ranges: [[0, SIZE - 1, SIZE - 1]],
        }),
      );
      const result = await pool.download('/big.bin', target, { segments: 4, resume: true });
      assert.equal(result.resumedFrom, 0);
      assert.ok(readFileSync(target).equals(DATA));
      assert.equal(restOffsets(h).length, 3);
    });
  });

  it('verify: a wrong server hash is a VerifyError and leaves nothing behind, even when resumable', async () => {
    await withPool({ features: HASH_FEATURES }, 4, async (h, pool) => {
      h.server.hook('HASH', faults.reply(`213 SHA-256 0-${SIZE - 1} ${'0'.repeat(64)} /big.bin`));
      const d = folder();
      const err = await rejection(
        pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, verify: true, resume: true }),
      );
      assertFtpsError(err, VerifyError, 'ERR_FTPS_VERIFY');
      assert.deepEqual(readdirSync(d), []);
    });
  });

  it('rejects a bad segments value and a stream destination', async () => {
    await withPool({}, 1, async (_h, pool) => {
      await assert.rejects(pool.download('/big.bin', join(folder(), 'x'), { segments: 0 }), RangeError);
      await assert.rejects(pool.download('/big.bin', join(folder(), 'x'), { segments: 2.5 }), RangeError);
      await assert.rejects(pool.download('/big.bin', new Sink(), { segments: 2 }), TypeError);
      const sink = new Sink();
      await pool.download('/big.bin', sink, { segments: 1 });
      assert.ok(sink.bytes.equals(DATA));
    });
  });
});

describe('segmented download against hostile servers and files', LIMIT, () => {
  // Hostile servers and local files (review of the segmented download).
  for (const resume of [false, true]) {
    it(`a server that takes REST but sends from byte 0 is a VerifyError, not a corrupted file (resume: ${resume})`, async () => {
      await withPool({}, 4, async (h, pool) => {
        h.server.hook('REST', faults.reply('350 Restart position accepted.'));
        const d = folder();
        const err = await rejection(pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, retries: 0, resume }));
        assertFtpsError(err, VerifyError, 'ERR_FTPS_VERIFY');
        // Also with resume: the ranges that finished hold bytes from 0, no state may claim them.
        assert.deepEqual(readdirSync(d), [], 'no file under the final name, no temporary or state file');
      });
    });
  }

  it('a SIZE smaller than the file is a VerifyError, not a truncated file reported complete', async () => {
    await withPool({}, 4, async (h, pool) => {
      h.server.hook('SIZE', faults.reply(`213 ${SIZE - 1000}`), { times: 1 });
      const d = folder();
      const err = await rejection(pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, retries: 0 }));
      assertFtpsError(err, VerifyError, 'ERR_FTPS_VERIFY');
      assert.deepEqual(readdirSync(d), []);
    });
  });

  it("resume never writes through a symlink planted at the state file's temporary name", async () => {
    await withPool({}, 4, async (_h, pool) => {
      const d = folder();
      const victim = join(folder(), 'victim.txt');
      writeFileSync(victim, 'precious');
      symlinkSync(victim, join(d, '.big.bin.ftps-segments.json.new'));
      await pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, resume: true });
      assert.equal(readFileSync(victim, 'utf8'), 'precious', 'the file the link points to is untouched');
      assert.ok(readFileSync(join(d, 'big.bin')).equals(DATA));
      assert.deepEqual(readdirSync(d), ['big.bin']);
    });
  });

  it("resume never writes into a file hard-linked at the temporary file's name", async () => {
    await withPool({}, 4, async (_h, pool) => {
      const d = folder();
      const victim = join(folder(), 'victim.bin');
      writeFileSync(victim, 'precious');
      linkSync(victim, join(d, '.big.bin.ftps-segments'));
      await pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, resume: true });
      assert.equal(readFileSync(victim, 'utf8'), 'precious', 'the other name of the file is untouched');
      assert.ok(readFileSync(join(d, 'big.bin')).equals(DATA));
      assert.deepEqual(readdirSync(d), ['big.bin']);
    });
  });

  for (const [what, text] of [
    ['null', 'null'],
    ['truncated JSON', '{"version":1,"remote":"/big.bin","ran'],
    ['a number', '42'],
  ] as const) {
    it(`resume starts over from a state file holding ${what}`, async () => {
      await withPool({}, 4, async (h, pool) => {
        const d = folder();
        writeFileSync(join(d, '.big.bin.ftps-segments'), Buffer.alloc(SIZE, 7));
        writeFileSync(join(d, '.big.bin.ftps-segments.json'), text);
        const result = await pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, resume: true });
        assert.equal(result.resumedFrom, 0);
        assert.ok(readFileSync(join(d, 'big.bin')).equals(DATA));
        assert.equal(restOffsets(h).length, 3);
        assert.deepEqual(readdirSync(d), ['big.bin']);
      });
    });
  }

  it('resume ignores a state with more ranges than a download may have (one connection wait each)', async () => {
    await withPool({}, 4, async (h, pool) => {
      const d = folder();
      const modified = (await pool.stat('/big.bin')).modifiedAt?.getTime();
      writeFileSync(join(d, '.big.bin.ftps-segments'), Buffer.alloc(SIZE, 7));
      const ranges = Array.from({ length: 1000 }, (_, i) => {
        const start = Math.floor((i * SIZE) / 1000);
        return [start, Math.floor(((i + 1) * SIZE) / 1000), 0];
      });
      writeFileSync(
        join(d, '.big.bin.ftps-segments.json'),
        JSON.stringify({ version: 1, remote: '/big.bin', size: SIZE, modified: modified ?? null, ranges }),
      );
      const result = await pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, resume: true });
      assert.equal(result.segments, 4);
      assert.equal(restOffsets(h).length, 3);
      assert.ok(readFileSync(join(d, 'big.bin')).equals(DATA));
    });
  });

  // An abort while only the control connection works (SIZE, the verify's HASH) rejects at once, not
  // when the server answers: with a reply timeout longer than this suite's limit, waiting would hang.
  for (const [verb, opts] of [
    ['SIZE', {}],
    ['HASH', { verify: true }],
  ] as const) {
    it(`an abort while the server holds back its ${verb} reply rejects before that reply`, async () => {
      await withServer({ mode: 'explicit', files: { '/big.bin': DATA }, features: HASH_FEATURES }, async (h) => {
        const pool = createPool(optionsFor(h.server, { timeouts: { ...FAST, reply: 60_000 } }), {
          size: 4,
          retries: 0,
        });
        let release = (): void => undefined;
        const gate = new Promise<void>((resolve) => (release = resolve));
        try {
          const controller = new AbortController();
          const reason = new Error('stop it');
          h.server.hook(
            verb,
            async () => {
              controller.abort(reason);
              await gate;
              return 'default' as const;
            },
            { times: 1 },
          );
          const d = folder();
          const err = await rejection(
            pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, signal: controller.signal, ...opts }),
          );
          release();
          assert.equal(err, reason);
          assert.deepEqual(readdirSync(d), []);
          // The held reply came after all; the connection is in step for the next call.
          assert.equal(await pool.size('/big.bin'), SIZE);
        } finally {
          release();
          await pool.close();
        }
      });
    });
  }
});

// Abort or fail at each stage: no file under the name, no temporary file, no descriptor left open on
// either (Linux: /proc/self/fd), the pool still in step (withPool).
const openUnder = (d: string): string[] => {
  if (!existsSync('/proc/self/fd')) return [];
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const to = readlinkSync(join('/proc/self/fd', fd));
      return to.startsWith(d) ? [to] : [];
    } catch {
      return [];
    }
  });
};
type Arrange = (h: Harness, controller: AbortController, d: string, resume: boolean) => Record<string, unknown>;
const stages: [string, Arrange][] = [
  [
    'during SIZE (MLST when resumable)',
    (h, controller, _d, resume) => {
      const stall = (ctx: HookContext): Promise<void> => {
        controller.abort(new Error('stop it'));
        return ctx.stall();
      };
      h.server.hook(resume ? 'MLST' : 'SIZE', stall, { times: 1 });
      return {};
    },
  ],
  [
    'as the last range starts (the others writing)',
    (h, controller) => {
      h.server.hook('RETR', (ctx) => {
        if (ctx.state.rest === 3 * Math.floor(SIZE / 4) + 3) controller.abort(new Error('stop it'));
        return 'default';
      });
      return {};
    },
  ],
  [
    'during verify',
    (h, controller) => {
      h.server.hook(
        'HASH',
        (ctx) => {
          controller.abort(new Error('stop it'));
          return ctx.stall();
        },
        { times: 1 },
      );
      return { verify: true };
    },
  ],
  [
    'at the final rename (a folder appeared at the target)',
    (h, _controller, d) => {
      h.server.hook(
        'HASH',
        (_ctx) => {
          mkdirSync(join(d, 'big.bin', 'x'), { recursive: true });
          return 'default';
        },
        { times: 1 },
      );
      return { verify: true };
    },
  ],
];
for (const [stage, arrange] of stages) {
  describe(`segmented download failing ${stage}`, LIMIT, () => {
    for (const resume of [false, true]) {
      it(`fails ${stage} (resume: ${resume}): nothing under the name, no descriptor left open`, async () => {
        await withPool({ features: HASH_FEATURES }, 4, async (h, pool) => {
          closeDataOnClientFin(h.server);
          const d = folder();
          const controller = new AbortController();
          const extra = arrange(h, controller, d, resume);
          await rejection(
            pool.download('/big.bin', join(d, 'big.bin'), { segments: 4, resume, signal: controller.signal, ...extra }),
          );
          assert.deepEqual(openUnder(d), [], "no descriptor open on the folder's files");
          const left = readdirSync(d).filter((n) => n !== 'big.bin' || !existsSync(join(d, 'big.bin', 'x')));
          const kept = resume ? ['.big.bin.ftps-segments', '.big.bin.ftps-segments.json'] : [];
          // Resumable runs keep their files, unless nothing was planned yet (SIZE) .
          assert.ok(
            left.every((n) => kept.includes(n)),
            left.join(', '),
          );
          assert.ok(!left.some((n) => n.endsWith('.new')), left.join(', '));
        });
      });
    }
  });
}
