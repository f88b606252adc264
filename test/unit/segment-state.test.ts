// The state file of a resumable segmented download (transfer/segment-state.ts) against the
// temporary file it describes: a save still running when the download is over must not leave a
// state file behind once that is discarded.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SegmentFile, SegmentRange } from '../../src/transfer/segment-file.js';
import { SegmentCheckpoint } from '../../src/transfer/segment-state.js';

const dir = mkdtempSync(join(tmpdir(), 'ftps-segment-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SegmentCheckpoint', () => {
  it('stop() waits for a save in flight, so a discard after it leaves nothing behind', async () => {
    const file = await SegmentFile.open(join(dir, 'big.bin'), true);
    assert.ok(file?.statePath !== undefined);
    const checkpoint = new SegmentCheckpoint(
      file,
      file.statePath,
      { path: '/big.bin', size: 10, modified: undefined },
      [new SegmentRange(0, 10)],
    );
    const saving = checkpoint.save(); // as the interval's save, under way when the download fails
    await checkpoint.stop();
    await file.discard();
    await saving.catch(() => undefined);
    assert.deepEqual(readdirSync(dir), []);
  });
});
