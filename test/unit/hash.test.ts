import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/errors.js';
import {
  chooseHashMethod,
  hashCommandLine,
  parseHashFeature,
  parseHashReply,
  parseXHashReply,
} from '../../src/protocol/hash.js';
import { InvalidArgumentError } from '../../src/errors.js';

const SHA256 = 'a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447';
// FEAT of proftpd 1.3.8 with mod_digest, as seen on the interop server.
const PROFTPD = new Map([
  ['HASH', 'CRC32;MD5;SHA-1*;SHA-256;SHA-512;'],
  ['MD5', ''],
  ['XCRC', ''],
  ['XMD5', ''],
  ['XSHA', ''],
  ['XSHA1', ''],
  ['XSHA256', ''],
  ['XSHA512', ''],
]);

describe('protocol/hash', () => {
  it('parses the HASH feature line with its selected algorithm', () => {
    assert.deepEqual(parseHashFeature('CRC32;MD5;SHA-1*;SHA-256;SHA-512;'), {
      algorithms: ['CRC32', 'MD5', 'SHA-1', 'SHA-256', 'SHA-512'],
      selected: 'SHA-1',
    });
    assert.deepEqual(parseHashFeature('sha256;FOO;'), { algorithms: ['SHA-256'], selected: undefined });
  });

  it('chooses HASH with SHA-256 on proftpd (OPTS HASH needed), X-commands when asked', () => {
    assert.deepEqual(chooseHashMethod(PROFTPD), { family: 'HASH', algorithm: 'SHA-256', select: true });
    assert.deepEqual(chooseHashMethod(PROFTPD, ['SHA-1']), { family: 'HASH', algorithm: 'SHA-1', select: false });
    assert.deepEqual(chooseHashMethod(PROFTPD, undefined, ['X']), {
      family: 'X',
      algorithm: 'SHA-256',
      command: 'XSHA256',
    });
    assert.deepEqual(chooseHashMethod(PROFTPD, ['CRC32'], ['X']), { family: 'X', algorithm: 'CRC32', command: 'XCRC' });
    assert.deepEqual(chooseHashMethod(new Map([['XSHA', '']]), ['SHA-1']), {
      family: 'X',
      algorithm: 'SHA-1',
      command: 'XSHA',
    });
  });

  it('finds nothing on vsftpd and pure-ftpd FEATs', () => {
    assert.equal(
      chooseHashMethod(
        new Map([
          ['REST', 'STREAM'],
          ['SIZE', ''],
          ['MDTM', ''],
        ]),
      ),
      undefined,
    );
    assert.equal(chooseHashMethod(PROFTPD, ['SHA-256'], []), undefined);
  });

  it('parses proftpd HASH and XSHA256 replies', () => {
    const hash = parseHashReply({ text: `Computing SHA-256 digest\nSHA-256 0-12 ${SHA256} h.txt` }, 'SHA-256');
    assert.deepEqual(hash, { value: SHA256, start: 0, end: 12 });
    assert.equal(
      parseHashReply({ text: `SHA-256 0-12 ${SHA256.toUpperCase()} name with spaces.txt` }, 'SHA-256').value,
      SHA256,
    );
    assert.equal(parseXHashReply({ text: `Computing SHA256 digest\n${SHA256.toUpperCase()}` }, 'SHA-256'), SHA256);
    assert.equal(parseXHashReply({ text: `${SHA256} h.txt` }, 'SHA-256'), SHA256);
    assert.equal(parseXHashReply({ text: 'Computing CRC32 digest\nAF083B2D' }, 'CRC32'), 'af083b2d');
  });

  it('rejects replies without a digest, with another algorithm, or a wrong length', () => {
    assert.throws(() => parseHashReply({ text: 'Computing digest' }, 'SHA-256'), ProtocolError);
    assert.throws(() => parseHashReply({ text: `SHA-1 0-12 ${SHA256} h.txt` }, 'SHA-256'), ProtocolError);
    assert.throws(() => parseHashReply({ text: 'SHA-256 0-12 abcd h.txt' }, 'SHA-256'), ProtocolError);
    assert.throws(() => parseXHashReply({ text: 'Computing MD5 digest\nnot-hex' }, 'MD5'), ProtocolError);
  });

  it('builds command lines and refuses CR/LF in the path', () => {
    assert.equal(hashCommandLine({ family: 'HASH', algorithm: 'SHA-256', select: false }, 'a b.txt'), 'HASH a b.txt');
    assert.equal(hashCommandLine({ family: 'X', algorithm: 'MD5', command: 'XMD5' }, 'f'), 'XMD5 f');
    assert.throws(
      () => hashCommandLine({ family: 'X', algorithm: 'MD5', command: 'XMD5' }, 'f\r\nDELE x'),
      InvalidArgumentError,
    );
  });
});
