// IPv6: the control connection to ::1, EPSV data connections to the same address, and PASV (whose
// 227 can only name an IPv4 address) still going to the control host.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FtpsClient } from '../../src/index.js';
import { ca, LIMIT, random, withServer } from './support.js';
import { collect } from '../helpers/streams.js';

describe('IPv6 (::1)', LIMIT, () => {
  for (const epsv of [true, false]) {
    it(`transfers over ${epsv ? 'EPSV' : 'PASV'} with the certificate checked against ::1`, async () => {
      const data = random(200_000);
      await withServer(
        { mode: 'explicit', host: '::1', epsv, files: { '/f.bin': data } },
        async ({ connect, server }) => {
          const client = await connect({ host: '::1' });
          const sink = collect();
          const r = await client.download('/f.bin', sink.stream);
          assert.ok(sink.bytes().equals(data));
          assert.equal(r.tlsSessionReused, true);
          assert.equal(client.tls?.authorized, true);
          assert.equal(server.commands.includes('PASV'), !epsv);
        },
      );
    });
  }

  it('connects by URL with a bracketed IPv6 host', async () => {
    await withServer({ mode: 'implicit', host: '::1' }, async ({ server, track }) => {
      const client = track(await FtpsClient.connect(`ftps://user:pass@[::1]:${server.port}/`, { tls: { ca } }));
      assert.equal(await client.pwd(), '/');
    });
  });
});
