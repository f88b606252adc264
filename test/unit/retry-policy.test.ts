import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetryPolicy } from '../../src/retry-policy.js';

const always = (): boolean => true;

describe('RetryPolicy', () => {
  it('defaults: 2 retries, 100 ms doubling up to 5 s, half of each pause at random', () => {
    const p = new RetryPolicy({}, always);
    assert.deepEqual([p.retries, p.minDelayMs, p.maxDelayMs, p.factor, p.jitter], [2, 100, 5000, 2, 0.5]);
    assert.deepEqual(
      [1, 2, 3, 4].map((a) => p.delayMs(a, () => 0)),
      [100, 200, 400, 800],
    );
    assert.equal(
      p.delayMs(1, () => 1),
      50,
    );
    assert.equal(
      p.delayMs(20, () => 0),
      5000,
    );
  });

  it('shouldRetry: within retries and as retryOn says (default: the given classifier)', () => {
    const calls: [unknown, number][] = [];
    const p = new RetryPolicy({ retries: 3, retryOn: (e, a) => (calls.push([e, a]), a !== 2) }, always);
    assert.equal(p.shouldRetry('x', 1), true);
    assert.equal(p.shouldRetry('x', 2), false);
    assert.equal(p.shouldRetry('x', 4), false, 'beyond retries retryOn is not asked');
    assert.deepEqual(calls, [
      ['x', 1],
      ['x', 2],
    ]);
    const d = new RetryPolicy({}, (e) => e === 'transient');
    assert.equal(d.shouldRetry('transient', 1), true);
    assert.equal(d.shouldRetry('permanent', 1), false);
    assert.equal(d.shouldRetry('transient', 1, 0), false, 'a per-call retries of 0 wins');
  });

  it('rejects bad values, naming the option', () => {
    for (const [opts, name] of [
      [{ retries: -1 }, 'retry.retries'],
      [{ retries: 1.5 }, 'retry.retries'],
      [{ minDelayMs: Number.NaN }, 'retry.minDelayMs'],
      [{ minDelayMs: 500, maxDelayMs: 100 }, 'retry.maxDelayMs'],
      [{ factor: 0.5 }, 'retry.factor'],
      [{ jitter: 1.5 }, 'retry.jitter'],
      [{ retryOn: 'yes' }, 'retry.retryOn'],
    ] as const) {
      assert.throws(
        () => new RetryPolicy(opts as never, always),
        (e: Error) => e.message.includes(`"${name}"`),
        name,
      );
    }
  });
});
