import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { ProtocolError } from '../../src/errors.js';
import { LineSplitter } from '../../src/protocol/lines.js';
import {
  type FileInfo,
  ListParser,
  parseDosLine,
  parseMlsdLine,
  parseUnixLine,
} from '../../src/protocol/listing/index.js';
import { type FtpReply, ReplyParser } from '../../src/protocol/reply.js';

const NOW = new Date('2024-06-15T12:00:00Z');

function assertSafe(info: FileInfo | undefined, line: string): void {
  if (info === undefined) return;
  assert.equal(info.raw, line);
  assert.ok(!info.name.includes('/'), `name with "/": ${JSON.stringify(info.name)}`);
  assert.ok(!info.name.includes('\0'), `name with NUL: ${JSON.stringify(info.name)}`);
  if (info.name === '') assert.equal(info.type, 'unknown');
}

/** Splits bytes at the given offsets (sorted, deduplicated, clamped). */
function splitAt(bytes: Buffer, offsets: number[]): Buffer[] {
  const cuts = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

// Realistic fragments, so random lines get deep into the parsers rather than failing at the first char.
const fragment = fc.constantFrom(
  '-rw-r--r--',
  'drwxr-xr-x',
  'lrwxrwxrwx',
  'crw-rw-rw-',
  '-rwsr-sr-t',
  '+',
  '@',
  '.',
  ' ',
  '  ',
  '1',
  '12',
  '0',
  '1000',
  'ftp',
  'root',
  'Jan',
  'Feb',
  'Jun',
  'Dec',
  '29',
  '31',
  '12:00',
  '25:61',
  '2021',
  '1,',
  '3',
  '->',
  ' -> ',
  '/',
  '..',
  '\0',
  'total',
  '01-16-20',
  '12-31-2019',
  '03:47PM',
  '15:47',
  '12:00AM',
  '<DIR>',
  '1,234',
  '1.234',
  'type=',
  'file',
  'dir',
  'cdir',
  'pdir',
  'OS.unix=slink:',
  'OS.unix=symlink',
  ';',
  '; ',
  'size=',
  'sizd=',
  'modify=',
  '20240105100000',
  '.123',
  'UNIX.mode=',
  '0644',
  'UNIX.owner=',
  'perm=',
  'unique=',
  '=',
  'é',
  '日本',
  '😀',
  '\uD800',
  '\r',
  'name',
);
const realisticLine = fc.array(fragment, { maxLength: 24 }).map((parts) => parts.join(''));
const anyLine = fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 120 }), realisticLine);

describe('listing parsers never throw and never return an unsafe name', () => {
  it('parseUnixLine / parseDosLine / parseMlsdLine', () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        assertSafe(parseUnixLine(line, NOW), line);
        assertSafe(parseDosLine(line), line);
        assertSafe(parseMlsdLine(line), line);
      }),
      { numRuns: 3000 },
    );
  });

  it('ListParser over a sequence of lines, auto and forced', () => {
    fc.assert(
      fc.property(
        fc.array(anyLine, { maxLength: 10 }),
        fc.constantFrom('auto', 'unix', 'dos', 'mlsd' as const),
        (lines, format) => {
          const p = new ListParser({ now: NOW, format });
          for (const line of lines) assertSafe(p.parseLine(line), line);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a Unix line built around any name gives exactly that name or rejects it', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 40 }),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
        ),
        (name) => {
          const line = `-rw-r--r--    1 ftp      ftp          1234 Jan 05 10:00 ${name}`;
          const info = parseUnixLine(line, NOW);
          assertSafe(info, line);
          if (name === '.' || name === '..') assert.equal(info, undefined);
          else if (name.includes('/') || name.includes('\0'))
            assert.deepEqual(info, { name: '', type: 'unknown', raw: line });
          else assert.equal(info?.name, name);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('an MLSD line built around any name gives exactly that name or rejects it', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 40 }),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
        ),
        (name) => {
          const line = `type=file;size=1;modify=20240105100000; ${name}`;
          const info = parseMlsdLine(line);
          assertSafe(info, line);
          if (name === '.' || name === '..') assert.equal(info, undefined);
          else if (name.includes('/') || name.includes('\0')) assert.equal(info?.name, '');
          else assert.equal(info?.name, name);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('ReplyParser properties', () => {
  it('random bytes: only ProtocolError may be thrown', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .array(fc.constantFrom('220', '-', ' ', '\r\n', '\n', '\r', '230', 'x', '99', '600', '日本'), { maxLength: 40 })
        .map((a) => new Uint8Array(Buffer.from(a.join('')))),
    );
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 5 }), (raw, offsets) => {
        const p = new ReplyParser({ maxReplyBytes: 128 });
        try {
          for (const c of splitAt(Buffer.from(raw), offsets)) {
            for (const r of p.push(c)) {
              assert.ok(r.code >= 100 && r.code <= 599);
              assert.ok(r.lines.length >= 1);
            }
          }
        } catch (e) {
          assert.ok(e instanceof ProtocolError, String(e));
        }
      }),
      { numRuns: 3000 },
    );
  });

  // A valid reply: one line, or a multi-line one whose middle lines never end it.
  const noBreak = fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ' '));
  const validReply = fc.integer({ min: 100, max: 599 }).chain((code) =>
    fc.oneof(
      fc.record({
        code: fc.constant(code),
        first: noBreak,
        middle: fc.constant<string[] | undefined>(undefined),
        last: fc.constant(''),
      }),
      fc.record({
        code: fc.constant(code),
        first: noBreak,
        middle: fc
          .array(
            fc.oneof(
              noBreak,
              noBreak.map((s) => `${code}-${s}`),
              fc.integer({ min: 100, max: 599 }).chain((c) => noBreak.map((s) => `${c} ${s}`)),
            ),
            { maxLength: 4 },
          )
          .map((lines) => lines.filter((l) => l !== String(code) && !l.startsWith(`${code} `))),
        last: noBreak,
      }),
    ),
  );

  function wire(r: { code: number; first: string; middle: string[] | undefined; last: string }, crlf: boolean): string {
    const eol = crlf ? '\r\n' : '\n';
    if (r.middle === undefined) return `${r.code} ${r.first}${eol}`;
    return [`${r.code}-${r.first}`, ...r.middle, `${r.code} ${r.last}`].map((l) => l + eol).join('');
  }

  it('any split of a valid reply stream gives the same replies as the whole stream', () => {
    fc.assert(
      fc.property(
        fc.array(validReply, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        (replies, crlf, offsets) => {
          const bytes = Buffer.from(replies.map((r) => wire(r, crlf)).join(''), 'utf8');
          const whole = new ReplyParser().push(bytes);
          const p = new ReplyParser();
          const split: FtpReply[] = [];
          for (const c of splitAt(bytes, offsets)) split.push(...p.push(c));
          assert.deepEqual(split, whole);
          assert.equal(whole.length, replies.length);
          whole.forEach((got, i) => {
            const r = replies[i];
            assert.ok(r);
            assert.equal(got.code, r.code);
            const text = r.middle === undefined ? r.first : [r.first, ...r.middle, r.last].join('\n');
            assert.equal(got.text, Buffer.from(text, 'utf8').toString('utf8'));
          });
          assert.equal(p.pendingBytes, 0);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('LineSplitter property', () => {
  it('any split gives the same lines as the whole input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (text, offsets) => {
          const bytes = Buffer.from(text, 'utf8');
          const a = new LineSplitter();
          const whole = [...a.push(bytes), ...a.end()];
          const b = new LineSplitter();
          const split: string[] = [];
          for (const c of splitAt(bytes, offsets)) split.push(...b.push(c));
          split.push(...b.end());
          assert.deepEqual(split, whole);
          assert.ok(whole.every((l) => !l.includes('\n')));
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('no super-linear regular expressions on 64 KiB lines', () => {
  // A quadratic pattern takes seconds on these; linear ones take a few milliseconds.
  const n = 64 * 1024;
  const cases: [string, () => unknown][] = [
    ['DOS: spaces after the time', () => parseDosLine(`01-01-20  10:00${' '.repeat(n)}x`)],
    [
      'Unix: spaces between columns',
      () => parseUnixLine(`-rw-r--r-- ${' '.repeat(n)}1 u g 1 Jan 1${' '.repeat(n)}`, NOW),
    ],
    ['Unix: long size', () => parseUnixLine(`-rw-r--r-- 1 u g ${'1'.repeat(n)} Jan 1 `, NOW)],
    ['MLSD: many facts', () => parseMlsdLine(`${'a=b;'.repeat(n / 4)}x`)],
  ];
  for (const [label, run] of cases) {
    it(label, () => {
      const start = performance.now();
      run();
      assert.ok(performance.now() - start < 1000, 'took longer than 1 s');
    });
  }
});
