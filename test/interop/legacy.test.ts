// AUTH SSL (auth: 'SSL' / 'TLS-then-SSL') and PROT C (dataProtection: 'clear') against real servers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FtpReplyError, FtpsClient, TlsError } from '../../src/index.js';
import { collect } from '../helpers/streams.js';
import { startRealServer, type RealServer, type ServerKind } from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

// pure-ftpd answers 500 to AUTH SSL (servers.md); vsftpd and proftpd accept it.
for (const kind of ['vsftpd', 'proftpd'] as ServerKind[]) {
  describe(`${kind} explicit TLS 1.3: AUTH SSL and PROT C`, { skip: skipReason(kind) }, () => {
    let server: RealServer;
    before(async () => {
      server = await startRealServer({ kind, mode: 'explicit', tlsVersion: '1.3' });
    });
    after(async () => {
      await server?.stop();
    });

    it("auth 'SSL' logs in and transfers over TLS", async () => {
      const client = await FtpsClient.connect({ ...clientOptions(server), auth: 'SSL' });
      try {
        assert.equal(client.tls?.protocol, 'TLSv1.3');
        const data = randomBytes(50_000);
        const up = await client.upload(data, 'ssl.bin');
        assert.equal(up.tlsSessionReused, true);
        const sink = collect();
        await client.download('ssl.bin', sink.stream);
        assert.ok(sink.bytes().equals(data));
      } finally {
        await client.close();
      }
    });

    it("dataProtection 'clear' where the server requires protected data: the refusal is reported", async () => {
      const err = await FtpsClient.connect({ ...clientOptions(server), dataProtection: 'clear' }).then(
        async (client) => {
          try {
            return await client.list().then(
              () => undefined,
              (e: unknown) => e,
            );
          } finally {
            await client.close();
          }
        },
        (e: unknown) => e,
      );
      // Depending on the server, PROT C itself is refused (TlsError) or the transfer is (522).
      assert.ok(err instanceof FtpReplyError || err instanceof TlsError, String(err));
      if (err instanceof FtpReplyError) assert.equal(err.replyCode, 522);
    });
  });
}
