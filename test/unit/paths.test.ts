import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/errors.js';
import { joinRemotePath, parsePwdReply } from '../../src/protocol/paths.js';

describe('parsePwdReply', () => {
  const ok: [string, string][] = [
    ['"/" is the current directory', '/'],
    ['"/home/ftp" is current directory.', '/home/ftp'],
    ['257 "/home/ftp"', '/home/ftp'],
    ['"/usr/dm/pathname" created.', '/usr/dm/pathname'],
    ['"/a ""quoted"" dir" is current directory', '/a "quoted" dir'],
    ['"""/start" x', '"/start'],
    ['"/end""" x', '/end"'],
    ['"/sp aces/ünï 日本" ok', '/sp aces/ünï 日本'],
    ['MKD command successful: "/new"', '/new'],
    ['"C:/inetpub/ftproot" is current directory.', 'C:/inetpub/ftproot'],
  ];
  for (const [text, path] of ok) {
    it(`reads ${JSON.stringify(text)}`, () => {
      assert.equal(parsePwdReply(text), path);
    });
  }

  for (const text of ['/home/ftp is the current directory', '"/unterminated', '"" empty', '', '"a\0b"']) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parsePwdReply(text),
        (e: unknown) => e instanceof ProtocolError && e.code === 'ERR_FTPS_PROTOCOL',
      );
    });
  }
});

describe('joinRemotePath', () => {
  const table: [string, string, string][] = [
    ['/', 'a', '/a'],
    ['/home', 'a.txt', '/home/a.txt'],
    ['/home/', 'a.txt', '/home/a.txt'],
    ['/home//', '/a.txt', '/home/a.txt'],
    ['rel', 'x y', 'rel/x y'],
    ['/a', '..', '/a/..'],
    ['', 'a', 'a'],
    ['/a', '', '/a'],
    ['/a', 'b/c', '/a/b/c'],
  ];
  for (const [dir, name, expected] of table) {
    it(`${JSON.stringify(dir)} + ${JSON.stringify(name)}`, () => {
      assert.equal(joinRemotePath(dir, name), expected);
    });
  }
});
