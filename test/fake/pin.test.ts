/**
 * Certificate pinning (tls.pin): the pin authenticates the server on the control and on every data
 * connection, replaces the CA and host-name checks, and a key not listed fails with ERR_FTPS_TLS_PIN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { FtpReplyError, FtpsClient, spkiPin, TlsError, TlsPinError } from '../../src/index.js';
import { TlsEndpoint } from '../helpers/fake-tls.js';
import {
  assertFtpsError,
  assertNoLogin,
  closeDataOnClientFin,
  FAST,
  LIMIT,
  rejection,
  Sink,
  withServer,
  wrongHostCert,
} from './support.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));
const serverPin = spkiPin(fixture('server.pem'));
const selfSigned = { key: fixture('selfsigned.key'), cert: fixture('selfsigned.pem') };
const selfSignedPin = spkiPin(selfSigned.cert);
const otherPin = spkiPin(wrongHostCert.cert);

test('spkiPin matches the openssl pipeline curl documents for --pinnedpubkey', () => {
  for (const name of ['server.pem', 'selfsigned.pem', 'wronghost.pem']) {
    const pub = execFileSync('openssl', [
      'x509',
      '-pubkey',
      '-noout',
      '-in',
      new URL(`../fixtures/tls/${name}`, import.meta.url).pathname,
    ]);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
    const hash = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der });
    assert.equal(spkiPin(fixture(name)), `sha256/${hash.toString('base64')}`, name);
  }
  assert.notEqual(serverPin, selfSignedPin);
});

for (const mode of ['explicit', 'implicit'] as const) {
  test(`right pin, no ca: control and data connections accepted (${mode})`, LIMIT, async () => {
    await withServer({ mode, files: { '/a.txt': 'pinned' } }, async ({ server, connect }) => {
      const client = await connect({ tls: { pin: [serverPin] } });
      const sink = new Sink();
      await client.download('/a.txt', sink);
      assert.equal(sink.bytes.toString(), 'pinned');
      assert.equal((await client.list('/')).length, 1);
      assert.deepEqual(server.violations, []);
    });
  });

  test(`wrong pin → TlsPinError naming both keys, no USER/PASS (${mode})`, LIMIT, async () => {
    await withServer({ mode }, async ({ server, connect }) => {
      const err = assertFtpsError(
        await rejection(connect({ tls: { pin: [otherPin] } })),
        TlsPinError,
        'ERR_FTPS_TLS_PIN',
      );
      assert.ok(err instanceof TlsError);
      assert.equal(err.actual, serverPin);
      assert.deepEqual(err.expected, [otherPin]);
      assert.ok(err.message.includes(serverPin) && err.message.includes(otherPin), err.message);
      assertNoLogin(server);
    });
  });

  test(
    `self-signed certificate with a foreign name: accepted with its pin, refused without (${mode})`,
    LIMIT,
    async () => {
      await withServer({ mode, cert: selfSigned, files: { '/s.txt': 'self' } }, async ({ server, connect }) => {
        const refused = assertFtpsError(await rejection(connect()), TlsError, 'ERR_FTPS_TLS');
        assert.equal((refused.cause as { code?: string }).code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
        const client = await connect({ tls: { pin: selfSignedPin } });
        const sink = new Sink();
        await client.download('/s.txt', sink);
        assert.equal(sink.bytes.toString(), 'self');
        assert.equal(client.tls?.authorized, false, 'the chain itself is not trusted; the pin is');
        assert.deepEqual(server.violations, []);
      });
    },
  );
}

test('a backup pin in the list is enough; rejectUnauthorized:false does not turn the pin off', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ connect }) => {
    const client = await connect({ tls: { pin: [otherPin, serverPin] } });
    assert.equal(typeof (await client.pwd()), 'string');
    assertFtpsError(
      await rejection(connect({ tls: { pin: [otherPin], rejectUnauthorized: false } })),
      TlsPinError,
      'ERR_FTPS_TLS_PIN',
    );
  });
});

test('with a pin, checkServerIdentity still runs and can refuse', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    const seen: string[] = [];
    const err = assertFtpsError(
      await rejection(
        connect({
          tls: { pin: serverPin, checkServerIdentity: (host) => (seen.push(host), new Error('not this one')) },
        }),
      ),
      TlsError,
      'ERR_FTPS_TLS',
    );
    assert.match(err.message, /not this one/);
    assert.deepEqual(seen, [server.host]);
    assertNoLogin(server);
  });
});

test(
  'a data connection presenting another key fails the transfer with the pin error; the client stays usable',
  LIMIT,
  async () => {
    await withServer(
      { mode: 'explicit', requireSessionReuse: false, files: { '/d.txt': 'data' } },
      async ({ server, connect }) => {
        closeDataOnClientFin(server);
        const client = await connect({ tls: { pin: [serverPin] } });
        // From now on data connections present another certificate, and the control session's tickets
        // cannot resume there (other ticket keys): a full handshake with the other key.
        (server as { tlsEndpoint: TlsEndpoint | undefined }).tlsEndpoint = new TlsEndpoint({
          ...wrongHostCert,
          minVersion: 'TLSv1.2',
          maxVersion: 'TLSv1.3',
        });
        const err = await rejection(client.download('/d.txt', new Sink()));
        // The server may report the broken data connection (ERR_FTPS_REPLY with the pin error as cause) or not.
        const pinError = err instanceof FtpReplyError ? err.cause : err;
        const pin = assertFtpsError(pinError, TlsPinError, 'ERR_FTPS_TLS_PIN');
        assert.equal(pin.actual, otherPin);
        assert.match(pin.message, /data connection/);
        assert.equal(client.closed, false);
        assert.equal(typeof (await client.pwd()), 'string');
      },
    );
  },
);

test('malformed pins are refused up front, naming the option', async () => {
  for (const pin of ['sha256/short', 'sha1/yUBVroDUdxHdSLpvyujW3KdrkyVNQuGfshd9Sqyvq4s=', 42]) {
    await assert.rejects(
      FtpsClient.connect({ host: '127.0.0.1', port: 1, tls: { pin: pin as string }, timeouts: FAST }),
      (e: unknown) => e instanceof TypeError && /tls\.pin/.test(e.message),
    );
  }
});
