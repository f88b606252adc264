import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListParser, parseList } from '../../src/protocol/listing/index.js';

const NOW = new Date('2024-06-15T12:00:00Z');

describe('ListParser', () => {
  it('detects a Unix listing after "total", skipping . and ..', () => {
    const p = new ListParser({ now: NOW });
    assert.equal(p.parseLine('total 12'), undefined);
    assert.equal(p.format, 'unix');
    assert.equal(p.parseLine('drwxr-xr-x    3 ftp      ftp          4096 Jun 10 09:00 .'), undefined);
    assert.equal(p.parseLine('drwxr-xr-x    9 ftp      ftp          4096 Jun 10 09:00 ..'), undefined);
    assert.equal(p.parseLine('-rw-r--r--    1 ftp      ftp            10 Jun 10 09:00 a.txt')?.name, 'a.txt');
  });

  it('detects DOS and MLSD listings', () => {
    const dos = new ListParser();
    assert.equal(dos.parseLine('01-16-20  03:47PM       <DIR>          Folder')?.type, 'directory');
    assert.equal(dos.format, 'dos');
    const mlsd = new ListParser();
    assert.equal(mlsd.parseLine('type=cdir;perm=el; .'), undefined);
    assert.equal(mlsd.format, 'mlsd');
    assert.equal(mlsd.parseLine('type=file;size=3; x')?.size, 3);
  });

  it('an unrecognised line before detection is unknown and does not fix the format', () => {
    const p = new ListParser({ now: NOW });
    assert.deepEqual(p.parseLine('Welcome to the listing'), {
      name: '',
      type: 'unknown',
      raw: 'Welcome to the listing',
    });
    assert.equal(p.parseLine(''), undefined);
    assert.equal(p.format, undefined);
    assert.equal(p.parseLine('01-16-20  03:47PM                 5 f')?.size, 5);
    assert.equal(p.format, 'dos');
  });

  it('keeps the detected format: a line of another format becomes unknown', () => {
    const p = new ListParser({ now: NOW });
    assert.equal(p.parseLine('-rw-r--r-- 1 u g 1 Jun 10 09:00 a')?.type, 'file');
    const other = '01-16-20  03:47PM                 5 f';
    assert.deepEqual(p.parseLine(other), { name: '', type: 'unknown', raw: other });
  });

  it('a forced format ignores others', () => {
    const p = new ListParser({ format: 'mlsd' });
    const unix = '-rw-r--r-- 1 u g 1 Jun 10 09:00 a';
    assert.deepEqual(p.parseLine(unix), { name: '', type: 'unknown', raw: unix });
    assert.equal(p.parseLine('type=dir; d')?.type, 'directory');
  });

  it('rejects a line with NUL whatever the format', () => {
    const line = 'type=file;x=a\0b; ok';
    assert.deepEqual(new ListParser({ format: 'mlsd' }).parseLine(line), { name: '', type: 'unknown', raw: line });
  });
});

describe('parseList', () => {
  it('parses a CRLF listing whose last line lacks CRLF', () => {
    const text =
      'total 8\r\n' +
      'drwxr-xr-x    2 ftp      ftp          4096 Jun 10 09:00 dir\r\n' +
      'lrwxrwxrwx    1 ftp      ftp             3 Jun 10 09:00 l -> dir\r\n' +
      '-rw-r--r--    1 ftp      ftp             7 Jun 10 09:00 last file';
    assert.deepEqual(
      parseList(text, { now: NOW }).map((f) => [f.name, f.type, f.target]),
      [
        ['dir', 'directory', undefined],
        ['l', 'symlink', 'dir'],
        ['last file', 'file', undefined],
      ],
    );
  });

  it('parses an LF-only MLSD listing and an empty one', () => {
    assert.deepEqual(
      parseList('type=cdir; .\ntype=pdir; ..\ntype=file;size=1; a\ntype=dir; b\n').map((f) => f.name),
      ['a', 'b'],
    );
    assert.deepEqual(parseList(''), []);
    assert.deepEqual(parseList('\r\n\r\n'), []);
  });
});
