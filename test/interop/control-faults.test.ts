// Network faults on the control connection, against real vsftpd through the forwarding proxy: a
// blackholed control connection during a transfer, a blackholed idle pool connection (found by
// keepalive and replaced), reconnect after a reset. In CI (FTPS_INTEROP_REQUIRED=1) a missing
// server is a failure, never a skip.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import diagnostics_channel from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  ClientClosedError,
  createPool,
  FtpsClient,
  ReplyTimeoutError,
  type FtpsClientOptions,
} from '../../src/index.js';
import { link, startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js';
import { collect } from '../helpers/streams.js';
import { chownToServerUser, startRealServer, type RealServer } from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

const TIMEOUTS = { connect: 3000, reply: 1500, data: 1500 } as const;

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe(
  'vsftpd explicit TLS 1.3: control connection faults through the forwarding proxy',
  { skip: skipReason('vsftpd') },
  () => {
    let server: RealServer;
    let proxy: ForwardProxy;
    const data = randomBytes(1_000_000);
    const options = (extra: Partial<FtpsClientOptions> = {}): FtpsClientOptions => {
      const base = clientOptions(server);
      return {
        ...base,
        host: proxy.host,
        port: proxy.port,
        tls: { ...base.tls, servername: 'localhost' },
        timeouts: { ...TIMEOUTS },
        ...extra,
      };
    };

    before(async () => {
      server = await startRealServer({ kind: 'vsftpd', mode: 'explicit', tlsVersion: '1.3' });
      writeFileSync(join(server.root, 'f.bin'), data);
      await chownToServerUser(join(server.root, 'f.bin'));
    });
    // A proxy per test: a blackholed connection stays open in the proxy, and must not absorb the next test's fault.
    beforeEach(async () => {
      proxy = await startForwardProxy({ target: { host: server.host, port: server.port, passive: server.passive } });
    });
    afterEach(async () => {
      await proxy?.stop();
    });
    after(async () => {
      await server?.stop();
    });

    it('a control connection blackholed during a download: ReplyTimeoutError within the configured bounds, client closed', async () => {
      // ~2 s of transfer at 500 kB/s. The blackhole goes up when the 150 arrives: vsftpd sends its 226
      // as soon as it has written the file into the proxy's buffers (our close_notify is already
      // there, session/server-quirks.ts), so one set at a moment could fall after the 226.
      proxy.setShaping(link({ rttMs: 2, rateBytesPerSec: 500_000 }));
      const client = await FtpsClient.connect(options({ keepAlive: false }));
      const onReply = (m: unknown): void => {
        if ((m as { code: number }).code !== 150) return;
        diagnostics_channel.unsubscribe('ftps-client:reply', onReply);
        proxy.setFault('control', { type: 'blackhole', direction: 'down', times: 1 });
      };
      diagnostics_channel.subscribe('ftps-client:reply', onReply);
      try {
        const started = performance.now();
        const err = await client.download('f.bin', collect().stream).then(
          () => undefined,
          (e: unknown) => e,
        );
        const elapsed = performance.now() - started;
        assert.ok(err instanceof ReplyTimeoutError, `expected ReplyTimeoutError, got ${String(err)}`);
        assert.equal(client.closed, true);
        // The bound: the transfer itself (~2 s at the shaped rate) plus the reply timeout, with slack
        // for a loaded machine; without a bound on the final reply this would never settle.
        assert.ok(elapsed < 2_000 + TIMEOUTS.reply + 6_000, `settled after ${Math.round(elapsed)} ms`);
        assert.ok(
          await client.pwd().then(
            () => false,
            (e: unknown) => e instanceof ClientClosedError,
          ),
        );
      } finally {
        diagnostics_channel.unsubscribe('ftps-client:reply', onReply);
        proxy.setFault('control', undefined);
        proxy.setShaping({});
        await client.close();
      }
    });

    it('a blackholed idle pool connection is found by keepalive and replaced', async () => {
      const pool = createPool(options({ keepAlive: 300 }), { size: 1, retry: { retries: 0 } });
      try {
        assert.equal(await pool.size('f.bin'), data.length);
        const acceptedBefore = proxy.stats('control').accepted;
        assert.equal(pool.stats().open, 1);
        // A NAT forgot the connection: nothing passes any more, and nobody is told.
        proxy.setFault('control', { type: 'blackhole', times: 1 });
        await until(
          () => pool.stats().open === 0,
          300 + TIMEOUTS.reply + 8_000,
          'the keepalive NOOP found the connection dead',
        );
        // Not retried (mkdir never is): it must simply run on a fresh connection.
        await pool.mkdir('made-after-blackhole');
        assert.equal(proxy.stats('control').accepted, acceptedBefore + 1);
        assert.equal(pool.stats().open, 1);
        await pool.rmdir('made-after-blackhole');
      } finally {
        proxy.setFault('control', undefined);
        await pool.close();
      }
    });

    it('reconnect: after a reset between calls the next call logs in again, back in the same folder', async () => {
      const client = await FtpsClient.connect(options({ reconnect: true, keepAlive: false }));
      try {
        await client.ensureDir('sub');
        await client.cd('sub');
        const acceptedBefore = proxy.stats('control').accepted;
        proxy.setFault('control', { type: 'reset', times: 1 });
        await until(() => client.closed, 5_000, 'the client saw the reset');
        assert.equal(await client.pwd(), '/sub');
        assert.equal(proxy.stats('control').accepted, acceptedBefore + 1);
        const got = collect();
        await client.download('/f.bin', got.stream);
        assert.ok(got.bytes().equals(data));
        await client.cd('/');
        await client.rmdir('sub');
      } finally {
        proxy.setFault('control', undefined);
        await client.close();
      }
    });
  },
);
