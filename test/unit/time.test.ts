import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../src/errors.js';
import { formatMfmtTime, parseMdtmTime } from '../../src/protocol/time.js';

describe('parseMdtmTime', () => {
  const ok: [string, string, 'second' | 'millisecond'][] = [
    ['20240105103000', '2024-01-05T10:30:00.000Z', 'second'],
    ['213 20240105103000', '2024-01-05T10:30:00.000Z', 'second'],
    ['  20240105103000\r', '2024-01-05T10:30:00.000Z', 'second'],
    ['20240105103000.5', '2024-01-05T10:30:00.500Z', 'millisecond'],
    ['20240105103000.123', '2024-01-05T10:30:00.123Z', 'millisecond'],
    ['20240105103000.123456', '2024-01-05T10:30:00.123Z', 'millisecond'],
    ['20240229235959', '2024-02-29T23:59:59.000Z', 'second'],
    ['20001231000000', '2000-12-31T00:00:00.000Z', 'second'],
    ['19700101000000', '1970-01-01T00:00:00.000Z', 'second'],
    ['00500101000000', '0050-01-01T00:00:00.000Z', 'second'],
    ['20161231235960', '2017-01-01T00:00:00.000Z', 'second'],
  ];
  for (const [text, iso, precision] of ok) {
    it(`reads ${JSON.stringify(text)}`, () => {
      const r = parseMdtmTime(text);
      assert.ok(r);
      assert.equal(r.date.toISOString(), iso);
      assert.equal(r.precision, precision);
    });
  }

  const bad = [
    '',
    '2024010510300',
    '202401051030000',
    '20241305103000',
    '20240005103000',
    '20240230103000',
    '20230229103000',
    '20240105243000',
    '20240105106000',
    '20240105103061',
    '20240105103000.',
    '20240105103000.12a',
    '2024-01-05 10:30:00',
    '191240105103000',
    '550 No such file',
  ];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.equal(parseMdtmTime(text), undefined);
    });
  }
});

describe('formatMfmtTime', () => {
  it('formats in UTC with zero padding, dropping milliseconds', () => {
    assert.equal(formatMfmtTime(new Date('2024-01-05T03:04:05.999Z')), '20240105030405');
    assert.equal(formatMfmtTime(new Date('0999-12-31T23:59:59Z')), '09991231235959');
  });

  it('round-trips through parseMdtmTime', () => {
    const d = new Date('2031-07-15T22:10:01Z');
    assert.equal(parseMdtmTime(formatMfmtTime(d))?.date.getTime(), d.getTime());
  });

  it('rejects invalid dates and years that do not fit four digits', () => {
    const isInvalid = (e: unknown): boolean =>
      e instanceof InvalidArgumentError && e.code === 'ERR_FTPS_INVALID_ARGUMENT';
    assert.throws(() => formatMfmtTime(new Date(Number.NaN)), isInvalid);
    assert.throws(() => formatMfmtTime(new Date('+010000-01-01T00:00:00Z')), isInvalid);
    assert.throws(() => formatMfmtTime(new Date('-000001-01-01T00:00:00Z')), isInvalid);
  });
});
