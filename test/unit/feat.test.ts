import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFeatReply } from '../../src/protocol/feat.js';
import { type FtpReply, ReplyParser } from '../../src/protocol/reply.js';

function reply(wire: string): FtpReply {
  const replies = new ReplyParser().push(Buffer.from(wire.split('\n').join('\r\n')));
  assert.equal(replies.length, 1);
  return replies[0] as FtpReply;
}

describe('parseFeatReply', () => {
  it('vsftpd: AUTH listed twice keeps both mechanisms', () => {
    const feat = parseFeatReply(
      reply(
        '211-Features:\n AUTH SSL\n AUTH TLS\n EPRT\n EPSV\n MDTM\n PASV\n PBSZ\n PROT\n REST STREAM\n SIZE\n TVFS\n UTF8\n211 End\n',
      ),
    );
    assert.deepEqual(
      [...feat],
      [
        ['AUTH', 'SSL;TLS'],
        ['EPRT', ''],
        ['EPSV', ''],
        ['MDTM', ''],
        ['PASV', ''],
        ['PBSZ', ''],
        ['PROT', ''],
        ['REST', 'STREAM'],
        ['SIZE', ''],
        ['TVFS', ''],
        ['UTF8', ''],
      ],
    );
  });

  it('proftpd: MLST facts, LANG, repeated SITE entries', () => {
    const feat = parseFeatReply(
      reply(
        '211-Features:\n LANG en-US*\n MFMT\n AUTH TLS\n PROT\n MFCT\n PBSZ\n CCC\n MFF modify;UNIX.group;UNIX.mode;\n' +
          ' MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.groupname*;UNIX.mode*;UNIX.owner*;UNIX.ownername*;\n' +
          ' UTF8\n EPRT\n EPSV\n MODE Z\n SITE MKDIR\n SITE RMDIR\n SITE UTIME\n SITE SYMLINK\n REST STREAM\n SITE COPY\n MDTM\n SIZE\n HOST\n211 End\n',
      ),
    );
    assert.equal(
      feat.get('MLST'),
      'modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.groupname*;UNIX.mode*;UNIX.owner*;UNIX.ownername*;',
    );
    assert.equal(feat.get('AUTH'), 'TLS');
    assert.equal(feat.get('LANG'), 'en-US*');
    assert.equal(feat.get('SITE'), 'MKDIR;RMDIR;UTIME;SYMLINK;COPY');
    assert.equal(feat.get('MODE'), 'Z');
    assert.equal(feat.get('MFMT'), '');
    assert.equal(feat.has('MLSD'), false);
    assert.equal(feat.size, 18);
  });

  it('pure-ftpd', () => {
    const feat = parseFeatReply(
      reply(
        '211-Extensions supported:\n UTF8\n EPRT\n IDLE\n MDTM\n SIZE\n MFMT\n REST STREAM\n' +
          ' MLST type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;UNIX.gid*;unique*;\n MLSD\n AUTH TLS\n PBSZ\n PROT\n TVFS\n ESTA\n PASV\n EPSV\n SPSV\n ESTP\n211 End.\n',
      ),
    );
    assert.equal(feat.get('MLST'), 'type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;UNIX.gid*;unique*;');
    assert.equal(feat.get('MLSD'), '');
    assert.equal(feat.get('AUTH'), 'TLS');
    assert.equal(feat.size, 18);
  });

  it('FileZilla Server', () => {
    const feat = parseFeatReply(
      reply(
        '211-Features:\n MDTM\n REST STREAM\n SIZE\n MLST type*;size*;modify*;\n MLSD\n UTF8\n CLNT\n MFMT\n EPSV\n EPRT\n AUTH SSL\n AUTH TLS\n PROT\n PBSZ\n211 End\n',
      ),
    );
    assert.equal(feat.get('MLST'), 'type*;size*;modify*;');
    assert.equal(feat.get('AUTH'), 'SSL;TLS');
    assert.equal(feat.get('CLNT'), '');
  });

  it('IIS: mechanism lists with semicolons, upper-case END', () => {
    const feat = parseFeatReply(
      reply(
        '211-Extended features supported:\n LANG EN*\n UTF8\n AUTH TLS;TLS-C;SSL;TLS-P;\n PBSZ\n PROT C;P;\n CCC\n HOST\n SIZE\n MDTM\n REST STREAM\n211 END\n',
      ),
    );
    assert.equal(feat.get('AUTH'), 'TLS;TLS-C;SSL;TLS-P;');
    assert.equal(feat.get('PROT'), 'C;P;');
    assert.equal(feat.has('END'), false);
    assert.equal(feat.size, 10);
  });

  it('upper-cases names, trims values, reads HASH, skips blank lines, strips "211-" prefixes', () => {
    const feat = parseFeatReply(
      reply('211-Features\n mlst  type*;size*;  \n HASH SHA-256*;SHA-1;MD5\n\n211-SIZE\n211 End\n'),
    );
    assert.deepEqual(
      [...feat],
      [
        ['MLST', 'type*;size*;'],
        ['HASH', 'SHA-256*;SHA-1;MD5'],
        ['SIZE', ''],
      ],
    );
  });

  it('a single-line 211 or a refusal gives an empty map', () => {
    assert.equal(parseFeatReply(reply('211 No features\n')).size, 0);
    assert.equal(parseFeatReply(reply('500-Unknown command\n MLST x\n500 End\n')).size, 0);
  });

  it('one key listed many times keeps every distinct value once, in order (an empty one adds nothing)', () => {
    const lines = ['211-Features', ' AUTH', ...Array.from({ length: 5000 }, (_, i) => ` AUTH V${i % 2500}`), '211 End'];
    const feat = parseFeatReply({ code: 211, text: '', lines });
    const values = feat.get('AUTH')?.split(';') ?? [];
    assert.equal(values.length, 2500);
    assert.equal(values[0], 'V0');
    assert.equal(values[2499], 'V2499');
    assert.deepEqual([...feat.keys()], ['AUTH']);
  });
});
