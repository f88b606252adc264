import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FileInfo, parseUnixLine } from '../../src/protocol/listing/index.js';

const NOW = new Date('2024-06-15T12:00:00Z');
const d = (iso: string): Date => new Date(iso);
type Expected = Omit<FileInfo, 'raw'>;

// [server, line, expected entry without raw]
const fixtures: [string, string, Expected][] = [
  [
    'vsftpd file (zero-padded day, numeric ids)',
    '-rw-r--r--    1 1000     1000         1234 Jan 05 10:00 report.pdf',
    { name: 'report.pdf', type: 'file', size: 1234, modifiedAt: d('2024-01-05T10:00:00Z'), modifiedPrecision: 'minute', permissions: 'rw-r--r--', mode: 0o644, owner: '1000', group: '1000' },
  ],
  [
    'vsftpd hide_ids directory',
    'drwxr-xr-x    2 ftp      ftp          4096 Mar 11  2021 pub',
    { name: 'pub', type: 'directory', size: 4096, modifiedAt: d('2021-03-11T00:00:00Z'), modifiedPrecision: 'day', permissions: 'rwxr-xr-x', mode: 0o755, owner: 'ftp', group: 'ftp' },
  ],
  [
    'vsftpd symlink',
    'lrwxrwxrwx    1 0        0              11 Dec 24 09:15 latest -> releases/v2',
    { name: 'latest', type: 'symlink', size: 11, modifiedAt: d('2023-12-24T09:15:00Z'), modifiedPrecision: 'minute', permissions: 'rwxrwxrwx', mode: 0o777, owner: '0', group: '0', target: 'releases/v2' },
  ],
  [
    'proftpd file (space-padded day)',
    '-rw-r--r--   1 ftpuser  ftpgroup   524288 Jun  3 18:42 backup.tar.gz',
    { name: 'backup.tar.gz', type: 'file', size: 524288, modifiedAt: d('2024-06-03T18:42:00Z'), modifiedPrecision: 'minute', permissions: 'rw-r--r--', mode: 0o644, owner: 'ftpuser', group: 'ftpgroup' },
  ],
  [
    'proftpd directory with old year',
    'drwxrwxr-x   5 alice    staff        4096 Nov 30  2019 archive',
    { name: 'archive', type: 'directory', size: 4096, modifiedAt: d('2019-11-30T00:00:00Z'), modifiedPrecision: 'day', permissions: 'rwxrwxr-x', mode: 0o775, owner: 'alice', group: 'staff' },
  ],
  [
    'proftpd symlink to absolute path with spaces',
    'lrwxrwxrwx   1 alice    staff          21 Feb  1 08:00 my docs -> /srv/shared/my docs',
    { name: 'my docs', type: 'symlink', size: 21, modifiedAt: d('2024-02-01T08:00:00Z'), modifiedPrecision: 'minute', permissions: 'rwxrwxrwx', mode: 0o777, owner: 'alice', group: 'staff', target: '/srv/shared/my docs' },
  ],
  [
    'pure-ftpd wide columns',
    '-rw-r--r--    1 1000       1000              0 Jan 19 20:27 empty.txt',
    { name: 'empty.txt', type: 'file', size: 0, modifiedAt: d('2024-01-19T20:27:00Z'), modifiedPrecision: 'minute', permissions: 'rw-r--r--', mode: 0o644, owner: '1000', group: '1000' },
  ],
  [
    'pure-ftpd large file',
    '-rw-r--r--    1 backup     backup   5368709120 May 31 23:59 disk.img',
    { name: 'disk.img', type: 'file', size: 5368709120, modifiedAt: d('2024-05-31T23:59:00Z'), modifiedPrecision: 'minute', permissions: 'rw-r--r--', mode: 0o644, owner: 'backup', group: 'backup' },
  ],
  [
    'busybox ftpd',
    '-rwxr-xr-x    1 0        0           104512 Jan  1  1970 busybox',
    { name: 'busybox', type: 'file', size: 104512, modifiedAt: d('1970-01-01T00:00:00Z'), modifiedPrecision: 'day', permissions: 'rwxr-xr-x', mode: 0o755, owner: '0', group: '0' },
  ],
  [
    'busybox device file: major, minor instead of size',
    'crw-rw-rw-    1 0        0          1,   3 Jan  1 00:00 null',
    { name: 'null', type: 'unknown', modifiedAt: d('2024-01-01T00:00:00Z'), modifiedPrecision: 'minute', permissions: 'rw-rw-rw-', mode: 0o666, owner: '0', group: '0' },
  ],
  [
    'block device',
    'brw-rw----   1 root     disk       8,   0 Jun 15 06:01 sda',
    { name: 'sda', type: 'unknown', modifiedAt: d('2024-06-15T06:01:00Z'), modifiedPrecision: 'minute', permissions: 'rw-rw----', mode: 0o660, owner: 'root', group: 'disk' },
  ],
  [
    'missing group column',
    '-rw-r--r--   1 owner        1234 Jan 01 12:00 nogroup.txt',
    { name: 'nogroup.txt', type: 'file', size: 1234, modifiedAt: d('2024-01-01T12:00:00Z'), modifiedPrecision: 'minute', permissions: 'rw-r--r--', mode: 0o644, owner: 'owner' },
  ],
  [
    'POSIX ACL marker',
    '-rw-rw-r--+  1 bob      dev          42 Apr  2 14:00 acl.txt',
    { name: 'acl.txt', type: 'file', size: 42, modifiedAt: d('2024-04-02T14:00:00Z'), modifiedPrecision: 'minute', permissions: 'rw-rw-r--', mode: 0o664, owner: 'bob', group: 'dev' },
  ],
  [
    'macOS extended attribute marker',
    '-rw-r--r--@  1 carol    staff      1024 Apr  2 14:00 Photo.jpg',
    { name: 'Photo.jpg', type: 'file', size: 1024, modifiedAt: d('2024-04-02T14:00:00Z'), modifiedPrecision: 'minute', permissions: 'rw-r--r--', mode: 0o644, owner: 'carol', group: 'staff' },
  ],
  [
    'SELinux context marker',
    'drwxr-xr-x.  3 root     root        17 Apr  2 14:00 selinux',
    { name: 'selinux', type: 'directory', size: 17, modifiedAt: d('2024-04-02T14:00:00Z'), modifiedPrecision: 'minute', permissions: 'rwxr-xr-x', mode: 0o755, owner: 'root', group: 'root' },
  ],
  [
    'setuid, setgid and sticky bits',
    '-rwsr-sr-t   1 root     root       5000 Apr  2 14:00 special',
    { name: 'special', type: 'file', size: 5000, modifiedAt: d('2024-04-02T14:00:00Z'), modifiedPrecision: 'minute', permissions: 'rwsr-sr-t', mode: 0o7755, owner: 'root', group: 'root' },
  ],
  [
    'upper-case special bits without execute',
    'drwSr-Sr-T   2 root     root       4096 Apr  2 14:00 odd',
    { name: 'odd', type: 'directory', size: 4096, modifiedAt: d('2024-04-02T14:00:00Z'), modifiedPrecision: 'minute', permissions: 'rwSr-Sr-T', mode: 0o7644, owner: 'root', group: 'root' },
  ],
  [
    'name with leading, repeated and trailing spaces',
    '-rw-r--r--    1 ftp      ftp             3 Jun 10 09:00   two  spaces  ',
    { name: '  two  spaces  ', type: 'file', size: 3, modifiedAt: d('2024-06-10T09:00:00Z'), modifiedPrecision: 'minute', permissions: 'rw-r--r--', mode: 0o644, owner: 'ftp', group: 'ftp' },
  ],
  [
    'name with leading space after a year',
    '-rw-r--r--    1 ftp      ftp             3 Jun 10  2020  lead',
    { name: ' lead', type: 'file', size: 3, modifiedAt: d('2020-06-10T00:00:00Z'), modifiedPrecision: 'day', permissions: 'rw-r--r--', mode: 0o644, owner: 'ftp', group: 'ftp' },
  ],
  [
    'unicode name',
    '-rw-r--r--    1 ftp      ftp            18 Jun 10 09:00 日本語 ファイル 😀.txt',
    { name: '日本語 ファイル 😀.txt', type: 'file', size: 18, modifiedAt: d('2024-06-10T09:00:00Z'), modifiedPrecision: 'minute', permissions: 'rw-r--r--', mode: 0o644, owner: 'ftp', group: 'ftp' },
  ],
  [
    'regular file whose name contains an arrow is not split',
    '-rw-r--r--    1 ftp      ftp             1 Jun 10 09:00 a -> b',
    { name: 'a -> b', type: 'file', size: 1, modifiedAt: d('2024-06-10T09:00:00Z'), modifiedPrecision: 'minute', permissions: 'rw-r--r--', mode: 0o644, owner: 'ftp', group: 'ftp' },
  ],
  [
    'name that looks like a year and digits',
    '-rw-r--r--    1 ftp      ftp             1 Jan  1  2021 2022 plan',
    { name: '2022 plan', type: 'file', size: 1, modifiedAt: d('2021-01-01T00:00:00Z'), modifiedPrecision: 'day', permissions: 'rw-r--r--', mode: 0o644, owner: 'ftp', group: 'ftp' },
  ],
  [
    'named pipe',
    'prw-r--r--    1 ftp      ftp             0 Jun 10 09:00 fifo',
    { name: 'fifo', type: 'unknown', size: 0, modifiedAt: d('2024-06-10T09:00:00Z'), modifiedPrecision: 'minute', permissions: 'rw-r--r--', mode: 0o644, owner: 'ftp', group: 'ftp' },
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
    for (const line of ['total 0', 'total 123456', 'drwxr-xr-x 2 u g 4096 Jun 10 09:00 .', 'drwxr-xr-x 9 u g 4096 Jun 10 09:00 ..', '', '   ']) {
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
