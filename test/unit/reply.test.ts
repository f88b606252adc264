import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/errors.js';
import {
  type FtpReply,
  isIntermediate,
  isPermanentNegative,
  isPositive,
  isPreliminary,
  isTransientNegative,
  ReplyParser,
  type ReplyParserOptions,
} from '../../src/protocol/reply.js';
import { chunkings, feedAll } from './support/feed.js';

function isProtocolError(e: unknown): boolean {
  return e instanceof ProtocolError && e.code === 'ERR_FTPS_PROTOCOL';
}

function assertEveryChunking(bytes: Buffer, expected: FtpReply[], options?: ReplyParserOptions): void {
  for (const { label, chunks } of chunkings(bytes)) {
    const p = new ReplyParser(options);
    assert.deepEqual(
      feedAll(chunks, (c) => p.push(c)),
      expected,
      label,
    );
    assert.equal(p.pendingBytes, 0, label);
  }
}

function assertEveryChunkingThrows(bytes: Buffer, options?: ReplyParserOptions): void {
  for (const { label, chunks } of chunkings(bytes)) {
    const p = new ReplyParser(options);
    assert.throws(() => feedAll(chunks, (c) => p.push(c)), isProtocolError, label);
  }
}

const fixtures: { name: string; wire: string; replies: FtpReply[] }[] = [
  {
    name: 'vsftpd greeting',
    wire: '220 (vsFTPd 3.0.5)\r\n',
    replies: [{ code: 220, text: '(vsFTPd 3.0.5)', lines: ['220 (vsFTPd 3.0.5)'] }],
  },
  {
    name: 'multi-line with digit-leading middle lines and other codes',
    wire: '230-Welcome\r\n123 is not a reply\r\n250 nor this\r\n 230 indented\r\n230 Login successful.\r\n',
    replies: [
      {
        code: 230,
        text: 'Welcome\n123 is not a reply\n250 nor this\n 230 indented\nLogin successful.',
        lines: ['230-Welcome', '123 is not a reply', '250 nor this', ' 230 indented', '230 Login successful.'],
      },
    ],
  },
  {
    name: 'middle lines with the same code and a dash (proftpd style)',
    wire: '211-Status of server\r\n211-Connected from 127.0.0.1\r\n211-TYPE: ASCII\r\n211 End of status\r\n',
    replies: [
      {
        code: 211,
        text: 'Status of server\n211-Connected from 127.0.0.1\n211-TYPE: ASCII\nEnd of status',
        lines: ['211-Status of server', '211-Connected from 127.0.0.1', '211-TYPE: ASCII', '211 End of status'],
      },
    ],
  },
  {
    name: 'bare code as a one-line reply, and as the end of a multi-line one',
    wire: '200\r\n220-a\r\n220\r\n',
    replies: [
      { code: 200, text: '', lines: ['200'] },
      { code: 220, text: 'a\n', lines: ['220-a', '220'] },
    ],
  },
  {
    name: 'several replies in one stream, LF-only line ends mixed in',
    wire: '150 Opening BINARY mode data connection\r\n226 Transfer complete\n421 Timeout.\r\n',
    replies: [
      { code: 150, text: 'Opening BINARY mode data connection', lines: ['150 Opening BINARY mode data connection'] },
      { code: 226, text: 'Transfer complete', lines: ['226 Transfer complete'] },
      { code: 421, text: 'Timeout.', lines: ['421 Timeout.'] },
    ],
  },
  {
    name: 'UTF-8 path split inside characters',
    wire: '257 "/home/ünïcødé/日本 😀" is the current directory\r\n',
    replies: [
      {
        code: 257,
        text: '"/home/ünïcødé/日本 😀" is the current directory',
        lines: ['257 "/home/ünïcødé/日本 😀" is the current directory'],
      },
    ],
  },
  {
    name: 'empty middle lines and a one-line multi-line reply',
    wire: '220-\r\n\r\n220 \r\n',
    replies: [{ code: 220, text: '\n\n', lines: ['220-', '', '220 '] }],
  },
];

describe('ReplyParser', () => {
  for (const f of fixtures) {
    it(`${f.name}: identical whole, split at every offset, bytewise`, () => {
      assertEveryChunking(Buffer.from(f.wire, 'utf8'), f.replies);
    });
  }

  it('returns every reply of one chunk at once', () => {
    const p = new ReplyParser();
    const replies = p.push(
      Buffer.from('331 Please specify the password.\r\n230 Login successful.\r\n200 Switching to Binary mode.\r\n'),
    );
    assert.deepEqual(
      replies.map((r) => r.code),
      [331, 230, 200],
    );
  });

  it('holds a partial reply and reports pending bytes', () => {
    const p = new ReplyParser();
    assert.deepEqual(p.push(Buffer.from('220-a\r\n220 b')), []);
    assert.equal(p.pendingBytes, 12);
    assert.deepEqual(p.push(Buffer.from('\r')), []);
    assert.deepEqual(p.push(Buffer.from('\n')), [{ code: 220, text: 'a\nb', lines: ['220-a', '220 b'] }]);
    assert.equal(p.pendingBytes, 0);
  });

  it('decodes latin1 when asked', () => {
    assertEveryChunking(
      Buffer.from([0x32, 0x35, 0x37, 0x20, 0x22, 0xe9, 0x22, 0x0d, 0x0a]),
      [{ code: 257, text: '"é"', lines: ['257 "é"'] }],
      {
        encoding: 'latin1',
      },
    );
  });

  for (const [name, wire] of [
    ['an HTTP answer', 'HTTP/1.1 400 Bad Request\r\n'],
    ['letters instead of a code', 'abc hello\r\n'],
    ['a four-digit code', '2200 ready\r\n'],
    ['code below 100', '099 hello\r\n'],
    ['code above 599', '600 hello\r\n'],
    ['a code followed by a letter', '220x\r\n'],
    ['an empty line between replies', '200 ok\r\n\r\n'],
    ['a TLS record on a plain socket', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'],
  ] as const) {
    it(`rejects ${name} with ProtocolError in every chunking`, () => {
      assertEveryChunkingThrows(Buffer.from(wire, 'latin1'));
    });
  }

  it('rejects a garbage first line before its newline arrives', () => {
    const p = new ReplyParser();
    assert.throws(() => p.push(Buffer.from('SSH-2.0-OpenSSH_9.6')), isProtocolError);
  });

  it('does not reject a valid prefix early', () => {
    const p = new ReplyParser();
    for (const part of ['2', '2', '0', '\r']) assert.deepEqual(p.push(Buffer.from(part)), []);
    assert.deepEqual(p.push(Buffer.from('\n')), [{ code: 220, text: '', lines: ['220'] }]);
  });

  it('rejects a huge single line without a newline', () => {
    const p = new ReplyParser({ maxReplyBytes: 4096 });
    assert.deepEqual(p.push(Buffer.from('220 ')), []);
    assert.throws(() => p.push(Buffer.alloc(5000, 0x61)), isProtocolError);
  });

  it('rejects a huge line without a newline fed in small chunks', () => {
    const p = new ReplyParser();
    const chunk = Buffer.from(`220 ${'x'.repeat(1020)}`);
    let sent = 0;
    assert.throws(() => {
      for (;;) {
        p.push(chunk.subarray(sent === 0 ? 0 : 4));
        sent++;
        assert.ok(sent < 100, 'should have thrown near 64 KiB');
      }
    }, isProtocolError);
    assert.equal(sent, 64);
  });

  it('rejects a huge multi-line reply made of short lines', () => {
    const p = new ReplyParser({ maxReplyBytes: 10_000 });
    assert.deepEqual(p.push(Buffer.from('220-banner\r\n')), []);
    assert.throws(() => {
      for (let i = 0; i < 2000; i++) p.push(Buffer.from('220-more banner text\r\n'));
    }, isProtocolError);
  });

  it('caps the size of one reply, not of the stream', () => {
    const reply = '200 ok\r\n';
    const p = new ReplyParser({ maxReplyBytes: reply.length });
    assert.equal(p.push(Buffer.from(reply.repeat(50))).length, 50);
    assertEveryChunkingThrows(Buffer.from('200 ok!\r\n'), { maxReplyBytes: reply.length });
    assertEveryChunking(Buffer.from('220-a\r\n220 b\r\n'), [{ code: 220, text: 'a\nb', lines: ['220-a', '220 b'] }], {
      maxReplyBytes: 14,
    });
    assertEveryChunkingThrows(Buffer.from('220-a\r\n220 b\r\n'), { maxReplyBytes: 13 });
  });

  it('rejects a nonsense cap', () => {
    assert.throws(() => new ReplyParser({ maxReplyBytes: -1 }), RangeError);
  });
});

describe('reply classes', () => {
  it('classify by first digit', () => {
    const table: [number, boolean[]][] = [
      [150, [true, false, false, false, false]],
      [226, [false, true, false, false, false]],
      [331, [false, false, true, false, false]],
      [421, [false, false, false, true, false]],
      [550, [false, false, false, false, true]],
      [99, [false, false, false, false, false]],
      [600, [false, false, false, false, false]],
    ];
    for (const [code, expected] of table) {
      assert.deepEqual(
        [
          isPreliminary(code),
          isPositive(code),
          isIntermediate(code),
          isTransientNegative(code),
          isPermanentNegative(code),
        ],
        expected,
        String(code),
      );
    }
  });
});
