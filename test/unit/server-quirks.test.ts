// quirksFor (session/server-quirks.ts): which greeting gets which quirks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_QUIRKS, quirksFor } from '../../src/session/server-quirks.js';

test("vsftpd's stock greeting: waits for the client's close_notify, version named", () => {
  for (const [text, server] of [
    ['(vsFTPd 3.0.3)', 'vsftpd 3.0.3'],
    ['(vsFTPd 3.0.5)', 'vsftpd 3.0.5'],
    ['(vsFTPd 2.3.4)', 'vsftpd 2.3.4'],
  ] as const) {
    assert.deepEqual(quirksFor(text), { server, waitsForClientCloseNotify: true }, text);
  }
});

test('other greetings, a custom vsftpd banner or the name elsewhere in the text: no quirks', () => {
  for (const text of [
    'FakeFtpServer ready.',
    'ProFTPD Server (Debian) [127.0.0.1]',
    '---------- Welcome to Pure-FTPd [privsep] [TLS] ----------',
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
