// The built `ftps` binary against the scripted fake server: every subcommand, credentials from each
// source, exit codes per failure class, output shapes. Each test asserts the server kept no socket open.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { spkiPin } from '../../src/index.js';
import { faults } from '../helpers/fake-server.js';
import { LIMIT, withServer } from '../fake/support.js';
import { assertExit, CA_FILE, ESCAPE, runCli, tempDir } from './support.js';

const CREDS = { FTPS_USER: 'user', FTPS_PASSWORD: 'pass' };
const url = (port: number, p = '/', scheme = 'ftpes'): string => `${scheme}://127.0.0.1:${port}${p}`;

test('help, version and usage errors (exit 2)', LIMIT, async () => {
  const help = await runCli(['--help']);
  assertExit(help, 0, 'help');
  for (const cmd of ['put', 'get', 'ls', 'rm', 'mkdir', 'mv', 'mirror', 'probe'])
    assert.match(help.stdout, new RegExp(`\\b${cmd}\\b`));
  const version = await runCli(['--version']);
  assert.equal(
    version.stdout.trim(),
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version,
  );
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /Unknown command/],
    [['ls', '--no-such-flag', 'ftpes://h/'], /Unknown option/],
    [['ls', 'ftp://127.0.0.1:1/'], /plain FTP.*--plain/],
    [['ls', 'ftpes://u:secret@127.0.0.1:1/'], /password in the URL/],
    [['ls', 'http://127.0.0.1/'], /Not a URL|Unsupported scheme/],
    [['ls', '--pin', 'abc', 'ftpes://h/'], /--pin/],
    [['put', 'ftpes://h/'], /put needs/],
    [['ls', '--parallel', '0', 'ftpes://h/'], /--parallel/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assertExit(r, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /secret/);
  }
});

test('put, ls, ls -l, ls --json, get, mv, rm, mkdir -p against the fake server', LIMIT, async () => {
  const tmp = tempDir();
  try {
    await withServer({ mode: 'explicit', files: { '/docs/a.txt': 'alpha' } }, async ({ server }) => {
      const env = { ...CREDS, HOME: tmp.dir };
      const ca = ['--ca', CA_FILE];
      const local1 = path.join(tmp.dir, 'one.txt');
      const local2 = path.join(tmp.dir, 'two.bin');
      writeFileSync(local1, 'first file');
      writeFileSync(local2, Buffer.alloc(70_000, 7));
      const put = await runCli(['put', ...ca, local1, local2, url(server.port, '/up/')], { env });
      assertExit(put, 0, 'put');
      assert.equal(server.files.get('/up/one.txt')?.toString(), 'first file');
      assert.equal(server.files.get('/up/two.bin')?.length, 70_000);
      assert.match(put.stdout, /put .*one\.txt -> \/up\/one\.txt/);
      assert.doesNotMatch(put.stdout + put.stderr, ESCAPE);

      const ls = await runCli(['ls', ...ca, url(server.port, '/up')], { env });
      assertExit(ls, 0, 'ls');
      assert.deepEqual(ls.stdout.trim().split('\n'), ['one.txt', 'two.bin']);
      const long = await runCli(['ls', '-l', ...ca, url(server.port, '/up')], { env });
      assert.match(long.stdout, /^-\S{9}\s+70000 \d{4}-\d\d-\d\d \d\d:\d\d two\.bin$/m);
      const json = await runCli(['ls', '--json', ...ca, url(server.port, '/up')], { env });
      const doc = JSON.parse(json.stdout) as { ok: boolean; entries: { name: string; size: number; type: string }[] };
      assert.equal(doc.ok, true);
      assert.deepEqual(
        doc.entries.map((e) => [e.name, e.type, e.size]),
        [
          ['one.txt', 'file', 10],
          ['two.bin', 'file', 70_000],
        ],
      );

      const dest = path.join(tmp.dir, 'got.txt');
      const get = await runCli(['get', ...ca, url(server.port, '/docs/a.txt'), dest], { env });
      assertExit(get, 0, 'get');
      assert.equal(readFileSync(dest, 'utf8'), 'alpha');

      assertExit(await runCli(['mv', ...ca, url(server.port, '/up/one.txt'), 'renamed.txt'], { env }), 0, 'mv');
      assert.ok(server.files.has('/up/renamed.txt') && !server.files.has('/up/one.txt'));
      assertExit(await runCli(['mkdir', '-p', ...ca, url(server.port, '/x/y/z')], { env }), 0, 'mkdir -p');
      const mkdirAgain = await runCli(['mkdir', ...ca, url(server.port, '/x/y/z')], { env });
      assertExit(mkdirAgain, 6, 'mkdir of an existing folder (refused)');
      assertExit(await runCli(['rm', ...ca, url(server.port, '/up/renamed.txt')], { env }), 0, 'rm');
      assert.ok(!server.files.has('/up/renamed.txt'));
      assertExit(await runCli(['rm', '-r', ...ca, url(server.port, '/x')], { env }), 0, 'rm -r');
      const after = await runCli(['ls', '--json', ...ca, url(server.port, '/')], { env });
      assert.deepEqual(
        (JSON.parse(after.stdout) as { entries: { name: string }[] }).entries.map((e) => e.name).sort(),
        ['docs', 'up'],
      );
    });
  } finally {
    tmp.cleanup();
  }
});

test('put -r, get -r and mirror both ways with --dry-run and --delete', LIMIT, async () => {
  const tmp = tempDir();
  try {
    await withServer(
      { mode: 'implicit', files: { '/site/keep.txt': 'k', '/site/stale.txt': 's' } },
      async ({ server }) => {
        const env = { ...CREDS, HOME: tmp.dir };
        const ca = ['--ca', CA_FILE];
        const src = path.join(tmp.dir, 'src');
        mkdirSync(path.join(src, 'sub'), { recursive: true });
        writeFileSync(path.join(src, 'keep.txt'), 'k2');
        writeFileSync(path.join(src, 'sub', 'new.txt'), 'new');
        const putR = await runCli(['put', '-r', ...ca, src, url(server.port, '/tree', 'ftps')], { env });
        assertExit(putR, 0, 'put -r');
        assert.equal(server.files.get('/tree/sub/new.txt')?.toString(), 'new');
        const back = path.join(tmp.dir, 'back');
        assertExit(await runCli(['get', '-r', ...ca, url(server.port, '/tree', 'ftps'), back], { env }), 0, 'get -r');
        assert.equal(readFileSync(path.join(back, 'sub', 'new.txt'), 'utf8'), 'new');

        const dry = await runCli(
          ['mirror', '--dry-run', '--delete', '--json', ...ca, src, url(server.port, '/site', 'ftps')],
          { env },
        );
        assertExit(dry, 0, 'mirror --dry-run');
        const plan = JSON.parse(dry.stdout) as { dryRun: boolean; plan: { copy: string[]; delete: string[] } };
        assert.equal(plan.dryRun, true);
        assert.ok(plan.plan.delete.includes('stale.txt'), JSON.stringify(plan));
        assert.ok(server.files.has('/site/stale.txt'), 'a dry run changes nothing');
        assertExit(
          await runCli(['mirror', '--delete', ...ca, src, url(server.port, '/site', 'ftps')], { env }),
          0,
          'mirror --delete',
        );
        assert.ok(!server.files.has('/site/stale.txt'));
        assert.equal(server.files.get('/site/sub/new.txt')?.toString(), 'new');
        const down = path.join(tmp.dir, 'down');
        assertExit(
          await runCli(['mirror', '--reverse', ...ca, url(server.port, '/site', 'ftps'), down], { env }),
          0,
          'mirror --reverse',
        );
        assert.equal(readFileSync(path.join(down, 'keep.txt'), 'utf8'), 'k2');
      },
    );
  } finally {
    tmp.cleanup();
  }
});

test(
  'put with a file and two folders: one line per file, the summary counts every part of the run',
  LIMIT,
  async () => {
    const tmp = tempDir();
    try {
      await withServer({ mode: 'explicit' }, async ({ server }) => {
        for (const dir of ['a', 'b']) {
          mkdirSync(path.join(tmp.dir, dir, 'sub'), { recursive: true });
          writeFileSync(path.join(tmp.dir, dir, '1.txt'), `${dir}1`);
          writeFileSync(path.join(tmp.dir, dir, 'sub', '2.txt'), `${dir}2`);
        }
        writeFileSync(path.join(tmp.dir, 'single.txt'), 'single');
        const args = [
          'put',
          '-r',
          '--ca',
          CA_FILE,
          path.join(tmp.dir, 'single.txt'),
          path.join(tmp.dir, 'a'),
          path.join(tmp.dir, 'b'),
          url(server.port, '/m/'),
        ];
        const r = await runCli(args, { env: { ...CREDS, HOME: tmp.dir } });
        assertExit(r, 0, 'put file + two folders');
        assert.doesNotMatch(r.stdout, ESCAPE);
        const lines = r.stdout.trim().split('\n');
        assert.equal(lines.filter((l) => l.startsWith('put ')).length, 5, r.stdout);
        assert.match(lines.at(-1) ?? '', /^5\/5 files, 14 B in \d+\.\d s$/, 'not only the last folder');
        assert.equal(server.files.get('/m/b/sub/2.txt')?.toString(), 'b2');
      });
    } finally {
      tmp.cleanup();
    }
  },
);

test('credentials: URL user + --password-stdin, env, netrc (mode checked), and their precedence', LIMIT, async () => {
  const tmp = tempDir();
  try {
    await withServer(
      { mode: 'explicit', users: { alice: 'wonder', bob: 'builder' }, files: { '/f': 'x' } },
      async ({ server }) => {
        const ca = ['--ca', CA_FILE];
        const home = { HOME: tmp.dir };
        const who = (): string | undefined => server.commands.filter((c) => c.startsWith('USER ')).pop();
        const stdin = await runCli(['ls', '--password-stdin', ...ca, `ftpes://alice@127.0.0.1:${server.port}/`], {
          env: home,
          stdin: 'wonder\n',
        });
        assertExit(stdin, 0, 'URL user + stdin');
        assert.equal(who(), 'USER alice');
        // stdin beats FTPS_PASSWORD
        assertExit(
          await runCli(['ls', '--password-stdin', ...ca, `ftpes://alice@127.0.0.1:${server.port}/`], {
            env: { ...home, FTPS_PASSWORD: 'wrong' },
            stdin: 'wonder\n',
          }),
          0,
          'stdin over env',
        );
        assertExit(
          await runCli(['ls', ...ca, url(server.port)], {
            env: { ...home, FTPS_USER: 'bob', FTPS_PASSWORD: 'builder' },
          }),
          0,
          'env',
        );
        assert.equal(who(), 'USER bob');
        // URL user beats FTPS_USER
        assertExit(
          await runCli(['ls', ...ca, `ftpes://alice@127.0.0.1:${server.port}/`], {
            env: { ...home, FTPS_USER: 'bob', FTPS_PASSWORD: 'wonder' },
          }),
          0,
          'URL over env',
        );
        assert.equal(who(), 'USER alice');

        const netrc = path.join(tmp.dir, '.netrc');
        writeFileSync(
          netrc,
          `machine other.example login x password y\nmachine 127.0.0.1\n  login bob\n  password "builder"\n`,
        );
        chmodSync(netrc, 0o644);
        const open = await runCli(['ls', ...ca, url(server.port)], { env: home });
        assertExit(open, 2, 'netrc readable by others');
        assert.match(open.stderr, /readable by others.*chmod 600/);
        assert.doesNotMatch(open.stderr, /builder/);
        chmodSync(netrc, 0o600);
        assertExit(await runCli(['ls', ...ca, url(server.port)], { env: home }), 0, '~/.netrc');
        assert.equal(who(), 'USER bob');
        // FTPS_PASSWORD beats netrc; the netrc login still names the user
        const envOverNetrc = await runCli(['ls', ...ca, url(server.port)], { env: { ...home, FTPS_PASSWORD: 'nope' } });
        assertExit(envOverNetrc, 5, 'env password over netrc (wrong on purpose)');
        const other = path.join(tmp.dir, 'other-netrc');
        writeFileSync(other, 'default login alice password wonder\n', { mode: 0o600 });
        assertExit(
          await runCli(['ls', '--netrc-file', other, ...ca, url(server.port)], { env: home }),
          0,
          '--netrc-file default entry',
        );
        assert.equal(who(), 'USER alice');
        const missing = await runCli(['ls', '--netrc-file', path.join(tmp.dir, 'nope'), ...ca, url(server.port)], {
          env: home,
        });
        assertExit(missing, 2, 'missing --netrc-file');
        const noPassword = await runCli(['ls', ...ca, `ftpes://carol@127.0.0.1:${server.port}/`], {
          env: { HOME: path.join(tmp.dir, 'empty') },
        });
        assertExit(noPassword, 2, 'no password anywhere');
        assert.match(noPassword.stderr, /No password for user "carol"/);
      },
    );
  } finally {
    tmp.cleanup();
  }
});

test(
  'exit codes: connect 3, TLS 4, login 5, refused 6, verify 7, partial 8; no password in any output',
  LIMIT,
  async () => {
    const tmp = tempDir();
    try {
      await withServer(
        { mode: 'explicit', users: { user: 'pass-SECRET-42' }, files: { '/a': 'aaaa' } },
        async ({ server }) => {
          const env = { FTPS_USER: 'user', FTPS_PASSWORD: 'pass-SECRET-42', HOME: tmp.dir };
          const ca = ['--ca', CA_FILE];
          const outputs: string[] = [];
          const run = async (args: string[], code: number, what: string, extraEnv: Record<string, string> = {}) => {
            const r = await runCli(['-v', ...args], { env: { ...env, ...extraEnv } });
            outputs.push(r.stdout + r.stderr);
            assertExit(r, code, what);
            return r;
          };
          await run(['ls', ...ca, 'ftpes://127.0.0.1:1/'], 3, 'connection refused');
          await run(['ls', ...ca, 'ftpes://no-such-host.invalid/'], 3, 'DNS failure');
          const tls = await run(['ls', url(server.port)], 4, 'untrusted certificate');
          assert.match(tls.stderr, /ERR_FTPS_TLS/);
          const login = await run(['ls', ...ca, url(server.port)], 5, 'wrong password', { FTPS_PASSWORD: 'wrong-one' });
          assert.match(login.stderr, /530/);
          await run(['get', ...ca, url(server.port, '/missing'), path.join(tmp.dir, 'm')], 6, 'missing remote file');
          assert.ok(!existsSync(path.join(tmp.dir, 'm')), 'no local file for a refused download');
          server.hook('SIZE', faults.reply('213 999'));
          await run(['get', '--verify', ...ca, url(server.port, '/a'), path.join(tmp.dir, 'v')], 7, 'verify failed');
          const a = path.join(tmp.dir, 'a.txt');
          const b = path.join(tmp.dir, 'b.txt');
          writeFileSync(a, 'A');
          writeFileSync(b, 'B');
          server.hook('STOR', async (ctx) =>
            ctx.line.includes('b.txt') ? void (await ctx.reply('553 Not allowed')) : 'default',
          );
          const partial = await run(
            ['put', '--retries', '0', ...ca, a, b, url(server.port, '/in/')],
            8,
            'one of two failed',
          );
          assert.match(partial.stderr, /b\.txt.*553/);
          const verbose = outputs.join('\n');
          assert.match(verbose, /PASS <redacted>/, '-v shows the protocol log');
          assert.doesNotMatch(verbose, /SECRET/);
        },
      );
    } finally {
      tmp.cleanup();
    }
  },
);

test('--json, --json --progress (NDJSON) and -q', LIMIT, async () => {
  const tmp = tempDir();
  try {
    await withServer({ mode: 'explicit', files: { '/big': Buffer.alloc(300_000, 1) } }, async ({ server }) => {
      const env = { ...CREDS, HOME: tmp.dir };
      const ca = ['--ca', CA_FILE];
      const nd = await runCli(
        ['get', '--json', '--progress', ...ca, url(server.port, '/big'), path.join(tmp.dir, 'big')],
        { env },
      );
      assertExit(nd, 0, 'ndjson');
      const events = nd.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; bytes?: number });
      assert.ok(events.some((e) => e.event === 'progress'));
      assert.equal(events.at(-1)?.event, 'result');
      assert.ok(events.some((e) => e.event === 'done' && e.bytes === 300_000));
      const quiet = await runCli(['get', '-q', ...ca, url(server.port, '/big'), path.join(tmp.dir, 'big2')], { env });
      assertExit(quiet, 0, '-q');
      assert.equal(quiet.stdout + quiet.stderr, '');
      const insecure = await runCli(['ls', '-q', '--insecure', url(server.port)], { env });
      assertExit(insecure, 0, '--insecure');
      assert.match(insecure.stderr, /warning: --insecure/);
    });
  } finally {
    tmp.cleanup();
  }
});

test('Ctrl-C during an --atomic upload: exit 130, nothing under the final name', LIMIT, async () => {
  const tmp = tempDir();
  try {
    await withServer({ mode: 'explicit' }, async ({ server }) => {
      const local = path.join(tmp.dir, 'backup.tar');
      writeFileSync(local, Buffer.alloc(20_000_000, 3)); // more than socket buffers hold: still sending at Ctrl-C
      server.hook('STOR', faults.transfer({ after: { bytes: 50_000, action: 'stall' } }));
      let sent = false;
      const r = await runCli(['put', '--atomic', '--ca', CA_FILE, local, url(server.port, '/b/')], {
        env: { ...CREDS, HOME: tmp.dir },
        onSpawn: (child) => {
          const timer = setInterval(() => {
            if (!sent && server.commands.some((c) => c.startsWith('STOR '))) {
              sent = true;
              clearInterval(timer);
              setTimeout(() => child.kill('SIGINT'), 200);
            }
          }, 20);
        },
      });
      assertExit(r, 130, 'interrupted');
      assert.ok(sent);
      assert.ok(!server.files.has('/b/backup.tar'), 'no file under the final name');
      assert.deepEqual(
        [...server.files.keys()].filter((k) => k.startsWith('/b/') && !k.endsWith('/')),
        [],
        'temporary file removed',
      );
    });
  } finally {
    tmp.cleanup();
  }
});

test('Ctrl-C during put -r --atomic: exit 130, no file of the folder under its final name', LIMIT, async () => {
  const tmp = tempDir();
  try {
    // Partial uploads stay on the server, as on real ones: only --atomic keeps them off the final names.
    await withServer({ mode: 'explicit', keepPartialUploads: true }, async ({ server }) => {
      const site = path.join(tmp.dir, 'site');
      mkdirSync(path.join(site, 'sub'), { recursive: true });
      const names = ['a.bin', 'b.bin', 'sub/c.bin'];
      for (const n of names) writeFileSync(path.join(site, n), Buffer.alloc(8_000_000, 1));
      server.hook('STOR', faults.transfer({ after: { bytes: 50_000, action: 'stall' } }));
      let sent = false;
      const r = await runCli(['put', '-r', '--atomic', '--ca', CA_FILE, site, url(server.port, '/b/')], {
        env: { ...CREDS, HOME: tmp.dir },
        onSpawn: (child) => {
          const timer = setInterval(() => {
            if (!sent && server.commands.filter((c) => c.startsWith('STOR ')).length >= 2) {
              sent = true;
              clearInterval(timer);
              setTimeout(() => child.kill('SIGINT'), 200);
            }
          }, 20);
        },
      });
      assertExit(r, 130, 'interrupted');
      assert.ok(sent);
      assert.match(r.stderr, /ftps: interrupted/);
      assert.doesNotMatch(r.stdout + r.stderr, ESCAPE);
      for (const n of names) assert.ok(!server.files.has(`/b/site/${n}`), `${n} not under its final name`);
    });
  } finally {
    tmp.cleanup();
  }
});

test('Ctrl-C during an --atomic download: exit 130, no file under the final name, no .part left', LIMIT, async () => {
  const tmp = tempDir();
  try {
    await withServer({ mode: 'explicit', files: { '/big.bin': Buffer.alloc(500_000, 5) } }, async ({ server }) => {
      server.hook('RETR', faults.transfer({ after: { bytes: 100_000, action: 'stall' } }));
      const dest = path.join(tmp.dir, 'big.bin');
      let sent = false;
      const r = await runCli(['get', '--atomic', '--ca', CA_FILE, url(server.port, '/big.bin'), dest], {
        env: { ...CREDS, HOME: tmp.dir },
        onSpawn: (child) => {
          const timer = setInterval(() => {
            // The bytes land in the library's hidden temporary sibling (renamed only once complete).
            if (!sent && readdirSync(tmp.dir).some((n) => n.endsWith('.ftps-part'))) {
              sent = true;
              clearInterval(timer);
              setTimeout(() => child.kill('SIGINT'), 100);
            }
          }, 20);
        },
      });
      assertExit(r, 130, 'interrupted');
      assert.ok(sent, 'the partial file existed while the download ran');
      assert.ok(!existsSync(dest), 'nothing under the final name');
      assert.ok(!existsSync(`${dest}.part`), 'the partial file is removed without --resume');
      assert.deepEqual(
        readdirSync(tmp.dir).filter((n) => n.includes('big.bin')),
        [],
        'no temporary file left',
      );
    });
  } finally {
    tmp.cleanup();
  }
});

test(
  '--tls-min 1.3 against a TLS 1.2-only server is a TLS failure (exit 4); --pin accepts a self-signed server',
  LIMIT,
  async () => {
    const tmp = tempDir();
    try {
      await withServer({ mode: 'explicit', maxVersion: 'TLSv1.2' }, async ({ server }) => {
        const env = { ...CREDS, HOME: tmp.dir };
        assertExit(
          await runCli(['ls', '--tls-min', '1.3', '--ca', CA_FILE, url(server.port)], { env }),
          4,
          '--tls-min 1.3',
        );
        assertExit(
          await runCli(['ls', '--tls-min', '1.2', '--ca', CA_FILE, url(server.port)], { env }),
          0,
          '--tls-min 1.2',
        );
      });
      const selfSigned = {
        key: readFileSync(new URL('../fixtures/tls/selfsigned.key', import.meta.url)),
        cert: readFileSync(new URL('../fixtures/tls/selfsigned.pem', import.meta.url)),
      };
      await withServer({ mode: 'implicit', cert: selfSigned }, async ({ server }) => {
        const env = { ...CREDS, HOME: tmp.dir };
        assertExit(await runCli(['ls', url(server.port, '/', 'ftps')], { env }), 4, 'self-signed without a pin');
        const pin = spkiPin(selfSigned.cert.toString());
        assertExit(
          await runCli(['ls', '--pin', pin, url(server.port, '/', 'ftps')], { env }),
          0,
          'self-signed with its pin',
        );
        const wrong = await runCli(['ls', '--pin', `sha256/${'B'.repeat(43)}=`, url(server.port, '/', 'ftps')], {
          env,
        });
        assertExit(wrong, 4, 'wrong pin');
        assert.match(wrong.stderr, /ERR_FTPS_TLS_PIN/);
      });
    } finally {
      tmp.cleanup();
    }
  },
);
