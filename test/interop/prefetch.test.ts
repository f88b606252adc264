// Passive prefetch against real servers. The premise first, on the raw protocol: an EPSV written
// behind a RETR is answered after the transfer's 226 by vsftpd (it reads no command during a
// transfer), but during the transfer by proftpd (450) and pure-ftpd (500), so only vsftpd may get
// one. Then the client: on vsftpd the login's settings batch and each transfer command carry the
// next transfer's EPSV, and no transfer asks for its own (direct and through the forwarding proxy,
// TLS 1.2 and 1.3, explicit and implicit, session reuse required); on proftpd and pure-ftpd nothing
// changes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import diagnostics_channel from 'node:diagnostics_channel';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CHANNELS, FtpsClient, type CommandMessage, type TransferEndMessage } from '../../src/index.js';
import { resolveOptions } from '../../src/options.js';
import { dialPassive, enterPassive } from '../../src/session/data-passive.js';
import { protectData } from '../../src/session/data-protect.js';
import { openSession } from '../../src/session/handshake.js';
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js';
import { collect } from '../helpers/streams.js';
import {
  chownToServerUser,
  startRealServer,
  type RealServer,
  type ServerKind,
  type TlsMode,
  type TlsVersion,
} from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

const BIG = randomBytes(8 * 1024 * 1024);
const SMALL = randomBytes(4096);

async function serve(kind: ServerKind, mode: TlsMode, tlsVersion: TlsVersion): Promise<RealServer> {
  const server = await startRealServer({ kind, mode, tlsVersion });
  writeFileSync(join(server.root, 'big.bin'), BIG);
  writeFileSync(join(server.root, 'small.bin'), SMALL);
  await chownToServerUser(server.root);
  return server;
}

/**
 * RETR of an 8 MiB file with EPSV written right behind it, the data read with a pause of 300 ms early
 * on (the transfer is surely still running then); the codes of the replies up to the 226 and the one after.
 */
async function epsvBehindRetr(server: RealServer): Promise<number[]> {
  const session = await openSession(resolveOptions(clientOptions(server)));
  const { control } = session;
  try {
    const pending = await dialPassive(session, await enterPassive(session), { onSocketError: () => undefined });
    const handshake = protectData(session, await pending.connected(), pending.what, undefined, true);
    control.write('RETR big.bin');
    control.write('EPSV', true);
    const codes: number[] = [];
    const replies = (async () => {
      for (;;) {
        const reply = await control.read();
        codes.push(reply.code);
        if (codes.includes(226)) break;
      }
      if (!codes.includes(229) && !codes.some((c) => c >= 400)) codes.push((await control.read()).code);
    })();
    const data = await handshake;
    let bytes = 0;
    let paused = false;
    data.socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (paused || bytes < 100_000) return;
      paused = true;
      data.socket.pause();
      setTimeout(() => data.socket.resume(), 300);
    });
    await new Promise((resolve) => data.socket.once('end', resolve));
    data.socket.end();
    await replies;
    assert.equal(bytes, BIG.length);
    return codes;
  } finally {
    await control.quit(2000);
  }
}

const PREMISE: [ServerKind, number[]][] = [
  ['vsftpd', [150, 226, 229]],
  ['proftpd', [150, 450, 226]],
  ['pureftpd', [150, 500, 226]],
];
for (const [kind, expected] of PREMISE) {
  describe(`passive prefetch premise: ${kind}`, { skip: skipReason(kind) }, () => {
    let server: RealServer;
    before(async () => (server = await serve(kind, 'explicit', '1.3')));
    after(async () => server?.stop());
    it(`an EPSV behind RETR is answered ${kind === 'vsftpd' ? 'after the 226' : 'during the transfer'}`, async () => {
      assert.deepEqual(await epsvBehindRetr(server), expected);
    });
  });
}

/** Command lines and transfer ends published while `fn` runs. */
async function observe(fn: () => Promise<void>): Promise<{ commands: string[]; ends: TransferEndMessage[] }> {
  const commands: string[] = [];
  const ends: TransferEndMessage[] = [];
  const onCommand = (m: unknown): void => void commands.push((m as CommandMessage).command.split(' ', 1)[0] ?? '');
  const onEnd = (m: unknown): void => void ends.push(m as TransferEndMessage);
  diagnostics_channel.subscribe(CHANNELS.command, onCommand);
  diagnostics_channel.subscribe(CHANNELS.transferEnd, onEnd);
  try {
    await fn();
  } finally {
    diagnostics_channel.unsubscribe(CHANNELS.command, onCommand);
    diagnostics_channel.unsubscribe(CHANNELS.transferEnd, onEnd);
  }
  return { commands, ends };
}

/** Download, upload, list, download, a refused download, download: the verbs sent and the transfers' ends. */
async function workload(
  client: FtpsClient,
  server: RealServer,
): Promise<{ commands: string[]; ends: TransferEndMessage[] }> {
  return observe(async () => {
    const a = collect();
    await client.download('small.bin', a.stream);
    assert.ok(a.bytes().equals(SMALL));
    const up = randomBytes(300_000);
    await client.upload(up, 'up.bin');
    assert.ok(readFileSync(join(server.root, 'up.bin')).equals(up));
    assert.ok((await client.list()).some((e) => e.name === 'up.bin'));
    const b = collect();
    await client.download('big.bin', b.stream);
    assert.ok(b.bytes().equals(BIG));
    await assert.rejects(client.download('missing.bin', collect().stream), { code: 'ERR_FTPS_REPLY', replyCode: 550 });
    assert.equal(await client.pwd(), '/');
    const c = collect();
    await client.download('small.bin', c.stream);
    assert.ok(c.bytes().equals(SMALL));
  });
}

const TRANSFER = new Set(['RETR', 'STOR', 'LIST', 'MLSD']);
/** The verbs that matter here: passive commands and transfer commands. */
const dataVerbs = (commands: string[]): string[] => commands.filter((c) => c === 'EPSV' || TRANSFER.has(c));

const VSFTPD: [TlsMode, TlsVersion][] = [
  ['explicit', '1.2'],
  ['explicit', '1.3'],
  ['implicit', '1.3'],
];
for (const [mode, tlsVersion] of VSFTPD) {
  describe(`passive prefetch: vsftpd ${mode} TLS ${tlsVersion}`, { skip: skipReason('vsftpd') }, () => {
    let server: RealServer;
    let proxy: ForwardProxy;
    before(async () => {
      server = await serve('vsftpd', mode, tlsVersion);
      proxy = await startForwardProxy({ target: { host: server.host, port: server.port, passive: server.passive } });
    });
    after(async () => {
      await proxy?.stop();
      await server?.stop();
    });

    for (const route of ['direct', 'through the forwarding proxy'] as const) {
      it(`${route}: every transfer command carries the next EPSV; bytes, replies and TLS reuse right`, async () => {
        const options =
          route === 'direct'
            ? clientOptions(server)
            : {
                ...clientOptions(server),
                host: proxy.host,
                port: proxy.port,
                tls: { ca: readFileSync(server.caFile), servername: 'localhost' },
              };
        let connected: FtpsClient | undefined;
        const login = await observe(async () => void (connected = await FtpsClient.connect(options)));
        const client = connected as FtpsClient;
        try {
          assert.deepEqual(login.commands.slice(-2), ['TYPE', 'EPSV']);
          const { commands, ends } = await workload(client, server);
          const expected = [
            'RETR',
            'EPSV',
            'STOR',
            'EPSV',
            'LIST',
            'EPSV',
            'RETR',
            'EPSV',
            'RETR',
            'EPSV',
            'RETR',
            'EPSV',
          ];
          assert.deepEqual(dataVerbs(commands), expected);
          assert.deepEqual(
            ends.filter((m) => m.error === undefined).map((m) => m.tlsSessionReused),
            [true, true, true, true, true],
          );
        } finally {
          await client.close();
        }
      });
    }
  });
}

for (const kind of ['proftpd', 'pureftpd'] as const) {
  describe(`passive prefetch: none on ${kind}`, { skip: skipReason(kind) }, () => {
    let server: RealServer;
    before(async () => (server = await serve(kind, 'explicit', '1.3')));
    after(async () => server?.stop());
    it('an EPSV before every transfer command, none behind one', async () => {
      const client = await FtpsClient.connect(clientOptions(server));
      try {
        const { commands } = await workload(client, server);
        const verbs = dataVerbs(commands);
        assert.ok(verbs.length >= 12, verbs.join(' '));
        for (let i = 0; i < verbs.length; i += 2) assert.equal(verbs[i], 'EPSV', verbs.join(' '));
        for (let i = 1; i < verbs.length; i += 2) assert.ok(TRANSFER.has(verbs[i] as string), verbs.join(' '));
      } finally {
        await client.close();
      }
    });
  });
}
