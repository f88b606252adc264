// CCC (ccc: true): after a TLS login the control connection goes on in clear text on the same TCP
// connection, data connections stay TLS. proftpd accepts it with TLSRequired auth+data; vsftpd
// does not know CCC. The bytes on the wire are captured through the `connect` option.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FtpReplyError, FtpsClient, type SocketConnect } from '../../src/index.js';
import { collect } from '../helpers/streams.js';
import { FTP_PASSWORD, startRealServer, type RealServer, type TlsVersion } from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

/** A connector recording what the client writes on its control connection. */
function recording(): { connect: SocketConnect; sent: () => string } {
  const chunks: Buffer[] = [];
  const connect: SocketConnect = (req) => {
    const socket = net.connect(req.port, req.host);
    if (req.purpose === 'control') {
      const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
      socket.write = ((chunk: unknown, ...rest: unknown[]) => {
        chunks.push(Buffer.from(chunk as Buffer));
        return write(chunk, ...rest);
      }) as typeof socket.write;
    }
    return socket;
  };
  return { connect, sent: () => Buffer.concat(chunks).toString('latin1') };
}

for (const tlsVersion of ['1.2', '1.3'] as TlsVersion[]) {
  describe(`CCC: proftpd explicit TLS ${tlsVersion}`, { skip: skipReason('proftpd') }, () => {
    let server: RealServer;
    before(async () => {
      server = await startRealServer({ kind: 'proftpd', mode: 'explicit', tlsVersion, allowCcc: true });
    });
    after(async () => {
      await server?.stop();
    });

    it('login under TLS, commands in clear after CCC, data still TLS with reuse', async () => {
      const wire = recording();
      const client = await FtpsClient.connect({ ...clientOptions(server), ccc: true, connect: wire.connect });
      try {
        const data = randomBytes(120_000);
        const up = await client.upload(data, 'ccc.bin');
        assert.equal(up.tlsSessionReused, true, 'the data connection is TLS, resuming the control session');
        assert.ok(readFileSync(join(server.root, 'ccc.bin')).equals(data));
        const sink = collect();
        await client.download('ccc.bin', sink.stream);
        assert.ok(sink.bytes().equals(data));
        assert.ok((await client.list()).some((e) => e.name === 'ccc.bin'));
        const sent = wire.sent();
        assert.match(sent, /STOR ccc\.bin\r\n/, 'commands after CCC travel in clear text');
        assert.ok(
          !sent.includes('USER ') && !sent.includes('PASS') && !sent.includes(FTP_PASSWORD),
          'login only under TLS',
        );
        assert.ok(!sent.includes('CCC'), 'CCC itself was sent under TLS');
      } finally {
        await client.close();
      }
    });
  });
}

describe('CCC refused: vsftpd', { skip: skipReason('vsftpd') }, () => {
  let server: RealServer;
  before(async () => {
    server = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.3' });
  });
  after(async () => {
    await server?.stop();
  });

  it('→ FtpReplyError (500), no session', async () => {
    const err = await FtpsClient.connect({ ...clientOptions(server), ccc: true }).then(
      () => assert.fail('connected'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FtpReplyError, String(err));
    assert.equal(err.replyCode, 500);
    assert.equal(err.command, 'CCC');
  });
});
