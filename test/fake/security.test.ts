/**
 * Security behaviour: AUTH/PROT refusals, certificate and host-name verification, TLS versions,
 * command injection through CR/LF/NUL, and the password never reaching the debug log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { format } from 'node:util';
import createDebug from 'debug';
import {
  FtpReplyError,
  FtpsClient,
  InvalidArgumentError,
  ProtocolError,
  TlsError,
  type FtpsClient as Client,
} from '../../src/index.js';
import { faults } from '../helpers/fake-server.js';
import {
  assertFtpsError,
  assertNoLogin,
  ca,
  FAST,
  LIMIT,
  random,
  rejection,
  Sink,
  sleep,
  withServer,
  wrongHostCert,
} from './support.js';

const CERT_UNTRUSTED = [
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
];

function causeCode(err: Error): string | undefined {
  return (err.cause as { code?: string } | undefined)?.code;
}

for (const reply of [
  '502 AUTH not supported.',
  '534 Policy requires no TLS.',
  '431 Unable to accept security mechanism.',
]) {
  test(`AUTH TLS refused (${reply.slice(0, 3)}) → TlsError, no USER/PASS in clear text`, LIMIT, async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      server.hook('AUTH', faults.reply(reply));
      const err = assertFtpsError(await rejection(connect()), TlsError, 'ERR_FTPS_TLS');
      assert.ok(err.cause instanceof FtpReplyError);
      assert.equal(err.cause.replyCode, Number(reply.slice(0, 3)));
      assert.deepEqual(server.commands, ['AUTH TLS']);
      assertNoLogin(server);
    });
  });
}

test('garbage in the same packet as 234 → ProtocolError, no USER/PASS', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    server.hook('AUTH', async (ctx) => {
      ctx.ignoreInput();
      await ctx.writeRaw('234 Proceed with negotiation.\r\nHELLO I AM NOT TLS\r\n');
    });
    assertFtpsError(await rejection(connect()), ProtocolError, 'ERR_FTPS_PROTOCOL');
    assertNoLogin(server);
  });
});

test('garbage after 234, once the client is handshaking → TlsError, no USER/PASS', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    server.hook('AUTH', async (ctx) => {
      ctx.ignoreInput();
      await ctx.reply('234 Proceed with negotiation.');
      await sleep(200);
      await ctx.writeRaw('this is definitely not a TLS ServerHello\r\n');
    });
    assertFtpsError(await rejection(connect()), TlsError, 'ERR_FTPS_TLS');
    assertNoLogin(server);
  });
});

test('garbage after 234 (faults.garbageAfter234) → TlsError or ProtocolError, no USER/PASS', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    server.hook('AUTH', faults.garbageAfter234());
    const err = await rejection(connect());
    // Which one depends on whether the garbage arrives with the 234 or during the handshake.
    if (err instanceof ProtocolError) assert.equal(err.code, 'ERR_FTPS_PROTOCOL');
    else assertFtpsError(err, TlsError, 'ERR_FTPS_TLS');
    assertNoLogin(server);
  });
});

for (const mode of ['explicit', 'implicit'] as const) {
  test(`PROT P refused → TlsError (${mode})`, LIMIT, async () => {
    await withServer({ mode }, async ({ server, connect }) => {
      server.hook('PROT', faults.reply('536 PROT P not supported.'));
      const err = assertFtpsError(await rejection(connect()), TlsError, 'ERR_FTPS_TLS');
      assert.ok(err.cause instanceof FtpReplyError);
      assert.equal(err.cause.replyCode, 536);
      // TYPE I went out in the same write as PROT P (pipelined settings); nothing after that batch.
      assert.deepEqual(server.commands.slice(server.commands.indexOf('PBSZ 0')), [
        'PBSZ 0',
        'PROT P',
        'OPTS UTF8 ON',
        'TYPE I',
      ]);
    });
  });

  test(`untrusted certificate (no ca) → TlsError (${mode})`, LIMIT, async () => {
    await withServer({ mode }, async ({ server, connect }) => {
      const err = assertFtpsError(await rejection(connect({ tls: {} })), TlsError, 'ERR_FTPS_TLS');
      assert.ok(CERT_UNTRUSTED.includes(causeCode(err) ?? ''), `cause code ${causeCode(err)}`);
      assertNoLogin(server);
      assert.deepEqual(server.commands, mode === 'explicit' ? ['AUTH TLS'] : []);
    });
  });

  test(`host-name mismatch: servername 'wrong.example' → TlsError (${mode})`, LIMIT, async () => {
    await withServer({ mode }, async ({ server, connect }) => {
      const err = assertFtpsError(
        await rejection(connect({ tls: { ca, servername: 'wrong.example' } })),
        TlsError,
        'ERR_FTPS_TLS',
      );
      assert.equal(causeCode(err), 'ERR_TLS_CERT_ALTNAME_INVALID');
      assertNoLogin(server);
    });
  });

  test(
    `host-name mismatch: server certificate for wrong.example, client connects to 127.0.0.1 → TlsError (${mode})`,
    LIMIT,
    async () => {
      await withServer({ mode, cert: wrongHostCert }, async ({ server, connect }) => {
        const err = assertFtpsError(await rejection(connect()), TlsError, 'ERR_FTPS_TLS');
        assert.equal(causeCode(err), 'ERR_TLS_CERT_ALTNAME_INVALID');
        assertNoLogin(server);
      });
    },
  );

  test(`TLS minVersion 1.3 against a server pinned to 1.2 → TlsError (${mode})`, LIMIT, async () => {
    await withServer({ mode, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, async ({ server, connect }) => {
      assertFtpsError(await rejection(connect({ tls: { ca, minVersion: 'TLSv1.3' } })), TlsError, 'ERR_FTPS_TLS');
      assertNoLogin(server);
    });
  });
}

test('certificate for wrong.example is accepted with servername wrong.example (control + data)', LIMIT, async () => {
  await withServer({ mode: 'explicit', cert: wrongHostCert, files: { '/f': 'data' } }, async ({ server, connect }) => {
    const client = await connect({ tls: { ca, servername: 'wrong.example' } });
    const sink = new Sink();
    const r = await client.download('/f', sink);
    assert.equal(sink.bytes.toString(), 'data');
    assert.equal(r.tlsSessionReused, true);
    assert.deepEqual(server.violations, []);
  });
});

/** A minimal implicit-TLS FTP server pinned to TLS 1.1 (FakeFtpServer cannot lower the OpenSSL security level). */
async function withTls11Server(fn: (port: number) => Promise<void>): Promise<void> {
  const dir = new URL('../fixtures/tls/', import.meta.url);
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    {
      key: readFileSync(new URL('server.key', dir)),
      cert: readFileSync(new URL('server.pem', dir)),
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    },
    (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      s.write('220 TLS 1.1 server\r\n');
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        let i: number;
        while ((i = buf.indexOf('\r\n')) >= 0) {
          const verb = buf.slice(0, i).split(' ', 1)[0]?.toUpperCase();
          buf = buf.slice(i + 2);
          const answers: Record<string, string> = {
            USER: '331 ok',
            PASS: '230 ok',
            PBSZ: '200 ok',
            PROT: '200 ok',
            FEAT: '211 no features',
            TYPE: '200 ok',
            PWD: '257 "/"',
            QUIT: '221 bye',
          };
          s.write(`${answers[verb ?? ''] ?? '502 no'}\r\n`);
          if (verb === 'QUIT') s.end();
        }
      });
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    await fn((server.address() as AddressInfo).port);
    await sleep(50);
    assert.equal(sockets.size, 0, 'sockets left open on the TLS 1.1 server');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('default minVersion is TLS 1.2: a TLS 1.1-only server is refused with TlsError', LIMIT, async () => {
  await withTls11Server(async (port) => {
    const base = {
      host: '127.0.0.1',
      port,
      user: 'u',
      password: 'p',
      secure: 'implicit',
      timeouts: { ...FAST },
    } as const;
    // The server really speaks TLS 1.1 when the client allows it …
    const legacy = await FtpsClient.connect({
      ...base,
      tls: { ca, minVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' },
    });
    assert.equal(legacy.tls?.protocol, 'TLSv1.1');
    assert.equal(await legacy.pwd(), '/');
    await legacy.close();
    // … and by default the client refuses it.
    const err = assertFtpsError(
      await rejection(FtpsClient.connect({ ...base, tls: { ca, ciphers: 'DEFAULT@SECLEVEL=0' } })),
      TlsError,
      'ERR_FTPS_TLS',
    );
    assert.match(String(causeCode(err)), /PROTOCOL|VERSION/);
  });
});

/** Calls `fn`, turning a synchronous throw into a rejection, so the assertion sees the error either way. */
function settle<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (err) {
    return Promise.reject(err);
  }
}

const INJECTIONS: [string, (c: Client) => Promise<unknown>][] = [
  ['download', (c) => c.download('a\r\nDELE x', new Sink())],
  ['upload', (c) => c.upload(Buffer.from('evil'), 'up\nDELE x')],
  ['mkdir', (c) => c.mkdir('x\0')],
  ['rmdir', (c) => c.rmdir('d\r')],
  ['cd', (c) => c.cd('/\r\nDELE x')],
  ['remove', (c) => c.remove('x\r\nDELE x')],
  ['rename (from)', (c) => c.rename('x\nDELE x', 'y')],
  ['rename (to)', (c) => c.rename('x', 'y\r\nDELE x')],
  ['size', (c) => c.size('x\0')],
  ['lastModified', (c) => c.lastModified('x\r\nDELE x')],
  ['list', (c) => c.list('/\r\nDELE x')],
  ['send', (c) => c.send('NOOP\r\nDELE x')],
  ['send (NUL)', (c) => c.send('NOOP\0')],
  ['send (empty)', (c) => c.send('  ')],
];

test('CR/LF/NUL in a path or command → InvalidArgumentError, nothing reaches the server', LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/x': 'keep me' } }, async ({ server, connect }) => {
    const client = await connect();
    const before = server.commands.length;
    for (const [name, call] of INJECTIONS) {
      const err = await rejection(settle(() => call(client)));
      assertFtpsError(err, InvalidArgumentError, 'ERR_FTPS_INVALID_ARGUMENT');
      assert.equal(client.closed, false, `${name}: client still open`);
    }
    assert.equal(await client.pwd(), '/');
    assert.deepEqual(server.commands.slice(before), ['PWD']);
    assert.ok(server.files.get('/x')?.equals(Buffer.from('keep me')));
    assert.deepEqual(server.violations, []);
  });
});

test('invalid arguments reject the returned promise instead of throwing synchronously', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ connect }) => {
    const client = await connect();
    const threw: string[] = [];
    for (const [name, call] of INJECTIONS) {
      let promise: Promise<unknown>;
      try {
        promise = call(client);
      } catch (err) {
        threw.push(name);
        promise = Promise.reject(err);
      }
      assertFtpsError(await rejection(promise), InvalidArgumentError, 'ERR_FTPS_INVALID_ARGUMENT');
    }
    assert.deepEqual(threw, [], 'these methods threw synchronously instead of returning a rejected promise');
  });
});

test('the password never appears in the debug log (ftps:*)', LIMIT, async () => {
  const secret = 'Sup3r-S3cret-pw!';
  const lines: string[] = [];
  const savedLog = createDebug.log;
  const savedNamespaces = createDebug.disable();
  createDebug.log = (...args: unknown[]) => void lines.push(format(...args));
  createDebug.enable('ftps:*');
  try {
    await withServer(
      { mode: 'explicit', users: { user: secret }, files: { '/f': random(10_000) } },
      async ({ server, connect }) => {
        const client = await connect({ password: secret });
        await client.download('/f', new Sink());
        await client.send('NOOP');
        // A failed login must not leak it either (log or error).
        const err = assertFtpsError(
          await rejection(connect({ password: `${secret}-wrong` })),
          FtpReplyError,
          'ERR_FTPS_REPLY',
        );
        assert.equal(err.replyCode, 530);
        assert.ok(!err.message.includes(secret) && !String(err.command).includes(secret));
        assert.ok(server.commands.includes(`PASS ${secret}`), 'the server did get the password');
      },
    );
  } finally {
    createDebug.disable();
    if (savedNamespaces !== '') createDebug.enable(savedNamespaces);
    createDebug.log = savedLog;
  }
  const all = lines.join('\n');
  assert.ok(lines.length > 10, 'debug output captured');
  assert.ok(!all.includes(secret), 'password found in the debug log');
  assert.match(all, /PASS <redacted>/);
  assert.match(all, /ftps:control/);
  assert.match(all, /ftps:data/);
  assert.match(all, /ftps:tls/);
});
