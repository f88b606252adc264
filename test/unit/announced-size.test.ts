import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAnnouncedSize } from '../../src/protocol/announced-size.js';

describe('parseAnnouncedSize', () => {
  it('reads vsftpd/proftpd style "(N bytes)"', () => {
    assert.equal(parseAnnouncedSize('Opening BINARY mode data connection for f.bin (1048576 bytes).'), 1048576);
    assert.equal(parseAnnouncedSize('Opening BINARY mode data connection for one (1 byte)'), 1);
    assert.equal(parseAnnouncedSize('Opening data connection for (odd) name (0 bytes)'), 0);
  });
  it('takes the last match, so a file name with "(3 bytes)" in it does not count', () => {
    assert.equal(parseAnnouncedSize('Opening BINARY mode data connection for x (3 bytes).txt (42 bytes)'), 42);
  });
  it('is undefined without an announcement, or for a value that is no safe integer', () => {
    assert.equal(parseAnnouncedSize('Here comes the directory listing.'), undefined);
    assert.equal(parseAnnouncedSize('150 1.5 kbytes to download'), undefined);
    assert.equal(parseAnnouncedSize('for f (1234567890123456 bytes)'), undefined);
    assert.equal(parseAnnouncedSize('for f (-5 bytes)'), undefined);
  });
});
