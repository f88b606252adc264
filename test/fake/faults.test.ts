/**
 * Fault injection: broken data and control connections, 421, stalls, missing replies, bogus PASV,
 * huge replies, unusual greetings, connect timeouts and refusals, upload truncation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  ClientClosedError,
  ConnectionError,
  ConnectTimeoutError,
  DataTimeoutError,
  FtpReplyError,
  FtpsClient,
  ProtocolError,
  ReplyTimeoutError,
} from '../../src/index.js';
import { faults, type FakeServerMode } from '../helpers/fake-server.js';
import {
  assertFtpsError,
  ca,
  closeDataOnClientFin,
  FAST,
  LIMIT,
  optionsFor,
  random,
  rejection,
  Sink,
  until,
  verbs,
  withServer,
} from './support.js';

const BIG = 512 * 1024;
const TLS_MODES = [
  { mode: 'explicit', version: 'TLSv1.3' },
  { mode: 'explicit', version: 'TLSv1.2' },
  { mode: 'implicit', version: 'TLSv1.3' },
  { mode: 'plain', version: undefined },
] as const;

function label(mode: FakeServerMode, version: string | undefined): string {
  return version === undefined ? mode : `${mode} ${version}`;
}

function pinned(version: 'TLSv1.2' | 'TLSv1.3' | undefined): {
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
} {
  return version === undefined ? {} : { minVersion: version, maxVersion: version };
}

/** Asserts the client's control connection is the only socket left on the server (no data socket, no listener). */
async function onlyControlLeft(server: { openSockets(): number }): Promise<void> {
  await until(() => server.openSockets() === 1, 2000, 'only the control connection left open');
}

for (const { mode, version } of TLS_MODES) {
  for (const action of ['close', 'reset'] as const) {
    test(
      `data connection ${action} mid-download → FtpReplyError 426, client usable (${label(mode, version)})`,
      LIMIT,
      async () => {
        const payload = random(BIG);
        await withServer({ mode, ...pinned(version), files: { '/big.bin': payload } }, async ({ server, connect }) => {
          const client = await connect();
          server.nextTransfer({ after: { bytes: 100_000, action } });
          const sink = new Sink();
          const err = assertFtpsError(
            await rejection(client.download('/big.bin', sink)),
            FtpReplyError,
            'ERR_FTPS_REPLY',
          );
          assert.equal(err.replyCode, 426);
          assert.equal(err.transient, true);
          assert.ok(sink.bytes.length <= 100_000, `got ${sink.bytes.length} bytes`);
          assert.equal(client.closed, false);
          await onlyControlLeft(server);
          // Still usable: a command and a full transfer.
          assert.equal(await client.pwd(), '/');
          const again = new Sink();
          await client.download('/big.bin', again);
          assert.ok(again.bytes.equals(payload));
          assert.deepEqual(server.violations, []);
        });
      },
    );

    test(
      `data connection ${action} mid-upload → FtpReplyError 426, client usable (${label(mode, version)})`,
      LIMIT,
      async () => {
        await withServer({ mode, ...pinned(version) }, async ({ server, connect }) => {
          const client = await connect();
          server.nextTransfer({ after: { bytes: 100_000, action } });
          const err = assertFtpsError(
            await rejection(client.upload(random(4 * BIG), '/up.bin')),
            FtpReplyError,
            'ERR_FTPS_REPLY',
          );
          assert.equal(err.replyCode, 426);
          assert.equal(server.files.has('/up.bin'), false);
          assert.equal(client.closed, false);
          await onlyControlLeft(server);
          assert.equal(await client.pwd(), '/');
          const ok = random(100_000);
          await client.upload(ok, '/up.bin');
          assert.ok(server.files.get('/up.bin')?.equals(ok));
          assert.deepEqual(server.violations, []);
        });
      },
    );
  }
}

for (const action of ['reset-control', 'close-control'] as const) {
  for (const direction of ['download', 'upload'] as const) {
    test(`control connection lost mid-${direction} (${action}) → ConnectionError, client closed`, LIMIT, async () => {
      await withServer({ mode: 'explicit', files: { '/big.bin': random(BIG) } }, async ({ server, connect }) => {
        const client = await connect();
        server.nextTransfer({ after: { bytes: 100_000, action } });
        const call =
          direction === 'download'
            ? client.download('/big.bin', new Sink())
            : client.upload(random(4 * BIG), '/up.bin');
        const err = assertFtpsError(await rejection(call), ConnectionError, 'ERR_FTPS_CONNECTION');
        assert.equal(client.closed, true);
        const later = assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
        assert.equal(later.cause, err);
        await server.waitForIdle(2000);
        assert.equal(verbs(server).includes('PWD'), false);
      });
    });
  }
}

test('control connection reset in reply to a command → ConnectionError, client closed', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    server.hook('NOOP', faults.reset());
    assertFtpsError(await rejection(client.send('NOOP')), ConnectionError, 'ERR_FTPS_CONNECTION');
    assert.equal(client.closed, true);
    assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
  });
});

for (const mode of ['explicit', 'implicit', 'plain'] as const) {
  test(`421 at the greeting → FtpReplyError 421 from connect (${mode})`, LIMIT, async () => {
    await withServer({ mode }, async ({ server, connect }) => {
      server.hook('CONNECT', faults.replyAndClose());
      const err = assertFtpsError(await rejection(connect()), FtpReplyError, 'ERR_FTPS_REPLY');
      assert.equal(err.replyCode, 421);
      assert.equal(err.transient, true);
      assert.deepEqual(server.commands, []);
    });
  });
}

test('421 in reply to a command (then close) → FtpReplyError 421, client closed at once', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    server.hook('PWD', faults.replyAndClose());
    const err = assertFtpsError(await rejection(client.pwd()), FtpReplyError, 'ERR_FTPS_REPLY');
    assert.equal(err.replyCode, 421);
    assert.equal(client.closed, true, 'closed right after the 421');
    assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
  });
});

test(
  '421 in reply to a command (server keeps the socket open) → FtpReplyError 421, client closed, connection dropped',
  LIMIT,
  async () => {
    await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
      const client = await connect();
      server.hook('PWD', faults.reply('421 Too many users, closing control connection.'), { times: 1 });
      const err = assertFtpsError(await rejection(client.pwd()), FtpReplyError, 'ERR_FTPS_REPLY');
      assert.equal(err.replyCode, 421);
      assert.equal(client.closed, true, 'a 421 closes the client');
      const before = server.commands.length;
      const later = assertFtpsError(await rejection(client.send('NOOP')), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
      assert.ok(later.cause instanceof FtpReplyError && later.cause.replyCode === 421, 'cause is the 421');
      assert.deepEqual(server.commands.slice(before), []);
      // The client drops the connection itself (harness checks idle after close()).
    });
  },
);

test('421 during a transfer (instead of 150) → FtpReplyError 421, client closed', LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/f': 'x' } }, async ({ server, connect }) => {
    const client = await connect();
    server.hook('RETR', faults.replyAndClose());
    const err = assertFtpsError(await rejection(client.download('/f', new Sink())), FtpReplyError, 'ERR_FTPS_REPLY');
    assert.equal(err.replyCode, 421);
    assert.equal(client.closed, true);
    assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
  });
});

test('no reply (PWD stalls) → ReplyTimeoutError, client closed', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    server.hook('PWD', faults.stall());
    const err = assertFtpsError(await rejection(client.pwd()), ReplyTimeoutError, 'ERR_FTPS_REPLY_TIMEOUT');
    assert.equal(client.closed, true);
    const later = assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
    assert.equal(later.cause, err);
    await server.waitForIdle(2000);
  });
});

test('missing 226 after a complete download → ReplyTimeoutError, client closed', LIMIT, async () => {
  const payload = random(200_000);
  await withServer({ mode: 'explicit', files: { '/f.bin': payload } }, async ({ server, connect }) => {
    const client = await connect();
    server.nextTransfer({ omitFinalReply: true });
    const sink = new Sink();
    assertFtpsError(await rejection(client.download('/f.bin', sink)), ReplyTimeoutError, 'ERR_FTPS_REPLY_TIMEOUT');
    assert.ok(sink.bytes.equals(payload), 'the data itself arrived');
    assert.equal(client.closed, true);
    await server.waitForIdle(2000);
  });
});

test('missing 226 after a complete upload → ReplyTimeoutError, client closed', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    server.nextTransfer({ omitFinalReply: true });
    assertFtpsError(
      await rejection(client.upload(random(200_000), '/u.bin')),
      ReplyTimeoutError,
      'ERR_FTPS_REPLY_TIMEOUT',
    );
    assert.equal(client.closed, true);
    assert.deepEqual(server.violations, []);
  });
});

// `{ stall: true }`: 150, then nothing on the data socket and no final reply either. On TLS the data
// handshake times out (connect timeout); on plain FTP the data timeout fires. Neither is answered
// by the server, so the client then gives up on the final reply and closes the connection.
for (const mode of ['explicit', 'plain'] as const) {
  test(
    `stalled data connection (${mode}) → rejects within the timeouts, client closed, nothing leaks`,
    LIMIT,
    async () => {
      await withServer({ mode, files: { '/f.bin': random(10_000) } }, async ({ server, connect }) => {
        const client = await connect({ timeouts: { connect: 600, reply: 600, data: 600 } });
        server.nextTransfer({ stall: true });
        const err = await rejection(client.download('/f.bin', new Sink()));
        assertFtpsError(err, ReplyTimeoutError, 'ERR_FTPS_REPLY_TIMEOUT');
        assert.equal(client.closed, true);
        await server.waitForIdle(2000);
      });
    },
  );
}

for (const { mode, version } of TLS_MODES) {
  test(
    `data stalled after N bytes → FtpReplyError 426 caused by DataTimeoutError, client usable (${label(mode, version)})`,
    LIMIT,
    async () => {
      const payload = random(BIG);
      await withServer({ mode, ...pinned(version), files: { '/big.bin': payload } }, async ({ server, connect }) => {
        const client = await connect({ timeouts: { connect: 2000, reply: 1000, data: 500 } });
        closeDataOnClientFin(server);
        server.nextTransfer({ after: { bytes: 64 * 1024, action: 'stall' } });
        const err = assertFtpsError(
          await rejection(client.download('/big.bin', new Sink())),
          FtpReplyError,
          'ERR_FTPS_REPLY',
        );
        assert.equal(err.replyCode, 426);
        assert.ok(err.cause instanceof DataTimeoutError, `cause: ${String(err.cause)}`);
        assert.equal(err.cause.code, 'ERR_FTPS_DATA_TIMEOUT');
        assert.equal(client.closed, false);
        await onlyControlLeft(server);
        const sink = new Sink();
        await client.download('/big.bin', sink);
        assert.ok(sink.bytes.equals(payload));
      });
    },
  );
}

test('final reply 451 after a complete download → FtpReplyError 451, client usable', LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/f.bin': random(50_000) } }, async ({ server, connect }) => {
    const client = await connect();
    server.nextTransfer({ finalReply: '451 Local error in processing.' });
    const err = assertFtpsError(
      await rejection(client.download('/f.bin', new Sink())),
      FtpReplyError,
      'ERR_FTPS_REPLY',
    );
    assert.equal(err.replyCode, 451);
    assert.equal(client.closed, false);
    assert.equal(await client.pwd(), '/');
  });
});

test('RETR of a missing file → FtpReplyError 550, no data socket left, client usable', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    const err = assertFtpsError(await rejection(client.download('/nope', new Sink())), FtpReplyError, 'ERR_FTPS_REPLY');
    assert.equal(err.replyCode, 550);
    assert.equal(err.transient, false);
    assert.equal(err.command, 'RETR /nope');
    await onlyControlLeft(server);
    assert.equal(await client.pwd(), '/');
    const e2 = assertFtpsError(await rejection(client.cd('/nope')), FtpReplyError, 'ERR_FTPS_REPLY');
    assert.equal(e2.replyCode, 550);
    assert.equal(client.closed, false);
  });
});

test('bogus 227 naming 10.1.2.3 → the client connects to the control host and the transfer works', LIMIT, async () => {
  const payload = random(100_000);
  await withServer({ mode: 'explicit', files: { '/f.bin': payload } }, async ({ server, connect }) => {
    server.hook('EPSV', faults.reply('502 EPSV not implemented.'));
    server.hook('PASV', faults.bogusPasv());
    const client = await connect();
    const sink = new Sink();
    const r = await client.download('/f.bin', sink);
    assert.ok(sink.bytes.equals(payload));
    assert.equal(r.tlsSessionReused, true);
    await client.upload(payload, '/g.bin');
    assert.ok(server.files.get('/g.bin')?.equals(payload));
    assert.equal(verbs(server).filter((v) => v === 'EPSV').length, 1);
    assert.equal(verbs(server).filter((v) => v === 'PASV').length, 2);
    assert.deepEqual(server.violations, []);
  });
});

test('oversized reply to FEAT during connect → ProtocolError, connection closed', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    server.hook('FEAT', faults.hugeReply());
    const heapBefore = process.memoryUsage().heapUsed;
    assertFtpsError(await rejection(connect()), ProtocolError, 'ERR_FTPS_PROTOCOL');
    await server.waitForIdle(2000);
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${grown} bytes`);
  });
});

test('oversized reply to PWD → ProtocolError, client closed; maxReplyBytes is honoured', LIMIT, async () => {
  await withServer({ mode: 'implicit' }, async ({ server, connect }) => {
    const client = await connect({ maxReplyBytes: 4096 });
    // 8 KiB in a properly terminated multi-line reply: over the cap of 4 KiB.
    server.hook('PWD', faults.hugeReply({ code: '257', totalBytes: 8192 }));
    assertFtpsError(await rejection(client.pwd()), ProtocolError, 'ERR_FTPS_PROTOCOL');
    assert.equal(client.closed, true);
    assertFtpsError(await rejection(client.pwd()), ClientClosedError, 'ERR_FTPS_CLIENT_CLOSED');
    await server.waitForIdle(2000);
  });
});

test('endless reply to PWD → ProtocolError, client closed', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const client = await connect();
    server.hook('PWD', faults.hugeReply({ code: '257' }));
    assertFtpsError(await rejection(client.pwd()), ProtocolError, 'ERR_FTPS_PROTOCOL');
    assert.equal(client.closed, true);
    await server.waitForIdle(2000);
  });
});

for (const mode of ['explicit', 'implicit', 'plain'] as const) {
  test(`120 then 220 greeting → connects (${mode})`, LIMIT, async () => {
    await withServer({ mode }, async ({ server, connect }) => {
      server.hook('CONNECT', faults.greeting120(100));
      const client = await connect();
      assert.equal(await client.pwd(), '/');
      assert.deepEqual(server.violations, []);
    });
  });

  test(`server accepts but never greets → ConnectTimeoutError (${mode})`, LIMIT, async () => {
    await withServer({ mode }, async ({ server, connect }) => {
      server.hook('CONNECT', faults.stall());
      const started = Date.now();
      assertFtpsError(
        await rejection(connect({ timeouts: { connect: 500, reply: 5000, data: 5000 } })),
        ConnectTimeoutError,
        'ERR_FTPS_CONNECT_TIMEOUT',
      );
      assert.ok(Date.now() - started < 4000, 'bounded by the connect timeout, not the reply timeout');
      await server.waitForIdle(2000);
    });
  });
}

test('implicit TLS: TCP accepted but no TLS handshake ever → ConnectTimeoutError', LIMIT, async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.resume(); // read (and drop) the ClientHello, so the client's FIN is seen
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (silent.address() as net.AddressInfo).port;
    const err = await rejection(
      FtpsClient.connect({
        host: '127.0.0.1',
        port,
        secure: 'implicit',
        tls: { ca },
        timeouts: { connect: 500, reply: 5000, data: 5000 },
      }),
    );
    assertFtpsError(err, ConnectTimeoutError, 'ERR_FTPS_CONNECT_TIMEOUT');
    await until(() => sockets.size === 0, 2000, 'client socket closed');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

for (const secure of ['explicit', 'implicit', false] as const) {
  test(`connection refused → ConnectionError (secure: ${String(secure)})`, LIMIT, async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = assertFtpsError(
      await rejection(FtpsClient.connect({ host: '127.0.0.1', port, secure, tls: { ca }, timeouts: { ...FAST } })),
      ConnectionError,
      'ERR_FTPS_CONNECTION',
    );
    assert.equal((err.cause as { code?: string } | undefined)?.code, 'ECONNREFUSED');
  });
}

test('20 consecutive 256 KiB uploads on TLS 1.3: no truncated STOR (close_notify every time)', LIMIT, async () => {
  await withServer({ mode: 'explicit', minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, async ({ server, connect }) => {
    const client = await connect();
    const sent: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      const body = random(256 * 1024);
      sent.push(body);
      const r = await client.upload(body, `/u${i}.bin`);
      assert.equal(r.bytes, body.length);
      assert.equal(r.tlsSessionReused, true);
    }
    assert.deepEqual(server.violations, []);
    assert.equal(server.dataReuse.length, 20);
    assert.ok(server.dataReuse.every((x) => x));
    sent.forEach((body, i) => assert.ok(server.files.get(`/u${i}.bin`)?.equals(body), `file ${i}`));
  });
});

test('secure: false against a server requiring TLS → FtpReplyError 530 from connect', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server }) => {
    const err = assertFtpsError(
      await rejection(FtpsClient.connect(optionsFor(server, { secure: false }))),
      FtpReplyError,
      'ERR_FTPS_REPLY',
    );
    assert.equal(err.replyCode, 530);
  });
});
