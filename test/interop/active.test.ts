// Active mode (dataConnection: 'active') against real servers: EPRT, the server connecting back,
// the client as TLS client on the accepted socket resuming the control session (required by
// vsftpd and proftpd), TLS 1.2 and 1.3; uploads, downloads, listings, REST, the pool.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPool, FtpsClient } from '../../src/index.js';
import { collect } from '../helpers/streams.js';
import {
  startRealServer,
  supports,
  type RealServer,
  type ServerKind,
  type TlsMode,
  type TlsVersion,
} from '../servers/real.js';
import { clientOptions, skipReason } from './support.js';

const ENFORCES_REUSE: Record<ServerKind, boolean> = { vsftpd: true, proftpd: true, pureftpd: false };
const CASES: [ServerKind, TlsMode, TlsVersion][] = [];
for (const kind of ['vsftpd', 'proftpd', 'pureftpd'] as ServerKind[]) {
  for (const tlsVersion of ['1.2', '1.3'] as TlsVersion[]) CASES.push([kind, 'explicit', tlsVersion]);
  if (supports(kind, 'implicit')) CASES.push([kind, 'implicit', '1.3']);
}

for (const [kind, mode, tlsVersion] of CASES) {
  describe(`active mode: ${kind} ${mode} TLS ${tlsVersion}`, { skip: skipReason(kind) }, () => {
    let server: RealServer;
    let client: FtpsClient;
    before(async () => {
      server = await startRealServer({ kind, mode, tlsVersion });
      client = await FtpsClient.connect({ ...clientOptions(server), dataConnection: 'active' });
    });
    after(async () => {
      await client?.close();
      await server?.stop();
    });

    it('uploads, lists, downloads (whole and from an offset) over server-opened data connections', async () => {
      const data = randomBytes(400_000 + 3);
      const up = await client.upload(data, 'active.bin');
      assert.equal(up.reply.code, 226);
      if (ENFORCES_REUSE[kind]) assert.equal(up.tlsSessionReused, true);
      assert.ok(readFileSync(join(server.root, 'active.bin')).equals(data));
      assert.ok((await client.list()).some((e) => e.name === 'active.bin' && e.size === data.length));
      const sink = collect();
      const down = await client.download('active.bin', sink.stream);
      assert.ok(sink.bytes().equals(data));
      if (ENFORCES_REUSE[kind]) assert.equal(down.tlsSessionReused, true);
      const tail: Buffer[] = [];
      for await (const chunk of client.createReadStream('active.bin', { start: 400_000 })) tail.push(chunk as Buffer);
      assert.ok(Buffer.concat(tail).equals(data.subarray(400_000)));
    });

    it('the pool in active mode', async () => {
      const pool = createPool({ ...clientOptions(server), dataConnection: 'active' }, { size: 3 });
      try {
        const files = Array.from({ length: 6 }, (_, i) => [`p${i}.bin`, randomBytes(30_000)] as const);
        await Promise.all(files.map(([name, bytes]) => pool.upload(bytes, name)));
        for (const [name, bytes] of files) assert.ok(readFileSync(join(server.root, name)).equals(bytes), name);
      } finally {
        await pool.close();
      }
    });
  });
}
