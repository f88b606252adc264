import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/errors.js';
import { LineSplitter } from '../../src/protocol/lines.js';
import { chunkings, feedAll } from './support/feed.js';

function splitAll(bytes: Buffer, options?: ConstructorParameters<typeof LineSplitter>[0]): Map<string, string[]> {
  const results = new Map<string, string[]>();
  for (const { label, chunks } of chunkings(bytes)) {
    const s = new LineSplitter(options);
    const lines = feedAll(chunks, (c) => s.push(c));
    lines.push(...s.end());
    results.set(label, lines);
  }
  return results;
}

function assertEveryChunking(
  bytes: Buffer,
  expected: string[],
  options?: ConstructorParameters<typeof LineSplitter>[0],
): void {
  for (const [label, lines] of splitAll(bytes, options)) assert.deepEqual(lines, expected, label);
}

describe('LineSplitter', () => {
  it('splits CRLF and bare LF lines, fed whole, at every offset and bytewise', () => {
    assertEveryChunking(Buffer.from('one\r\ntwo\nthree\r\n\r\nlast'), ['one', 'two', 'three', '', 'last']);
  });

  it('keeps a UTF-8 character split across chunks intact', () => {
    // "é" is 2 bytes, "€" 3, "😀" 4: every split offset lands inside some character.
    const text = 'café €5 😀 名前.txt';
    const bytes = Buffer.from(`${text}\r\n`, 'utf8');
    assertEveryChunking(bytes, [text]);
    const s = new LineSplitter();
    assert.deepEqual(s.push(bytes.subarray(0, 4)), []);
    assert.deepEqual(s.push(bytes.subarray(4)), [text]);
  });

  it('handles CR and LF arriving in separate chunks', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('abc\r')), []);
    assert.equal(s.pendingBytes, 4);
    assert.deepEqual(s.push(Buffer.from('\n')), ['abc']);
    assert.equal(s.pendingBytes, 0);
  });

  it('keeps a CR that is not before LF', () => {
    assertEveryChunking(Buffer.from('a\rb\r\n'), ['a\rb']);
  });

  it('end() returns the unterminated last line once, without a trailing CR', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('x\r\ny\r')), ['x']);
    assert.deepEqual(s.end(), ['y']);
    assert.deepEqual(s.end(), []);
    assert.equal(s.pendingBytes, 0);
  });

  it('end() returns nothing after a terminated line', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('x\n')), ['x']);
    assert.deepEqual(s.end(), []);
  });

  it('decodes latin1 when asked', () => {
    assertEveryChunking(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0d, 0x0a]), ['café'], { encoding: 'latin1' });
  });

  it('accepts a line of exactly maxLineBytes and rejects one byte more, however it arrives', () => {
    assertEveryChunking(Buffer.from('abcd\r\n'), ['abcd'], { maxLineBytes: 4 });
    for (const { label, chunks } of chunkings(Buffer.from('abcde\r\n'))) {
      const s = new LineSplitter({ maxLineBytes: 4 });
      assert.throws(() => feedAll(chunks, (c) => s.push(c)), ProtocolError, label);
    }
  });

  it('rejects a huge line without a newline before it completes', () => {
    const s = new LineSplitter({ maxLineBytes: 1024 });
    assert.deepEqual(s.push(Buffer.alloc(1024, 0x61)), []);
    assert.throws(
      () => s.push(Buffer.from('a')),
      (e: unknown) => e instanceof ProtocolError && e.code === 'ERR_FTPS_PROTOCOL',
    );
  });

  it('uses a 64 KiB default cap', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.alloc(64 * 1024, 0x61)), []);
    assert.throws(() => s.push(Buffer.from('a')), ProtocolError);
  });

  it('rejects a nonsense cap', () => {
    assert.throws(() => new LineSplitter({ maxLineBytes: 0 }), RangeError);
    assert.throws(() => new LineSplitter({ maxLineBytes: Number.NaN }), RangeError);
  });
});
