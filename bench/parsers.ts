/**
 * Parser scaling benchmark: every parser in src/protocol, timed on an input of size n and of size
 * 4n, hostile shapes included (one FEAT key repeated with new values, a reply fed one byte at a
 * time, long runs of digits, commas and spaces for PASV, quotes for 257, long listing lines). A
 * linear parser takes about 4x as long at 4n; a quadratic one about 16x. Not a test: timings
 * depend on the machine and its load, so the ratio is reported and judged, never asserted.
 *
 *   npm run bench:parsers              full sizes, median of 7 runs
 *   npm run bench:parsers -- --quick   small sizes, 3 runs (seconds; proves it works)
 *
 * Ratios above --fail-ratio (default 8: between linear 4 and quadratic 16) are marked; with --check
 * the run then exits 1 (off by default: on a loaded machine one GC pause can push a linear case over).
 */
import { parseFeatReply } from '../src/protocol/feat.js';
import { parseHashReply } from '../src/protocol/hash.js';
import { LineSplitter } from '../src/protocol/lines.js';
import { ListParser, parseMlsdLine, parseDosLine, parseUnixLine } from '../src/protocol/listing/index.js';
import { parseEpsvReply, parsePasvReply } from '../src/protocol/passive.js';
import { parsePwdReply } from '../src/protocol/paths.js';
import { ReplyParser, type FtpReply } from '../src/protocol/reply.js';
import { parseSizeReply } from '../src/protocol/size.js';
import { parseMdtmTime } from '../src/protocol/time.js';

interface Case {
  name: string;
  /** Builds the input for size n (bytes, roughly) and returns the work to time. */
  prepare(n: number): () => void;
}

const quiet = (fn: () => unknown): void => {
  try {
    fn();
  } catch {
    // Hostile inputs may be refused: the time to refuse them is what counts.
  }
};

function replyOf(lines: string[]): FtpReply {
  const code = 211;
  return { code, lines, text: lines.join('\n') };
}

function featLines(n: number, line: (i: number) => string): string[] {
  const lines = ['211-Features:'];
  let size = 0;
  for (let i = 0; size < n; i++) {
    const l = line(i);
    lines.push(l);
    size += l.length + 2;
  }
  lines.push('211 End');
  return lines;
}

/** A multi-line reply of about n bytes, as wire bytes. */
function wireReply(n: number): Buffer {
  return Buffer.from(`${featLines(n, (i) => ` FEATURE${i} ${'x'.repeat(60)}`).join('\r\n')}\r\n`, 'latin1');
}

function feedChunks(buf: Buffer, size: number, push: (b: Buffer) => unknown): void {
  for (let i = 0; i < buf.length; i += size) push(buf.subarray(i, i + size));
}

const CASES: Case[] = [
  {
    name: 'ReplyParser: multi-line reply, one chunk',
    prepare: (n) => {
      const buf = wireReply(n);
      return () => new ReplyParser({ maxReplyBytes: 2 * buf.length }).push(buf);
    },
  },
  {
    name: 'ReplyParser: multi-line reply, 1-byte chunks',
    prepare: (n) => {
      const buf = wireReply(n / 8);
      return () => {
        const p = new ReplyParser({ maxReplyBytes: 2 * buf.length });
        feedChunks(buf, 1, (b) => p.push(b));
      };
    },
  },
  {
    name: 'ReplyParser: one long line, 1-byte chunks',
    prepare: (n) => {
      const buf = Buffer.from(`200 ${'a'.repeat(n / 8)}\r\n`);
      return () => {
        const p = new ReplyParser({ maxReplyBytes: 2 * buf.length });
        feedChunks(buf, 1, (b) => p.push(b));
      };
    },
  },
  {
    name: 'ReplyParser: many one-line replies, one chunk',
    prepare: (n) => {
      const buf = Buffer.from('100 still working\r\n'.repeat(n / 19));
      return () => new ReplyParser().push(buf);
    },
  },
  {
    name: 'LineSplitter: listing lines, 64 KiB chunks',
    prepare: (n) => {
      const buf = Buffer.from('-rw-r--r-- 1 owner group 1234 Jan  5 10:00 some-file-name.txt\r\n'.repeat(n / 62));
      return () => {
        const s = new LineSplitter();
        feedChunks(buf, 65536, (b) => s.push(b));
        s.end();
      };
    },
  },
  {
    name: 'LineSplitter: one long line, 1-byte chunks',
    prepare: (n) => {
      const buf = Buffer.from(`${'a'.repeat(n / 8)}\n`);
      return () => {
        const s = new LineSplitter({ maxLineBytes: 2 * buf.length });
        feedChunks(buf, 1, (b) => s.push(b));
      };
    },
  },
  {
    name: 'FEAT: distinct features',
    prepare: (n) => {
      const reply = replyOf(featLines(n, (i) => ` FEAT${i} param;${i}`));
      return () => parseFeatReply(reply);
    },
  },
  {
    name: 'FEAT: one key, every line a new value',
    prepare: (n) => {
      const reply = replyOf(featLines(n, (i) => ` AUTH V${i}`));
      return () => parseFeatReply(reply);
    },
  },
  {
    name: 'FEAT: one key, the same value repeated',
    prepare: (n) => {
      const reply = replyOf(featLines(n, () => ' AUTH TLS'));
      return () => parseFeatReply(reply);
    },
  },
  {
    name: 'FEAT: "211-" prefix on every line',
    prepare: (n) => {
      const reply = replyOf(featLines(n, (i) => `211-F${i} x`));
      return () => parseFeatReply(reply);
    },
  },
  {
    name: 'FEAT: one long line of spaces',
    prepare: (n) => {
      const reply = replyOf(['211-Features:', ' '.repeat(n), '211 End']);
      return () => parseFeatReply(reply);
    },
  },
  {
    name: 'PASV: digits and commas, no valid address',
    prepare: (n) => {
      const text = `Entering Passive Mode (${'1,'.repeat(n / 2)}`;
      return () => quiet(() => parsePasvReply(text));
    },
  },
  {
    name: 'PASV: commas with spaces, no valid address',
    prepare: (n) => {
      const text = `Entering Passive Mode ${'1 ,  '.repeat(n / 5)}x`;
      return () => quiet(() => parsePasvReply(text));
    },
  },
  {
    name: 'PASV: long run of digits',
    prepare: (n) => {
      const text = `Entering Passive Mode ${'9'.repeat(n)}`;
      return () => quiet(() => parsePasvReply(text));
    },
  },
  {
    name: 'PASV: spaces, then an address',
    prepare: (n) => {
      const text = `${' '.repeat(n)}(127,0,0,1,4,1)`;
      return () => quiet(() => parsePasvReply(text));
    },
  },
  {
    name: 'EPSV: repeated delimiters, no port',
    prepare: (n) => {
      const text = `Entering Extended Passive Mode (${'|||'.repeat(n / 3)}`;
      return () => quiet(() => parseEpsvReply(text));
    },
  },
  {
    name: 'EPSV: long run of digits',
    prepare: (n) => {
      const text = `(|||${'1'.repeat(n)}`;
      return () => quiet(() => parseEpsvReply(text));
    },
  },
  {
    name: '257 path: long quoted path',
    prepare: (n) => {
      const text = `"/${'a'.repeat(n)}" is the current directory`;
      return () => parsePwdReply(text);
    },
  },
  {
    name: '257 path: doubled quotes',
    prepare: (n) => {
      const text = `"${'""'.repeat(n / 2)}a"`;
      return () => parsePwdReply(text);
    },
  },
  {
    name: 'SIZE reply: long digits',
    prepare: (n) => {
      const text = '1'.repeat(n);
      return () => quiet(() => parseSizeReply(text));
    },
  },
  {
    name: 'MDTM reply: long digits',
    prepare: (n) => {
      const text = `20240101000000.${'1'.repeat(n)}`;
      return () => parseMdtmTime(text);
    },
  },
  {
    name: 'HASH reply: long text',
    prepare: (n) => {
      const text = `SHA-256 0-${'9'.repeat(n)} ${'a'.repeat(64)} /file`;
      return () => quiet(() => parseHashReply({ text }, 'SHA-256'));
    },
  },
  {
    name: 'Unix line: long name',
    prepare: (n) => {
      const line = `-rw-r--r-- 1 owner group 1234 Jan  5 10:00 ${'n'.repeat(n)}`;
      const now = new Date();
      return () => parseUnixLine(line, now);
    },
  },
  {
    name: 'Unix line: long run of spaces',
    prepare: (n) => {
      const line = `-rw-r--r-- 1 owner ${' '.repeat(n)}x`;
      const now = new Date();
      return () => parseUnixLine(line, now);
    },
  },
  {
    name: 'Unix line: many numeric columns',
    prepare: (n) => {
      const line = `-rw-r--r-- ${'1 '.repeat(n / 2)}x`;
      const now = new Date();
      return () => parseUnixLine(line, now);
    },
  },
  {
    name: 'DOS line: long run of spaces',
    prepare: (n) => {
      const line = `01-05-24  10:00AM ${' '.repeat(n)}x`;
      return () => parseDosLine(line);
    },
  },
  {
    name: 'MLSD line: many facts',
    prepare: (n) => {
      const line = `${'x.fact=value;'.repeat(n / 13)}type=file;size=1; name`;
      return () => parseMlsdLine(line);
    },
  },
  {
    name: 'MLSD line: long fact, no space',
    prepare: (n) => {
      const line = `type=${'a'.repeat(n)}`;
      return () => parseMlsdLine(line);
    },
  },
  {
    name: 'ListParser: many lines (auto-detect)',
    prepare: (n) => {
      const lines = Array.from(
        { length: Math.max(1, Math.floor(n / 60)) },
        (_, i) => `-rw-r--r-- 1 owner group ${i} Jan  5 10:00 file-${i}.txt`,
      );
      return () => {
        const p = new ListParser();
        for (const l of lines) p.parseLine(l);
      };
    },
  },
  {
    name: 'ListParser: one unparseable long line',
    prepare: (n) => {
      const line = `${'drwx 1 2 3 '.repeat(n / 11)}`;
      return () => new ListParser().parseLine(line);
    },
  },
];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Median time of `runs` runs, each repeating the work until it took at least `minMs`. */
function measure(work: () => void, runs: number, minMs: number): number {
  work(); // warm-up (JIT)
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    let reps = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      work();
      reps++;
      elapsed = performance.now() - start;
    } while (elapsed < minMs);
    samples.push(elapsed / reps);
  }
  return median(samples);
}

export interface ParserBenchRow {
  name: string;
  n: number;
  msAtN: number;
  msAt4N: number;
  ratio: number;
}

export function runParserBench({ quick = false } = {}): ParserBenchRow[] {
  const n = quick ? 16 * 1024 : 256 * 1024;
  const runs = quick ? 3 : 7;
  const minMs = quick ? 5 : 50;
  return CASES.map((c) => {
    const once = (): ParserBenchRow => {
      const msAtN = measure(c.prepare(n), runs, minMs);
      const msAt4N = measure(c.prepare(4 * n), runs, minMs);
      return { name: c.name, n, msAtN, msAt4N, ratio: msAt4N / msAtN };
    };
    // A GC pause or a busy neighbour can spoil one pair of timings: a suspicious ratio is measured
    // twice more and the lowest kept (a parser that is really superlinear stays so every time).
    let row = once();
    for (let retry = 0; retry < 2 && row.ratio > 6; retry++) {
      const again = once();
      if (again.ratio < row.ratio) row = again;
    }
    return row;
  });
}

export function formatParserBench(rows: ParserBenchRow[], failRatio: number): string {
  const n = rows[0]?.n ?? 0;
  const out = [
    `| parser (input of n = ${n / 1024} KiB and 4n) | time at n | time at 4n | ratio |`,
    '| --- | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.msAtN.toFixed(3)} ms | ${r.msAt4N.toFixed(3)} ms | ${r.ratio.toFixed(1)}${r.ratio > failRatio ? ' (superlinear)' : ''} |`,
    ),
    '',
    `Linear ≈ 4, quadratic ≈ 16; above ${failRatio} counts as superlinear. Timings on a shared, loaded machine are noisy.`,
  ];
  return out.join('\n');
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''));
if (isMain) {
  const quick = process.argv.includes('--quick');
  const i = process.argv.indexOf('--fail-ratio');
  const failRatio = i === -1 ? 8 : Number(process.argv[i + 1]);
  const rows = runParserBench({ quick });
  console.log(formatParserBench(rows, failRatio));
  const bad = rows.filter((r) => r.ratio > failRatio);
  if (bad.length > 0) {
    if (process.argv.includes('--check')) process.exitCode = 1;
    console.error(`[bench:parsers] superlinear: ${bad.map((r) => r.name).join('; ')}`);
  }
}
