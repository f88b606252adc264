import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../src/errors.js';
import { encodeCommand, formatCommand, formatRawCommand, redactCommand } from '../../src/protocol/command.js';

function isInvalidArgument(e: unknown): boolean {
  return e instanceof InvalidArgumentError && e.code === 'ERR_FTPS_INVALID_ARGUMENT';
}

describe('formatCommand', () => {
  it('builds "VERB arg", upper-casing the verb and keeping the argument exactly', () => {
    assert.equal(formatCommand('RETR', 'file.txt'), 'RETR file.txt');
    assert.equal(formatCommand('stor', '  spaced name  '), 'STOR   spaced name  ');
    assert.equal(formatCommand('CWD', '/home/ünï 日本'), 'CWD /home/ünï 日本');
    assert.equal(formatCommand('SITE', 'CHMOD 644 a b'), 'SITE CHMOD 644 a b');
  });

  it('omits an absent or empty argument', () => {
    assert.equal(formatCommand('PWD'), 'PWD');
    assert.equal(formatCommand('FEAT', ''), 'FEAT');
  });

  it('rejects CR, LF and NUL anywhere in the argument', () => {
    for (const arg of ['a\r\nDELE b', 'a\nb', 'a\rb', 'a\0b', '\n', 'x\r']) {
      assert.throws(() => formatCommand('RETR', arg), isInvalidArgument, JSON.stringify(arg));
    }
  });

  it('rejects an unpaired surrogate but accepts a paired one', () => {
    assert.throws(() => formatCommand('RETR', 'a\uD800b'), isInvalidArgument);
    assert.equal(formatCommand('RETR', '😀'), 'RETR 😀');
  });

  it('rejects verbs that are not 3–4 letters', () => {
    for (const verb of ['', 'AB', 'ABCDE', 'RE TR', 'RET\r', 'ST0R', 'SITE CHMOD', ' PWD']) {
      assert.throws(() => formatCommand(verb), isInvalidArgument, JSON.stringify(verb));
    }
  });
});

describe('formatRawCommand', () => {
  it('passes a safe line through unchanged', () => {
    assert.equal(formatRawCommand('SITE CHMOD 755 run.sh'), 'SITE CHMOD 755 run.sh');
    assert.equal(formatRawCommand('noop'), 'noop');
  });

  it('rejects CR, LF, NUL and empty lines', () => {
    for (const line of ['', '   ', 'NOOP\r\n', 'NOOP\nQUIT', 'NO\0OP']) {
      assert.throws(() => formatRawCommand(line), isInvalidArgument, JSON.stringify(line));
    }
  });
});

describe('encodeCommand', () => {
  it('appends CRLF and encodes UTF-8 by default', () => {
    assert.deepEqual(encodeCommand('CWD é'), Buffer.from([0x43, 0x57, 0x44, 0x20, 0xc3, 0xa9, 0x0d, 0x0a]));
  });

  it('encodes latin1 when asked', () => {
    assert.deepEqual(encodeCommand('CWD é', 'latin1'), Buffer.from([0x43, 0x57, 0x44, 0x20, 0xe9, 0x0d, 0x0a]));
  });

  it('rejects characters latin1 cannot carry instead of truncating them', () => {
    assert.throws(() => encodeCommand('RETR ā', 'latin1'), isInvalidArgument);
  });

  it('re-checks for line breaks', () => {
    assert.throws(() => encodeCommand('NOOP\r\nQUIT'), isInvalidArgument);
  });
});

describe('redactCommand', () => {
  it('redacts PASS and ACCT whatever the case', () => {
    assert.equal(redactCommand('PASS hunter2'), 'PASS <redacted>');
    assert.equal(redactCommand('pass s3cr3t with spaces'), 'pass <redacted>');
    assert.equal(redactCommand('Acct billing-42'), 'Acct <redacted>');
    assert.equal(redactCommand('PASS'), 'PASS <redacted>');
    assert.equal(redactCommand('PASS\tx'), 'PASS <redacted>');
  });

  it('leaves other commands alone', () => {
    for (const line of ['USER anonymous', 'PASSWD x', 'RETR PASS x', 'SITE PASS x', 'STOR pass.txt']) {
      assert.equal(redactCommand(line), line);
    }
  });
});
