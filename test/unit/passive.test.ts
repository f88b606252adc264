import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/errors.js';
import { parseEpsvReply, parsePasvReply } from '../../src/protocol/passive.js';

function isProtocolError(e: unknown): boolean {
  return e instanceof ProtocolError && e.code === 'ERR_FTPS_PROTOCOL';
}

describe('parsePasvReply', () => {
  const ok: [string, string, number][] = [
    ['Entering Passive Mode (127,0,0,1,195,80).', '127.0.0.1', 50000],
    ['227 Entering Passive Mode (127,0,0,1,195,80).', '127.0.0.1', 50000],
    ['227 =127,0,0,1,4,1', '127.0.0.1', 1025],
    ['Entering Passive Mode 192,168,1,10,78,32', '192.168.1.10', 20000],
    ['Entering Passive Mode (10, 0, 0, 5, 4, 0)', '10.0.0.5', 1024],
    ['Entering passive mode (0,0,0,0,255,255)', '0.0.0.0', 65535],
    ['(1,2,3,4,0,1)', '1.2.3.4', 1],
    ['Passive (010,000,000,001,004,001)', '10.0.0.1', 1025],
    // Seven numbers are no address; the six that follow are.
    ['(1,2,3,4,5,6,7) fallback 10,0,0,1,4,1', '10.0.0.1', 1025],
  ];
  for (const [text, host, port] of ok) {
    it(`reads ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parsePasvReply(text), { host, port });
    });
  }

  const bad = [
    'Entering Passive Mode (127,0,0,1,195)',
    'Entering Passive Mode (127,0,0,256,4,1)',
    'Entering Passive Mode (127,0,0,1,4,256)',
    'Entering Passive Mode (127,0,0,1,0,0)',
    'Entering Passive Mode (1270,0,0,1,4,1)',
    'Entering Passive Mode (127,0,0,1,4,1,9)',
    'Entering Passive Mode (a,b,c,d,e,f)',
    'Entering Passive Mode (127.0.0.1:1025)',
    '',
  ];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parsePasvReply(text), isProtocolError);
    });
  }
});

describe('parseEpsvReply', () => {
  const ok: [string, number][] = [
    ['Entering Extended Passive Mode (|||6446|)', 6446],
    ['229 Entering Extended Passive Mode (|||50000|).', 50000],
    ['Entering Extended Passive Mode (!!!1!)', 1],
    ['EPSV ok (###65535#)', 65535],
    ['(~~~21~)', 21],
    ['(AAA1234A)', 1234],
    ['(111234561)', 23456],
    ['(|||00080|)', 80],
  ];
  for (const [text, port] of ok) {
    it(`reads ${JSON.stringify(text)}`, () => {
      assert.equal(parseEpsvReply(text), port);
    });
  }

  const bad = [
    'Entering Extended Passive Mode |||6446|',
    'Entering Extended Passive Mode (|||0|)',
    'Entering Extended Passive Mode (|||65536|)',
    'Entering Extended Passive Mode (|||123456|)',
    'Entering Extended Passive Mode (|!|6446|)',
    'Entering Extended Passive Mode (   6446 )',
    'Entering Extended Passive Mode (\x7f\x7f\x7f6446\x7f)',
    'Entering Extended Passive Mode (||||)',
    'Entering Extended Passive Mode (|1|::1|6446|)',
    'garbage',
  ];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseEpsvReply(text), isProtocolError);
    });
  }
});
