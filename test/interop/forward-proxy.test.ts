// The forwarding proxy in front of real vsftpd: control and passive data connections go through it
// on an emulated link (bytes compared), and a reset data connection gives a typed error with the
// client still usable. In CI (FTPS_INTEROP_REQUIRED=1) a missing server is a failure, never a skip.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { FtpReplyError, FtpsClient, FtpsError } from '../../src/index.js';
import { link, startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js';
import { collect } from '../helpers/streams.js';
import { chownToServerUser, startRealServer, type RealServer } from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

describe('vsftpd explicit TLS 1.3 through the forwarding proxy', { skip: skipReason('vsftpd') }, () => {
  let server: RealServer;
  let proxy: ForwardProxy;
  let client: FtpsClient;
  const data = randomBytes(700_000);
  before(async () => {
    server = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.3' });
    writeFileSync(join(server.root, 'f.bin'), data);
    await chownToServerUser(join(server.root, 'f.bin'));
    proxy = await startForwardProxy({
      target: { host: server.host, port: server.port, passive: server.passive },
      shaping: link({ rttMs: 10, windowBytes: 256 * 1024 }),
    });
    const base = clientOptions(server);
    client = await FtpsClient.connect({
      ...base,
      host: proxy.host,
      port: proxy.port,
      tls: { ...base.tls, servername: 'localhost' },
    });
  });
  after(async () => {
    await client?.close();
    await proxy?.stop();
    await server?.stop();
  });

  it('downloads and uploads byte-identical, every data connection through the proxy', async () => {
    const first = collect();
    await client.download('f.bin', first.stream);
    assert.ok(first.bytes().equals(data));
    await client.upload(Readable.from([data.subarray(0, 300_000)]), 'up.bin');
    const back = collect();
    await client.download('up.bin', back.stream);
    assert.ok(back.bytes().equals(data.subarray(0, 300_000)));
    const stats = proxy.stats('data');
    assert.equal(stats.accepted, 3);
    assert.ok(stats.bytesDown > data.length + 300_000, `${stats.bytesDown} bytes down`);
    assert.ok(stats.bytesUp > 300_000, `${stats.bytesUp} bytes up`);
  });

  it('a data connection reset mid-download: typed error, the control connection stays usable', async () => {
    proxy.setFault('data', { type: 'reset', direction: 'down', afterBytes: 100_000, times: 1, newOnly: true });
    const err = await client.download('f.bin', collect().stream).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof FtpsError, String(err));
    if (err instanceof FtpReplyError) assert.equal(err.replyCode, 426);
    else assert.match(err.code, /^ERR_FTPS_/);
    const again = collect();
    await client.download('f.bin', again.stream);
    assert.ok(again.bytes().equals(data));
  });
});
