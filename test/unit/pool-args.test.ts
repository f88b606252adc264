// createPool's argument order: (target, overrides, poolOptions) like connect(target, overrides, call),
// and the old (target, poolOptions, overrides) still understood. No connection is opened here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPool } from '../../src/index.js';

const target = 'ftpes://user:pass@127.0.0.1:2121/';

test('new order: overrides, then pool options', async () => {
  await using pool = createPool(target, { timeouts: { reply: 5000 } }, { size: 2 });
  assert.equal(pool.stats().maxSize, 2);
  assert.throws(() => createPool(target, { timeouts: { reply: -1 } }, { size: 2 }), RangeError);
});

test('old order: pool options, then overrides', async () => {
  await using pool = createPool(target, { size: 3 }, { timeouts: { reply: 5000 } });
  assert.equal(pool.stats().maxSize, 3);
  assert.throws(() => createPool(target, { size: 3 }, { timeouts: { reply: -1 } }), RangeError);
  await using emptyFirst = createPool(target, {}, { timeouts: { reply: 5000 } });
  assert.equal(emptyFirst.stats().maxSize, 4);
});

test('pool and client options mixed in one argument are refused', () => {
  // @ts-expect-error the mix matches neither overload
  assert.throws(() => createPool(target, { size: 2, secure: 'explicit' }), TypeError);
});
