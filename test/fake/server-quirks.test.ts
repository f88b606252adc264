// Server quirks learnt from the greeting (session/server-quirks.ts) against the fake server: with
// vsftpd's greeting every download and listing sends the client's close_notify right after the TLS
// handshake; with any other greeting none does. The TCP FIN waits for the server's end: a server or
// proxy that drops the connection at the client's FIN (tinyproxy has no half-close) still delivers it all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { faults } from '../helpers/fake-server.js';
import { closeDataOnClientFin, LIMIT, random, Sink, withServer } from './support.js';
import { transfersDuring } from '../helpers/diagnostics.js';

const VSFTPD_GREETING = '220 (vsFTPd 3.0.3)';

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  describe(`server quirks from the greeting (${version})`, () => {
    const server = { mode: 'explicit' as const, minVersion: version, maxVersion: version };

    for (const greeting of [VSFTPD_GREETING, '220 FakeFtpServer ready.']) {
      const early = greeting === VSFTPD_GREETING;
      it(
        `"${greeting}": ${early ? 'close_notify right after the handshake' : 'no early close_notify'} on downloads and listings, uploads untouched`,
        LIMIT,
        async () => {
          const payload = random(300_000);
          await withServer({ ...server, files: { '/big.bin': payload } }, async (h) => {
            h.server.hook('CONNECT', faults.reply(greeting));
            const c = await h.connect();
            const sink = new Sink();
            const ends = await transfersDuring(async () => {
              await c.download('/big.bin', sink);
              assert.ok((await c.list('/')).some((e) => e.name === 'big.bin'));
              await c.upload(Buffer.from('up'), '/up.bin');
            });
            assert.ok(sink.bytes.equals(payload));
            assert.deepEqual(
              ends.map((e) => [e.command.split(' ', 1)[0], e.earlyCloseNotify, e.closeNotify, e.error]),
              [
                ['RETR', early, true, undefined],
                [ends[1]?.command.split(' ', 1)[0], early, true, undefined],
                ['STOR', undefined, undefined, undefined],
              ],
            );
            assert.deepEqual(h.server.violations, []);
          });
        },
      );
    }

    it(
      'a server or proxy that drops the data connection on the client FIN (tinyproxy): the FIN waits for the server, the download is whole',
      LIMIT,
      async () => {
        const payload = random(2_000_000);
        await withServer({ ...server, files: { '/big.bin': payload } }, async (h) => {
          h.server.hook('CONNECT', faults.reply(VSFTPD_GREETING));
          closeDataOnClientFin(h.server);
          const c = await h.connect();
          const sink = new Sink();
          const ends = await transfersDuring(async () => void (await c.download('/big.bin', sink)));
          assert.ok(sink.bytes.equals(payload), `${sink.bytes.length} of ${payload.length} bytes`);
          assert.deepEqual(
            ends.map((e) => [e.earlyCloseNotify, e.closeNotify, e.error]),
            [[true, true, undefined]],
          );
          assert.equal(await c.size('/big.bin'), payload.length);
        });
      },
    );
  });
}
