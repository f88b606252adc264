// Certificate pinning against real servers: a private-CA certificate accepted by its pin alone (no
// `ca`), on the control and on resumed data connections, and a wrong pin refused before login.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { FtpsClient, spkiPin, TlsPinError } from '../../src/index.js';
import { collect } from '../helpers/streams.js';
import { startRealServer, type RealServer, type ServerKind, type TlsMode, type TlsVersion } from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

const serverPin = spkiPin(readFileSync(new URL('../fixtures/tls/server.pem', import.meta.url)));
const otherPin = spkiPin(readFileSync(new URL('../fixtures/tls/selfsigned.pem', import.meta.url)));

const CASES: [ServerKind, TlsMode, TlsVersion][] = [
  ['vsftpd', 'explicit', '1.2'],
  ['vsftpd', 'explicit', '1.3'],
  ['proftpd', 'implicit', '1.3'],
];

for (const [kind, mode, tlsVersion] of CASES) {
  describe(`tls.pin: ${kind} ${mode} TLS ${tlsVersion}`, { skip: skipReason(kind) }, () => {
    let server: RealServer;
    before(async () => {
      server = await startRealServer({ kind, mode, tlsVersion });
    });
    after(async () => {
      await server?.stop();
    });

    it('the pin alone (no ca) authenticates control and resumed data connections', async () => {
      const { tls: _ca, ...options } = clientOptions(server);
      const client = await FtpsClient.connect({ ...options, tls: { pin: [serverPin] } });
      try {
        assert.equal(client.tls?.protocol, `TLSv${tlsVersion}`);
        const data = randomBytes(100_000);
        const up = await client.upload(data, 'pinned.bin');
        assert.equal(up.tlsSessionReused, true, 'the server requires reuse: the data connection resumed');
        const sink = collect();
        await client.download('pinned.bin', sink.stream);
        assert.ok(sink.bytes().equals(data));
        assert.ok((await client.list()).some((e) => e.name === 'pinned.bin'));
      } finally {
        await client.close();
      }
    });

    it('a wrong pin is refused with both keys named, before login', async () => {
      const { tls: _ca, ...options } = clientOptions(server);
      const err = await FtpsClient.connect({ ...options, tls: { pin: [otherPin] } }).then(
        () => assert.fail('connected despite a wrong pin'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof TlsPinError, String(err));
      assert.equal(err.code, 'ERR_FTPS_TLS_PIN');
      assert.equal(err.actual, serverPin);
      assert.deepEqual(err.expected, [otherPin]);
    });
  });
}
