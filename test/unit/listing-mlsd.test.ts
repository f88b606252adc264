import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FileInfo, parseMlsdLine, parseMlstReply } from '../../src/protocol/listing/index.js';
import { type FtpReply, ReplyParser } from '../../src/protocol/reply.js';

const d = (iso: string): Date => new Date(iso);
type Expected = Omit<FileInfo, 'raw'>;

const fixtures: [string, string, Expected][] = [
  [
    'proftpd file (numeric UNIX.owner, name in UNIX.ownername)',
    'modify=20240105100000;perm=adfrw;size=1234;type=file;unique=FD00U1234;UNIX.group=1000;UNIX.groupname=ftp;UNIX.mode=0644;UNIX.owner=1000;UNIX.ownername=alice; report.pdf',
    {
      name: 'report.pdf',
      type: 'file',
      size: 1234,
      modifiedAt: d('2024-01-05T10:00:00Z'),
      modifiedPrecision: 'second',
      permissions: 'adfrw',
      mode: 0o644,
      owner: 'alice',
      group: 'ftp',
      unique: 'FD00U1234',
      facts: {
        modify: '20240105100000',
        perm: 'adfrw',
        size: '1234',
        type: 'file',
        unique: 'FD00U1234',
        'unix.group': '1000',
        'unix.groupname': 'ftp',
        'unix.mode': '0644',
        'unix.owner': '1000',
        'unix.ownername': 'alice',
      },
    },
  ],
  [
    'proftpd directory',
    'modify=20111108111111;perm=flcdmpe;type=dir;unique=803U2;UNIX.group=0;UNIX.groupname=root;UNIX.mode=0755;UNIX.owner=0;UNIX.ownername=root; dirname',
    {
      name: 'dirname',
      type: 'directory',
      modifiedAt: d('2011-11-08T11:11:11Z'),
      modifiedPrecision: 'second',
      permissions: 'flcdmpe',
      mode: 0o755,
      owner: 'root',
      group: 'root',
      unique: '803U2',
      facts: {
        modify: '20111108111111',
        perm: 'flcdmpe',
        type: 'dir',
        unique: '803U2',
        'unix.group': '0',
        'unix.groupname': 'root',
        'unix.mode': '0755',
        'unix.owner': '0',
        'unix.ownername': 'root',
      },
    },
  ],
  [
    'proftpd symlink with target',
    'modify=20240105100000;perm=adfrw;size=11;type=OS.unix=slink:/srv/data/file;unique=FD00U99;UNIX.mode=0777; link',
    {
      name: 'link',
      type: 'symlink',
      size: 11,
      modifiedAt: d('2024-01-05T10:00:00Z'),
      modifiedPrecision: 'second',
      permissions: 'adfrw',
      mode: 0o777,
      unique: 'FD00U99',
      target: '/srv/data/file',
      facts: {
        modify: '20240105100000',
        perm: 'adfrw',
        size: '11',
        type: 'OS.unix=slink:/srv/data/file',
        unique: 'FD00U99',
        'unix.mode': '0777',
      },
    },
  ],
  [
    'proftpd symlink without target',
    'modify=20240105100000;perm=adfrw;size=11;type=OS.unix=symlink;unique=FD00U98; link2',
    {
      name: 'link2',
      type: 'symlink',
      size: 11,
      modifiedAt: d('2024-01-05T10:00:00Z'),
      modifiedPrecision: 'second',
      permissions: 'adfrw',
      unique: 'FD00U98',
      facts: { modify: '20240105100000', perm: 'adfrw', size: '11', type: 'OS.unix=symlink', unique: 'FD00U98' },
    },
  ],
  [
    'pure-ftpd file with UNIX.uid/gid fallbacks',
    'type=file;size=1234;modify=20240105100000;UNIX.mode=0644;UNIX.uid=1000;UNIX.gid=100;unique=803g1c1; file.txt',
    {
      name: 'file.txt',
      type: 'file',
      size: 1234,
      modifiedAt: d('2024-01-05T10:00:00Z'),
      modifiedPrecision: 'second',
      mode: 0o644,
      owner: '1000',
      group: '100',
      unique: '803g1c1',
      facts: {
        type: 'file',
        size: '1234',
        modify: '20240105100000',
        'unix.mode': '0644',
        'unix.uid': '1000',
        'unix.gid': '100',
        unique: '803g1c1',
      },
    },
  ],
  [
    'pure-ftpd directory size from sizd',
    'type=dir;sizd=4096;modify=20240105100000;UNIX.mode=0755;UNIX.uid=0;UNIX.gid=0;unique=803g2; sub dir',
    {
      name: 'sub dir',
      type: 'directory',
      size: 4096,
      modifiedAt: d('2024-01-05T10:00:00Z'),
      modifiedPrecision: 'second',
      mode: 0o755,
      owner: '0',
      group: '0',
      unique: '803g2',
      facts: {
        type: 'dir',
        sizd: '4096',
        modify: '20240105100000',
        'unix.mode': '0755',
        'unix.uid': '0',
        'unix.gid': '0',
        unique: '803g2',
      },
    },
  ],
  [
    'IIS with milliseconds',
    'type=file;modify=20240105100000.123;size=1234; Report 2024.xlsx',
    {
      name: 'Report 2024.xlsx',
      type: 'file',
      size: 1234,
      modifiedAt: d('2024-01-05T10:00:00.123Z'),
      modifiedPrecision: 'millisecond',
      facts: { type: 'file', modify: '20240105100000.123', size: '1234' },
    },
  ],
  [
    'IIS directory',
    'type=dir;modify=20210105100000; aspnet_client',
    {
      name: 'aspnet_client',
      type: 'directory',
      modifiedAt: d('2021-01-05T10:00:00Z'),
      modifiedPrecision: 'second',
      facts: { type: 'dir', modify: '20210105100000' },
    },
  ],
  [
    'FileZilla Server file',
    'type=file;size=52;modify=20240612081500;perm=awrdf; notes.txt',
    {
      name: 'notes.txt',
      type: 'file',
      size: 52,
      modifiedAt: d('2024-06-12T08:15:00Z'),
      modifiedPrecision: 'second',
      permissions: 'awrdf',
      facts: { type: 'file', size: '52', modify: '20240612081500', perm: 'awrdf' },
    },
  ],
  [
    'FileZilla Server directory',
    'type=dir;modify=20240612081500;perm=fdelcmp; Projects',
    {
      name: 'Projects',
      type: 'directory',
      modifiedAt: d('2024-06-12T08:15:00Z'),
      modifiedPrecision: 'second',
      permissions: 'fdelcmp',
      facts: { type: 'dir', modify: '20240612081500', perm: 'fdelcmp' },
    },
  ],
  [
    'fact names in any case; name with leading space and semicolons',
    'Type=File;Size=5;Modify=20240105100000;  ;weird; name ',
    {
      name: ' ;weird; name ',
      type: 'file',
      size: 5,
      modifiedAt: d('2024-01-05T10:00:00Z'),
      modifiedPrecision: 'second',
      facts: { type: 'File', size: '5', modify: '20240105100000' },
    },
  ],
  [
    'unknown type and bad values are kept as facts only',
    'type=OS.unix=chardev;size=big;modify=2024;UNIX.mode=999; ttyS0',
    {
      name: 'ttyS0',
      type: 'unknown',
      facts: { type: 'OS.unix=chardev', size: 'big', modify: '2024', 'unix.mode': '999' },
    },
  ],
  [
    'unicode name',
    'type=file;size=3; 日本語.txt',
    { name: '日本語.txt', type: 'file', size: 3, facts: { type: 'file', size: '3' } },
  ],
  [
    'a fact named __proto__ does not change the prototype',
    'type=file;__proto__=x; p',
    {
      name: 'p',
      type: 'file',
      facts: Object.fromEntries([
        ['type', 'file'],
        ['__proto__', 'x'],
      ]),
    },
  ],
];

describe('parseMlsdLine fixtures', () => {
  for (const [label, line, expected] of fixtures) {
    it(label, () => {
      assert.deepEqual(parseMlsdLine(line), { ...expected, raw: line });
    });
  }
});

describe('parseMlsdLine skips and rejects', () => {
  it('skips cdir, pdir, "." and ".." and empty lines', () => {
    for (const line of [
      'modify=20240105100000;perm=flcdmpe;type=cdir;unique=803U1;UNIX.mode=0755; .',
      'modify=20240105100000;perm=flcdmpe;type=pdir;unique=803U0;UNIX.mode=0755; ..',
      'type=cdir;sizd=4096; /home/alice',
      'type=dir; ..',
      '',
    ]) {
      assert.equal(parseMlsdLine(line), undefined, line);
    }
  });

  it('marks malformed lines and unsafe names as unknown with no name', () => {
    for (const line of [
      'type=file;size=1 name',
      ' name without facts',
      'type=file;size; name',
      '=x; name',
      'type=file; ',
      'type=file; a/b',
      'type=file; /abs/path',
      'type=file; nul\0',
      'type=OS.unix=slink:/x\0y; link',
      '-rw-r--r-- 1 u g 1 Jun 10 09:00 unix',
    ]) {
      assert.deepEqual(parseMlsdLine(line), { name: '', type: 'unknown', raw: line }, JSON.stringify(line));
    }
  });
});

function reply(wire: string): FtpReply {
  const [r] = new ReplyParser().push(Buffer.from(wire));
  assert.ok(r);
  return r;
}

describe('parseMlstReply', () => {
  it('reads the entry line and names it by its last path segment', () => {
    const r = reply(
      '250-Listing /home/alice/a b.txt\r\n type=file;size=5;modify=20240105100000;perm=adfrw; /home/alice/a b.txt\r\n250 End\r\n',
    );
    assert.deepEqual(parseMlstReply(r), {
      name: 'a b.txt',
      type: 'file',
      size: 5,
      modifiedAt: d('2024-01-05T10:00:00Z'),
      modifiedPrecision: 'second',
      permissions: 'adfrw',
      facts: { type: 'file', size: '5', modify: '20240105100000', perm: 'adfrw' },
      raw: 'type=file;size=5;modify=20240105100000;perm=adfrw; /home/alice/a b.txt',
    });
  });

  it('treats cdir as a directory and the root as an empty name', () => {
    assert.deepEqual(parseMlstReply(reply('250-Start\r\n type=cdir;perm=el; /pub/\r\n250 End\r\n')), {
      name: 'pub',
      type: 'directory',
      permissions: 'el',
      facts: { type: 'cdir', perm: 'el' },
      raw: 'type=cdir;perm=el; /pub/',
    });
    assert.equal(parseMlstReply(reply('250-Start\r\n type=dir; /\r\n250 End\r\n'))?.name, '');
  });

  it('gives undefined without an entry line or for an error reply', () => {
    assert.equal(parseMlstReply(reply('250 Done\r\n')), undefined);
    assert.equal(parseMlstReply(reply('550-No\r\n type=file; x\r\n550 End\r\n')), undefined);
  });

  it('marks a malformed entry unknown', () => {
    assert.deepEqual(parseMlstReply(reply('250-Start\r\n garbage\r\n250 End\r\n')), {
      name: '',
      type: 'unknown',
      raw: 'garbage',
    });
  });
});
