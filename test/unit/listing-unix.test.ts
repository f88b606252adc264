import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FileInfo, ListParser, parseUnixLine } from '../../src/protocol/listing/index.js';
import { LineSplitter } from '../../src/protocol/lines.js';
import { chunkings, feedAll } from './support/feed.js';

const NOW = new Date('2024-06-15T12:00:00Z');
const d = (iso: string): Date => new Date(iso);
type Expected = Omit<FileInfo, 'raw'>;

// [server, line, expected entry without raw]
const fixtures: [string, string, Expected][] = [
  [
    'vsftpd file (zero-padded day, numeric ids)',
    '-rw-r--r--    1 1000     1000         1234 Jan 05 10:00 report.pdf',
    {
      name: 'report.pdf',
      type: 'file',
      size: 1234,
      modifiedAt: d('2024-01-05T10:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: '1000',
      group: '1000',
    },
  ],
  [
    'vsftpd hide_ids directory',
    'drwxr-xr-x    2 ftp      ftp          4096 Mar 11  2021 pub',
    {
      name: 'pub',
      type: 'directory',
      size: 4096,
      modifiedAt: d('2021-03-11T00:00:00Z'),
      modifiedPrecision: 'day',
      permissions: 'rwxr-xr-x',
      mode: 0o755,
      owner: 'ftp',
      group: 'ftp',
    },
  ],
  [
    'vsftpd symlink',
    'lrwxrwxrwx    1 0        0              11 Dec 24 09:15 latest -> releases/v2',
    {
      name: 'latest',
      type: 'symlink',
      size: 11,
      modifiedAt: d('2023-12-24T09:15:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rwxrwxrwx',
      mode: 0o777,
      owner: '0',
      group: '0',
      target: 'releases/v2',
    },
  ],
  [
    'proftpd file (space-padded day)',
    '-rw-r--r--   1 ftpuser  ftpgroup   524288 Jun  3 18:42 backup.tar.gz',
    {
      name: 'backup.tar.gz',
      type: 'file',
      size: 524288,
      modifiedAt: d('2024-06-03T18:42:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: 'ftpuser',
      group: 'ftpgroup',
    },
  ],
  [
    'proftpd directory with old year',
    'drwxrwxr-x   5 alice    staff        4096 Nov 30  2019 archive',
    {
      name: 'archive',
      type: 'directory',
      size: 4096,
      modifiedAt: d('2019-11-30T00:00:00Z'),
      modifiedPrecision: 'day',
      permissions: 'rwxrwxr-x',
      mode: 0o775,
      owner: 'alice',
      group: 'staff',
    },
  ],
  [
    'proftpd symlink to absolute path with spaces',
    'lrwxrwxrwx   1 alice    staff          21 Feb  1 08:00 my docs -> /srv/shared/my docs',
    {
      name: 'my docs',
      type: 'symlink',
      size: 21,
      modifiedAt: d('2024-02-01T08:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rwxrwxrwx',
      mode: 0o777,
      owner: 'alice',
      group: 'staff',
      target: '/srv/shared/my docs',
    },
  ],
  [
    'pure-ftpd wide columns',
    '-rw-r--r--    1 1000       1000              0 Jan 19 20:27 empty.txt',
    {
      name: 'empty.txt',
      type: 'file',
      size: 0,
      modifiedAt: d('2024-01-19T20:27:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: '1000',
      group: '1000',
    },
  ],
  [
    'pure-ftpd large file',
    '-rw-r--r--    1 backup     backup   5368709120 May 31 23:59 disk.img',
    {
      name: 'disk.img',
      type: 'file',
      size: 5368709120,
      modifiedAt: d('2024-05-31T23:59:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: 'backup',
      group: 'backup',
    },
  ],
  [
    'busybox ftpd',
    '-rwxr-xr-x    1 0        0           104512 Jan  1  1970 busybox',
    {
      name: 'busybox',
      type: 'file',
      size: 104512,
      modifiedAt: d('1970-01-01T00:00:00Z'),
      modifiedPrecision: 'day',
      permissions: 'rwxr-xr-x',
      mode: 0o755,
      owner: '0',
      group: '0',
    },
  ],
  [
    'busybox device file: major, minor instead of size',
    'crw-rw-rw-    1 0        0          1,   3 Jan  1 00:00 null',
    {
      name: 'null',
      type: 'unknown',
      modifiedAt: d('2024-01-01T00:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-rw-rw-',
      mode: 0o666,
      owner: '0',
      group: '0',
    },
  ],
  [
    'block device',
    'brw-rw----   1 root     disk       8,   0 Jun 15 06:01 sda',
    {
      name: 'sda',
      type: 'unknown',
      modifiedAt: d('2024-06-15T06:01:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-rw----',
      mode: 0o660,
      owner: 'root',
      group: 'disk',
    },
  ],
  [
    'missing group column',
    '-rw-r--r--   1 owner        1234 Jan 01 12:00 nogroup.txt',
    {
      name: 'nogroup.txt',
      type: 'file',
      size: 1234,
      modifiedAt: d('2024-01-01T12:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: 'owner',
    },
  ],
  [
    'POSIX ACL marker',
    '-rw-rw-r--+  1 bob      dev          42 Apr  2 14:00 acl.txt',
    {
      name: 'acl.txt',
      type: 'file',
      size: 42,
      modifiedAt: d('2024-04-02T14:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-rw-r--',
      mode: 0o664,
      owner: 'bob',
      group: 'dev',
    },
  ],
  [
    'macOS extended attribute marker',
    '-rw-r--r--@  1 carol    staff      1024 Apr  2 14:00 Photo.jpg',
    {
      name: 'Photo.jpg',
      type: 'file',
      size: 1024,
      modifiedAt: d('2024-04-02T14:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: 'carol',
      group: 'staff',
    },
  ],
  [
    'SELinux context marker',
    'drwxr-xr-x.  3 root     root        17 Apr  2 14:00 selinux',
    {
      name: 'selinux',
      type: 'directory',
      size: 17,
      modifiedAt: d('2024-04-02T14:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rwxr-xr-x',
      mode: 0o755,
      owner: 'root',
      group: 'root',
    },
  ],
  [
    'setuid, setgid and sticky bits',
    '-rwsr-sr-t   1 root     root       5000 Apr  2 14:00 special',
    {
      name: 'special',
      type: 'file',
      size: 5000,
      modifiedAt: d('2024-04-02T14:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rwsr-sr-t',
      mode: 0o7755,
      owner: 'root',
      group: 'root',
    },
  ],
  [
    'upper-case special bits without execute',
    'drwSr-Sr-T   2 root     root       4096 Apr  2 14:00 odd',
    {
      name: 'odd',
      type: 'directory',
      size: 4096,
      modifiedAt: d('2024-04-02T14:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rwSr-Sr-T',
      mode: 0o7644,
      owner: 'root',
      group: 'root',
    },
  ],
  [
    'name with leading, repeated and trailing spaces',
    '-rw-r--r--    1 ftp      ftp             3 Jun 10 09:00   two  spaces  ',
    {
      name: '  two  spaces  ',
      type: 'file',
      size: 3,
      modifiedAt: d('2024-06-10T09:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: 'ftp',
      group: 'ftp',
    },
  ],
  [
    'name with leading space after a year',
    '-rw-r--r--    1 ftp      ftp             3 Jun 10  2020  lead',
    {
      name: ' lead',
      type: 'file',
      size: 3,
      modifiedAt: d('2020-06-10T00:00:00Z'),
      modifiedPrecision: 'day',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: 'ftp',
      group: 'ftp',
    },
  ],
  [
    'unicode name',
    '-rw-r--r--    1 ftp      ftp            18 Jun 10 09:00 日本語 ファイル 😀.txt',
    {
      name: '日本語 ファイル 😀.txt',
      type: 'file',
      size: 18,
      modifiedAt: d('2024-06-10T09:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: 'ftp',
      group: 'ftp',
    },
  ],
  [
    'regular file whose name contains an arrow is not split',
    '-rw-r--r--    1 ftp      ftp             1 Jun 10 09:00 a -> b',
    {
      name: 'a -> b',
      type: 'file',
      size: 1,
      modifiedAt: d('2024-06-10T09:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: 'ftp',
      group: 'ftp',
    },
  ],
  [
    'name that looks like a year and digits',
    '-rw-r--r--    1 ftp      ftp             1 Jan  1  2021 2022 plan',
    {
      name: '2022 plan',
      type: 'file',
      size: 1,
      modifiedAt: d('2021-01-01T00:00:00Z'),
      modifiedPrecision: 'day',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: 'ftp',
      group: 'ftp',
    },
  ],
  [
    'named pipe',
    'prw-r--r--    1 ftp      ftp             0 Jun 10 09:00 fifo',
    {
      name: 'fifo',
      type: 'unknown',
      size: 0,
      modifiedAt: d('2024-06-10T09:00:00Z'),
      modifiedPrecision: 'minute',
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: 'ftp',
      group: 'ftp',
    },
  ],
  [
    'invalid calendar date keeps the entry without a date',
    '-rw-r--r--    1 ftp      ftp             1 Feb 30  2021 feb30',
    { name: 'feb30', type: 'file', size: 1, permissions: 'rw-r--r--', mode: 0o644, owner: 'ftp', group: 'ftp' },
  ],
];

describe('parseUnixLine fixtures', () => {
  for (const [label, line, expected] of fixtures) {
    it(label, () => {
      assert.deepEqual(parseUnixLine(line, NOW), { ...expected, raw: line });
    });
  }
});

describe('parseUnixLine year inference for "Mon DD HH:MM"', () => {
  const at = (line: string, now: string): string | undefined =>
    parseUnixLine(`-rw-r--r-- 1 u g 1 ${line} f`, new Date(now))?.modifiedAt?.toISOString();

  it('uses the current year when the date is not in the future', () => {
    assert.equal(at('Jun 15 11:00', '2024-06-15T12:00:00Z'), '2024-06-15T11:00:00.000Z');
  });
  it('allows up to one day ahead (clock skew, time zones)', () => {
    assert.equal(at('Jun 16 12:00', '2024-06-15T12:00:00Z'), '2024-06-16T12:00:00.000Z');
  });
  it('uses the previous year beyond one day ahead', () => {
    assert.equal(at('Jun 16 12:01', '2024-06-15T12:00:00Z'), '2023-06-16T12:01:00.000Z');
    assert.equal(at('Dec 31 23:00', '2024-01-02T00:00:00Z'), '2023-12-31T23:00:00.000Z');
  });
  it('crosses New Year forwards when within one day', () => {
    assert.equal(at('Jan  1 00:30', '2024-12-31T23:00:00Z'), '2025-01-01T00:30:00.000Z');
  });
  it('finds a leap year for Feb 29', () => {
    assert.equal(at('Feb 29 10:00', '2025-03-01T00:00:00Z'), '2024-02-29T10:00:00.000Z');
    assert.equal(at('Feb 29 10:00', '2024-03-01T00:00:00Z'), '2024-02-29T10:00:00.000Z');
  });
  it('drops impossible times', () => {
    assert.equal(at('Jun 10 25:00', '2024-06-15T12:00:00Z'), undefined);
    assert.equal(at('Jun 31 10:00', '2024-06-15T12:00:00Z'), undefined);
  });
});

describe('parseUnixLine skips and rejects', () => {
  it('skips total, dot entries and empty lines', () => {
    for (const line of [
      'total 0',
      'total 123456',
      'drwxr-xr-x 2 u g 4096 Jun 10 09:00 .',
      'drwxr-xr-x 9 u g 4096 Jun 10 09:00 ..',
      '',
      '   ',
    ]) {
      assert.equal(parseUnixLine(line, NOW), undefined, JSON.stringify(line));
    }
  });

  it('rejects names with "/" or NUL instead of returning a wrong name', () => {
    for (const line of [
      '-rw-r--r-- 1 u g 1 Jun 10 09:00 ../../etc/passwd',
      '-rw-r--r-- 1 u g 1 Jun 10 09:00 a/b',
      'lrwxrwxrwx 1 u g 1 Jun 10 09:00 dir/x -> y',
      '-rw-r--r-- 1 u g 1 Jun 10 09:00 a\0b',
      'lrwxrwxrwx 1 u g 1 Jun 10 09:00 x -> y\0z',
      '-rw-r--r-- 1 u g 1 Jun 10 09:00 ',
    ]) {
      assert.deepEqual(parseUnixLine(line, NOW), { name: '', type: 'unknown', raw: line }, JSON.stringify(line));
    }
  });

  it('marks lines that are not ls -l as unknown', () => {
    for (const line of [
      'hello world',
      '-rw-r--r-- 1 u g 1 Foo 10 09:00 badmonth',
      'xrw-r--r-- 1 u g 1 Jun 10 09:00 badtype',
      '-rw-r--r-x-- 1 u g 1 Jun 10 09:00 badperms',
      '01-16-20  03:47PM       <DIR>          Folder',
      'type=file;size=1; name',
    ]) {
      assert.deepEqual(parseUnixLine(line, NOW), { name: '', type: 'unknown', raw: line }, JSON.stringify(line));
    }
  });
});

// Real GNU ls output (coreutils 9.1, Debian 12) in other locales and time styles, generated with
// `LOCPATH=… LC_ALL=<locale>.UTF-8 TZ=UTC ls -l --time-style=locale` (and long-iso, full-iso, iso)
// for files dated 2026-11-05 10:00, 2026-10-07 09:30, 2026-08-03 09:30 (recent) and 2023-05-12 (old).
const LS_NOW = new Date('2026-12-01T12:00:00Z');
const RECENT = {
  recent: '2026-11-05T10:00:00Z',
  'two  spaces': '2026-10-07T09:30:00Z',
  aout: '2026-08-03T09:30:00Z',
} as const;
const OLD = '2023-05-12T00:00:00Z';
const dialects: Record<string, string[]> = {
  de_DE: [' 3. Aug 09:30 aout', '12. Mai 2023  old', ' 5. Nov 10:00 recent', ' 7. Okt 09:30 two  spaces'],
  fr_FR: [' 3 août  09:30 aout', '12 mai    2023 old', ' 5 nov.  10:00 recent', ' 7 oct.  09:30 two  spaces'],
  es_ES: ['ago  3 09:30 aout', 'may 12  2023 old', 'nov  5 10:00 recent', 'oct  7 09:30 two  spaces'],
  it_IT: [' 3 ago 09.30 aout', '12 mag  2023 old', ' 5 nov 10.00 recent', ' 7 ott 09.30 two  spaces'],
  pt_BR: ['ago  3 09:30 aout', 'mai 12  2023 old', 'nov  5 10:00 recent', 'out  7 09:30 two  spaces'],
  nl_NL: [' 3 aug 09:30 aout', '12 mei  2023 old', ' 5 nov 10:00 recent', ' 7 okt 09:30 two  spaces'],
  sv_SE: [' 3 aug 09.30 aout', '12 maj  2023 old', ' 5 nov 10.00 recent', ' 7 okt 09.30 two  spaces'],
  pl_PL: ['08-03 09:30 aout', '2023-05-12  old', '11-05 10:00 recent', '10-07 09:30 two  spaces'],
  ru_RU: ['авг  3 09:30 aout', 'мая 12  2023 old', 'ноя  5 10:00 recent', 'окт  7 09:30 two  spaces'],
  tr_TR: ['Ağu  3 09:30 aout', 'May 12  2023 old', 'Kas  5 10:00 recent', 'Eki  7 09:30 two  spaces'],
  ja_JP: [' 8月  3 09:30 aout', ' 5月 12  2023 old', '11月  5 10:00 recent', '10月  7 09:30 two  spaces'],
  zh_CN: [' 8月 3日 09:30 aout', '2023年 5月12日 old', '11月 5日 10:00 recent', '10月 7日 09:30 two  spaces'],
  ko_KR: [' 8월  3일  09:30 aout', '2023년  5월 12일 old', '11월  5일  10:00 recent', '10월  7일  09:30 two  spaces'],
  zh_TW: [' 8月  3 09:30 aout', ' 5月 12  2023 old', '11月  5 10:00 recent', '10月  7 09:30 two  spaces'],
  'long-iso': [
    '2026-08-03 09:30 aout',
    '2023-05-12 08:00 old',
    '2026-11-05 10:00 recent',
    '2026-10-07 09:30 two  spaces',
  ],
  iso: ['08-03 09:30 aout', '2023-05-12  old', '11-05 10:00 recent', '10-07 09:30 two  spaces'],
};

describe('parseUnixLine: GNU ls in other locales and time styles', () => {
  for (const [dialect, tails] of Object.entries(dialects)) {
    it(dialect, () => {
      for (const tail of tails) {
        const line = `-rw-r--r-- 1 root root 0 ${tail}`;
        const entry = parseUnixLine(line, LS_NOW);
        const name = tail.endsWith('two  spaces') ? 'two  spaces' : tail.slice(tail.lastIndexOf(' ') + 1);
        assert.equal(entry?.name, name, line);
        assert.equal(entry?.type, 'file', line);
        assert.equal(entry?.size, 0, line);
        const old = name === 'old';
        const expected = old
          ? dialect === 'long-iso'
            ? '2023-05-12T08:00:00Z'
            : OLD
          : RECENT[name as keyof typeof RECENT];
        assert.equal(entry?.modifiedAt?.toISOString(), new Date(expected).toISOString(), line);
        assert.equal(entry?.modifiedPrecision, old && dialect !== 'long-iso' ? 'day' : 'minute', line);
      }
    });
  }

  it('full-iso: seconds, fraction and the zone offset', () => {
    const cases: [string, string, string][] = [
      ['2026-11-05 10:00:00.000000000 +0000 recent', '2026-11-05T10:00:00.000Z', 'millisecond'],
      ['2026-11-05 11:00:00.000000000 +0100 recent', '2026-11-05T10:00:00.000Z', 'millisecond'],
      ['2026-10-07 11:30:00.000000000 +0200 recent', '2026-10-07T09:30:00.000Z', 'millisecond'],
      ['2024-02-29 23:59:58.123456789 -0130 recent', '2024-03-01T01:29:58.123Z', 'millisecond'],
      ['2024-01-05 10:00:07 recent', '2024-01-05T10:00:07.000Z', 'second'],
    ];
    for (const [tail, iso, precision] of cases) {
      const entry = parseUnixLine(`-rw-r--r-- 1 root root 5 ${tail}`, LS_NOW);
      assert.equal(entry?.name, 'recent', tail);
      assert.equal(entry?.modifiedAt?.toISOString(), iso, tail);
      assert.equal(entry?.modifiedPrecision, precision, tail);
    }
  });

  it("other spellings of the same months: Mär, févr., janv., déc., ene, sept., Chromium's Russian fixtures", () => {
    const cases: [string, string][] = [
      ['Mär  5 10:00', '2026-03-05T10:00:00Z'],
      ['5. Mär 2023 ', '2023-03-05T00:00:00Z'],
      ['févr. 12 10:00', '2026-02-12T10:00:00Z'],
      [' 5 janv.  2024', '2024-01-05T00:00:00Z'],
      ['24 déc.  2020', '2020-12-24T00:00:00Z'],
      ['ene  5 10:00', '2026-01-05T10:00:00Z'],
      ['05 Jan 10:00', '2026-01-05T10:00:00Z'],
      ['05 Jan  2021', '2021-01-05T00:00:00Z'],
      ['sept. 30  2022', '2022-09-30T00:00:00Z'],
      ['23 мая 2011', '2011-05-23T00:00:00Z'],
      ['19 окт 2011', '2011-10-19T00:00:00Z'],
      ['1月 5日 10:00', '2026-01-05T10:00:00Z'],
      ['5月 12 2023', '2023-05-12T00:00:00Z'],
    ];
    for (const [date, iso] of cases) {
      const line = `-rw-r--r-- 1 u g 7 ${date} file.txt`;
      const entry = parseUnixLine(line, LS_NOW);
      assert.equal(entry?.name, 'file.txt', line);
      assert.equal(entry?.modifiedAt?.toISOString(), new Date(iso).toISOString(), line);
    }
  });

  it('rejects what it cannot read instead of inventing a date or a name', () => {
    for (const line of [
      '-rw-r--r-- 1 u g 7 Foo  5 10:00 unknown-month',
      '-rw-r--r-- 1 u g 7 13月 5日 10:00 month-13',
      '-rw-r--r-- 1 u g 7 5 Xyz 2023 unknown-day-first',
      '-rw-r--r-- 1 u g 7 2024/01/05 10:00 slashes',
      '-rw-r--r-- 1 u g 7 Jan',
      '-rw-r--r-- 1 u g 7 Jan 5',
    ]) {
      assert.deepEqual(parseUnixLine(line, LS_NOW), { name: '', type: 'unknown', raw: line }, line);
    }
    // A well-formed line with an impossible calendar date keeps the entry, without a date.
    const entry = parseUnixLine('-rw-r--r-- 1 u g 7 2024-13-05 10:00 bad-iso-month', LS_NOW);
    assert.equal(entry?.name, 'bad-iso-month');
    assert.equal(entry?.modifiedAt, undefined);
  });
});

describe('localized listings through the line splitter, fed whole, at every offset and bytewise', () => {
  it('gives the same entries however the bytes arrive (multi-byte month names and names)', () => {
    const tails = [
      ...(dialects.zh_CN ?? []),
      ...(dialects.de_DE ?? []),
      ...(dialects.ru_RU ?? []),
      ...(dialects.ko_KR ?? []),
    ];
    const text = ['total 16', ...tails.map((t) => `-rw-r--r-- 1 root root 0 ${t}`)].join('\r\n') + '\r\n';
    const bytes = Buffer.from(text, 'utf8');
    const parse = (chunks: Buffer[]): string[] => {
      const splitter = new LineSplitter();
      const parser = new ListParser({ now: LS_NOW });
      const lines = [...feedAll(chunks, (c) => splitter.push(c)), ...splitter.end()];
      return lines.flatMap((l) => {
        const e = parser.parseLine(l);
        return e === undefined ? [] : [`${e.name}|${e.modifiedAt?.toISOString() ?? '-'}`];
      });
    };
    const expected = parse([bytes]);
    assert.equal(expected.length, tails.length);
    assert.ok(
      expected.every((e) => !e.endsWith('|-')),
      'every entry has a date',
    );
    for (const { label, chunks } of chunkings(bytes)) assert.deepEqual(parse(chunks), expected, label);
  });
});

describe('parseUnixLine columns that repeat or do not fit', () => {
  it('keeps owner, group and permissions exact for many distinct and long values (beyond any sharing)', () => {
    const perms = ['rw-r--r--', 'rwxr-x---', 'r--------', 'rwsr-xr-t'];
    const long = 'o'.repeat(40);
    for (let i = 0; i < 3000; i++) {
      const owner = i === 1500 ? long : `user${i}`;
      const p = perms[i % perms.length] ?? '';
      const line = `-${p}    1 ${owner}     grp${i % 7}    ${i} Jun 10 09:00 f${i}`;
      const e = parseUnixLine(line, NOW);
      assert.deepEqual(
        [e?.name, e?.owner, e?.group, e?.permissions, e?.size],
        [`f${i}`, owner, `grp${i % 7}`, p, i],
        line,
      );
    }
  });

  it('gives every permission string its own mode, repeated or not, more of them than are remembered', () => {
    // All 6,144 strings ls can print (more than the mode cache keeps), each twice: a second read must
    // give what the first did, and both what the letters say.
    const choices = [['r-'], ['w-'], ['xsS-'], ['r-'], ['w-'], ['xsSlL-'], ['r-'], ['w-'], ['xtT-']].map(([c]) => [
      ...(c ?? ''),
    ]);
    let all = [''];
    for (const c of choices) all = all.flatMap((p) => c.map((ch) => p + ch));
    assert.equal(all.length, 6144);
    const expected = (p: string): number => {
      let mode = 0;
      for (let i = 0; i < 9; i++) if ('rwxst'.includes(p[i] ?? '-')) mode |= 0o400 >> i;
      if ('sS'.includes(p[2] ?? '')) mode |= 0o4000;
      if ('sSlL'.includes(p[5] ?? '')) mode |= 0o2000;
      if ('tT'.includes(p[8] ?? '')) mode |= 0o1000;
      return mode;
    };
    for (const round of [1, 2])
      for (const p of all)
        assert.equal(parseUnixLine(`-${p} 1 u g 1 Jun 10 09:00 f`, NOW)?.mode, expected(p), `${p} #${round}`);
  });

  it('leaves out a size a JS number cannot hold exactly, keeping the rest of the entry', () => {
    const line = '-rw-r--r--    1 ftp      ftp      9007199254740993 Jun 10 09:00 huge';
    assert.deepEqual(parseUnixLine(line, NOW), {
      name: 'huge',
      type: 'file',
      raw: line,
      permissions: 'rw-r--r--',
      mode: 0o644,
      owner: 'ftp',
      group: 'ftp',
      modifiedAt: new Date('2024-06-10T09:00:00Z'),
      modifiedPrecision: 'minute',
    });
  });

  it('gives each entry a Date of its own (mutating one leaves the others alone)', () => {
    const p = new ListParser({ now: NOW });
    const a = p.parseLine('-rw-r--r-- 1 u g 1 Jun 10 09:00 a');
    const b = p.parseLine('-rw-r--r-- 1 u g 1 Jun 10 09:00 b');
    a?.modifiedAt?.setUTCFullYear(2000);
    assert.equal(b?.modifiedAt?.toISOString(), '2024-06-10T09:00:00.000Z');
  });
});
