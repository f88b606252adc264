// A data connection that fails under its TLS handshake, after the transfer command went out, against
// real servers through the forwarding proxy (vsftpd, proftpd + mod_tls, pure-ftpd, explicit TLS 1.3).
// What the control connection is then: reset at once, proftpd answers 425 and the client retries the
// transfer in the late-TLS order, keeping the early order for the next (one 425 is no refusal);
// vsftpd and pure-ftpd end the whole session (the client reports a ConnectionError, never a late
// reply taken for the next command). Blackholed (the server's TLS accept
// waits for bytes that never come), no server answers the transfer command, nor ABOR + NOOP (tried:
// none reads its control connection during the accept), so the client gives up after the reply timeout
// with a typed error and closes. In CI (FTPS_INTEROP_REQUIRED=1) a missing server is a failure.
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  CHANNELS,
  ClientClosedError,
  ConnectionError,
  FtpsClient,
  ReplyTimeoutError,
  type FtpsClientOptions,
  type TransferEndMessage,
} from '../../src/index.js';
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js';
import { collect } from '../helpers/streams.js';
import { chownToServerUser, startRealServer, type RealServer, type ServerKind } from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

const KINDS: ServerKind[] = ['vsftpd', 'proftpd', 'pureftpd'];
const TIMEOUTS = { connect: 2000, reply: 2000, data: 2000 } as const;
const FILE = randomBytes(200_000);

async function download(client: FtpsClient): Promise<Buffer> {
  const sink = collect();
  await client.download('f.bin', sink.stream);
  return sink.bytes();
}

for (const kind of KINDS) {
  describe(`${kind}: a data connection failing under its TLS handshake`, { skip: skipReason(kind) }, () => {
    let server: RealServer;
    let proxy: ForwardProxy;
    let client: FtpsClient | undefined;
    const connect = async (): Promise<FtpsClient> => {
      const base = clientOptions(server);
      const options: FtpsClientOptions = {
        ...base,
        host: proxy.host,
        port: proxy.port,
        tls: { ...base.tls, servername: 'localhost' },
        timeouts: { ...TIMEOUTS },
        keepAlive: false,
      };
      client = await FtpsClient.connect(options);
      return client;
    };

    before(async () => {
      server = await startRealServer({ kind, mode: 'explicit', tlsVersion: '1.3' });
      writeFileSync(join(server.root, 'f.bin'), FILE);
      await chownToServerUser(join(server.root, 'f.bin'));
    });
    // A proxy per test: a blackholed connection stays open in the proxy.
    beforeEach(async () => {
      proxy = await startForwardProxy({ target: { host: server.host, port: server.port, passive: server.passive } });
    });
    afterEach(async () => {
      await client?.close().catch(() => undefined);
      client = undefined;
      await proxy?.stop();
    });
    after(async () => {
      await server?.stop();
    });

    it('reset: the transfer is retried (proftpd 425) or the server ends the session; never out of step', async () => {
      const c = await connect();
      assert.equal(await c.pwd(), '/');
      proxy.setFault('data', { type: 'reset', times: 1 });
      const outcome = await download(c).then(
        (bytes) => bytes,
        (err: unknown) => err,
      );
      if (kind === 'proftpd') {
        assert.ok(outcome instanceof Buffer && outcome.equals(FILE), `proftpd: ${String(outcome)}`);
        assert.equal(await c.pwd(), '/');
        // One 425 after a reset is no refusal of early TLS: the session keeps starting it early.
        const ends: TransferEndMessage[] = [];
        const onEnd = (m: unknown): void => void ends.push(m as TransferEndMessage);
        diagnostics_channel.subscribe(CHANNELS.transferEnd, onEnd);
        try {
          assert.ok((await download(c)).equals(FILE));
        } finally {
          diagnostics_channel.unsubscribe(CHANNELS.transferEnd, onEnd);
        }
        assert.deepEqual(
          ends.map((m) => m.dataTls),
          ['early'],
        );
      } else {
        // vsftpd writes a clear-text "500 OOPS" into the control TLS stream, pure-ftpd closes it.
        assert.ok(outcome instanceof ConnectionError, `${kind}: ${String(outcome)}`);
        const next = await c.pwd().then(
          () => undefined,
          (err: unknown) => err,
        );
        assert.ok(next instanceof ClientClosedError, String(next));
      }
    });

    it('blackholed: ReplyTimeoutError after the data and reply timeouts, then the client is closed', async () => {
      const c = await connect();
      assert.equal(await c.pwd(), '/');
      proxy.setFault('data', { type: 'blackhole', times: 1 });
      const err = await download(c).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ReplyTimeoutError, String(err));
      const next = await c.pwd().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(next instanceof ClientClosedError && next.cause instanceof ReplyTimeoutError, String(next));
    });
  });
}
