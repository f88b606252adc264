import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FileInfo, parseDosLine } from '../../src/protocol/listing/index.js';

const d = (iso: string): Date => new Date(iso);
type Expected = Omit<FileInfo, 'raw'>;

const fixtures: [string, string, Expected][] = [
  [
    'IIS directory, 2-digit year, PM',
    '01-16-20  03:47PM       <DIR>          Folder',
    { name: 'Folder', type: 'directory', modifiedAt: d('2020-01-16T15:47:00Z'), modifiedPrecision: 'minute' },
  ],
  [
    'IIS file',
    '01-16-20  03:47PM                 1234 file.txt',
    { name: 'file.txt', type: 'file', size: 1234, modifiedAt: d('2020-01-16T15:47:00Z'), modifiedPrecision: 'minute' },
  ],
  [
    'IIS file from 1998',
    '10-23-98  11:06AM                 2048 readme.htm',
    {
      name: 'readme.htm',
      type: 'file',
      size: 2048,
      modifiedAt: d('1998-10-23T11:06:00Z'),
      modifiedPrecision: 'minute',
    },
  ],
  [
    'IIS year 00',
    '04-27-00  09:09PM       <DIR>          licensed',
    { name: 'licensed', type: 'directory', modifiedAt: d('2000-04-27T21:09:00Z'), modifiedPrecision: 'minute' },
  ],
  [
    'IIS 4-digit year, 24-hour clock',
    '01-16-2020  15:47       <DIR>          Folder 2',
    { name: 'Folder 2', type: 'directory', modifiedAt: d('2020-01-16T15:47:00Z'), modifiedPrecision: 'minute' },
  ],
  [
    'thousands separators',
    '12-31-2019  11:59PM       1,234,567 big file.iso',
    {
      name: 'big file.iso',
      type: 'file',
      size: 1234567,
      modifiedAt: d('2019-12-31T23:59:00Z'),
      modifiedPrecision: 'minute',
    },
  ],
  [
    'dot thousands separators',
    '12-31-2019  11:59PM       1.234.567 dotted.bin',
    {
      name: 'dotted.bin',
      type: 'file',
      size: 1234567,
      modifiedAt: d('2019-12-31T23:59:00Z'),
      modifiedPrecision: 'minute',
    },
  ],
  [
    '12 AM is midnight',
    '01-01-70  12:00AM                    0 epoch',
    { name: 'epoch', type: 'file', size: 0, modifiedAt: d('1970-01-01T00:00:00Z'), modifiedPrecision: 'minute' },
  ],
  [
    '12 PM is noon, 69 is 2069',
    '06-15-69  12:30PM                    1 y69',
    { name: 'y69', type: 'file', size: 1, modifiedAt: d('2069-06-15T12:30:00Z'), modifiedPrecision: 'minute' },
  ],
  [
    'space before AM',
    '07-04-2021  09:05 AM      12345 spaced ampm.txt',
    {
      name: 'spaced ampm.txt',
      type: 'file',
      size: 12345,
      modifiedAt: d('2021-07-04T09:05:00Z'),
      modifiedPrecision: 'minute',
    },
  ],
  [
    'inner and trailing spaces kept',
    '07-04-2021  13:05       <DIR>          a  b  ',
    { name: 'a  b  ', type: 'directory', modifiedAt: d('2021-07-04T13:05:00Z'), modifiedPrecision: 'minute' },
  ],
  [
    'unicode name',
    '07-04-2021  13:05                  10 Résumé 日本.docx',
    {
      name: 'Résumé 日本.docx',
      type: 'file',
      size: 10,
      modifiedAt: d('2021-07-04T13:05:00Z'),
      modifiedPrecision: 'minute',
    },
  ],
  [
    'impossible date keeps the entry without a date',
    '02-29-2021  10:00AM                  5 notleap',
    { name: 'notleap', type: 'file', size: 5 },
  ],
  ['13 PM is not a time', '02-28-2021  13:00PM                  5 badtime', { name: 'badtime', type: 'file', size: 5 }],
];

describe('parseDosLine fixtures', () => {
  for (const [label, line, expected] of fixtures) {
    it(label, () => {
      assert.deepEqual(parseDosLine(line), { ...expected, raw: line });
    });
  }
});

describe('parseDosLine skips and rejects', () => {
  it('skips dot entries and empty lines', () => {
    for (const line of ['01-16-20  03:47PM       <DIR>          .', '01-16-20  03:47PM       <DIR>          ..', '']) {
      assert.equal(parseDosLine(line), undefined);
    }
  });

  it('rejects unsafe names and non-DOS lines as unknown', () => {
    for (const line of [
      '01-16-20  03:47PM       <DIR>          a/b',
      '01-16-20  03:47PM                 12 nul\0name',
      '01-16-20  03:47PM                 1,23 badsize',
      '01-16-20  03:47PM                 1,234.567 mixed',
      '-rw-r--r-- 1 u g 1 Jun 10 09:00 unix',
      'type=file;size=1; name',
      'Volume in drive C has no label.',
    ]) {
      assert.deepEqual(parseDosLine(line), { name: '', type: 'unknown', raw: line }, JSON.stringify(line));
    }
  });
});
