// Early data TLS against real servers. vsftpd, proftpd and pure-ftpd take the ClientHello early
// (written before the transfer command; with the control connection delayed by a proxy it even
// reaches them first). Stock pyftpdlib closes such a data connection: the session falls back to TLS
// after the 1xx and the transfer still succeeds, transparently.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FtpsClient, type FtpsClientOptions } from '../../src/index.js';
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js';
import { collect } from '../helpers/streams.js';
import { pyftpdlibInstalled, startPyftpdlib, type PyftpdlibServer } from '../servers/pyftpdlib.js';
import {
  chownToServerUser,
  startRealServer,
  type RealServer,
  type ServerKind,
  type TlsVersion,
} from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';
import { transfersDuring } from '../helpers/diagnostics.js';

/** One-way delay on the control connection towards the server: the data connection's bytes arrive first. */
const CONTROL_DELAY_MS = 100;

function viaProxy(options: FtpsClientOptions, proxy: ForwardProxy): FtpsClientOptions {
  return { ...options, host: proxy.host, port: proxy.port, tls: { ...options.tls, servername: 'localhost' } };
}

const KINDS: ServerKind[] = ['vsftpd', 'proftpd', 'pureftpd'];
const VERSIONS: TlsVersion[] = ['1.2', '1.3'];
for (const kind of KINDS) {
  for (const tlsVersion of VERSIONS) {
    describe(`early data TLS: ${kind} explicit TLS ${tlsVersion}`, { skip: skipReason(kind) }, () => {
      let server: RealServer;
      let proxy: ForwardProxy;
      const data = randomBytes(200_000);
      before(async () => {
        server = await startRealServer({ kind, mode: 'explicit', tlsVersion });
        writeFileSync(join(server.root, 'early.bin'), data);
        await chownToServerUser(join(server.root, 'early.bin'));
        proxy = await startForwardProxy({ target: { host: server.host, port: server.port, passive: server.passive } });
      });
      after(async () => {
        await proxy?.stop();
        await server?.stop();
      });

      for (const route of ['direct', 'control delayed'] as const) {
        it(`${route}: downloads, uploads and lists with the handshake started early`, async () => {
          const options = route === 'direct' ? clientOptions(server) : viaProxy(clientOptions(server), proxy);
          const client = await FtpsClient.connect(options);
          if (route === 'control delayed')
            proxy.setFault('control', { type: 'delay', ms: CONTROL_DELAY_MS, direction: 'up' });
          try {
            const up = randomBytes(150_000);
            const ends = await transfersDuring(async () => {
              const sink = collect();
              await client.download('early.bin', sink.stream);
              assert.ok(sink.bytes().equals(data));
              await client.upload(up, 'early-up.bin');
              assert.ok((await client.list()).some((e) => e.name === 'early-up.bin'));
            });
            assert.ok(readFileSync(join(server.root, 'early-up.bin')).equals(up));
            assert.deepEqual(
              ends.map((m) => m.dataTls),
              ['early', 'early', 'early'],
            );
          } finally {
            await client.close();
            proxy.setFault('control', undefined);
          }
        });
      }
    });
  }
}

describe(
  'early data TLS: stock pyftpdlib (refuses early bytes) makes the session fall back',
  { skip: pyftpdlibInstalled() ? false : 'python3-pyftpdlib / python3-openssl not installed' },
  () => {
    let server: PyftpdlibServer;
    let proxy: ForwardProxy;
    const data = randomBytes(120_000);
    before(async () => {
      server = await startPyftpdlib();
      writeFileSync(join(server.root, 'f.bin'), data);
      proxy = await startForwardProxy({ target: { host: server.host, port: server.port, passive: server.passive } });
    });
    after(async () => {
      await proxy?.stop();
      await server?.stop();
    });

    const connect = async (): Promise<FtpsClient> => {
      const client = await FtpsClient.connect({
        host: proxy.host,
        port: proxy.port,
        user: server.user,
        password: server.password,
        secure: 'explicit',
        tls: { ca: readFileSync(server.caFile), servername: 'localhost' },
        timeouts: { connect: 10_000, reply: 10_000, data: 10_000 },
      });
      // The ClientHello reaches pyftpdlib before the command, every time: it closes that connection.
      proxy.setFault('control', { type: 'delay', ms: CONTROL_DELAY_MS, direction: 'up' });
      return client;
    };

    for (const first of ['download', 'upload', 'list'] as const) {
      it(`${first} first: retried on a new data connection, then TLS after the 1xx for the session`, async () => {
        const client = await connect();
        try {
          const before = proxy.stats('data').accepted;
          const up = randomBytes(90_000);
          const ends = await transfersDuring(async () => {
            if (first === 'download') {
              const sink = collect();
              await client.download('f.bin', sink.stream);
              assert.ok(sink.bytes().equals(data));
            } else if (first === 'upload') {
              await client.upload(up, 'up.bin');
              assert.ok(readFileSync(join(server.root, 'up.bin')).equals(up));
            } else assert.ok((await client.list()).some((e) => e.name === 'f.bin'));
            const sink = collect();
            await client.download('f.bin', sink.stream);
            assert.ok(sink.bytes().equals(data));
          });
          assert.deepEqual(
            ends.map((m) => [m.dataTls, m.error]),
            [
              ['after-1xx', undefined],
              ['after-1xx', undefined],
            ],
          );
          // Refused early connection + its replacement, then one for the second transfer.
          assert.equal(proxy.stats('data').accepted - before, 3);
          assert.equal(await client.pwd(), '/', 'the control connection is in step');
        } finally {
          await client.close();
          proxy.setFault('control', undefined);
        }
      });
    }
  },
);
