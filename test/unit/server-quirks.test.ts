// quirksFor (session/server-quirks.ts): which greeting gets which quirks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_QUIRKS, quirksFor } from '../../src/session/server-quirks.js';

test("vsftpd's stock greeting: waits for the client's close_notify, keeps nothing of a cut listing, queues commands", () => {
  for (const [text, server] of [
    ['(vsFTPd 3.0.3)', 'vsftpd 3.0.3'],
    ['(vsFTPd 3.0.5)', 'vsftpd 3.0.5'],
    ['(vsFTPd 2.3.4)', 'vsftpd 2.3.4'],
  ] as const) {
    const quirks = {
      server,
      waitsForClientCloseNotify: true,
      cleanAfterCutListing: true,
      queuesCommandsDuringTransfer: true,
    };
    assert.deepEqual(quirksFor(text), quirks, text);
  }
});

test("proftpd's greeting (ServerIdent on): keeps nothing of a cut listing, version named when shown", () => {
  for (const [text, server] of [
    ['ProFTPD Server (ftps-client proftpd) [127.0.0.1]', 'proftpd'], // the real one on this machine
    ['ProFTPD Server (Debian) [::ffff:10.0.0.1]', 'proftpd'],
    ['ProFTPD 1.3.8 Server (Debian) [127.0.0.1]', 'proftpd 1.3.8'],
  ] as const) {
    const quirks = {
      server,
      waitsForClientCloseNotify: false,
      cleanAfterCutListing: true,
      queuesCommandsDuringTransfer: false,
    };
    assert.deepEqual(quirksFor(text), quirks, text);
  }
});

test('other greetings, a custom banner or the name elsewhere in the text: no quirks (a cut listing retires)', () => {
  for (const text of [
    'FakeFtpServer ready.',
    'My ProFTPD Server',
    'ProFTPDServer',
    '---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\nYou are user number 1 of 25 allowed.',
    'pyftpdlib 1.5.7 ready.',
    'Welcome to my FTP server', // vsftpd with ftpd_banner
    'Not really (vsFTPd 3.0.3)',
    '(vsFTPd)',
    '(vsftpd 3.0.3)',
    '',
  ]) {
    assert.deepEqual(quirksFor(text), NO_QUIRKS, text);
  }
});
