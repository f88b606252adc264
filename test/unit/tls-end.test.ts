// TlsEndWitness (transport/tls-end.ts) over an in-process TLS server on loopback: the client ends
// its side first (close_notify right after the handshake, the vsftpd quirk), the server sends its
// data, close_notify and FIN while nobody reads the client yet. The TLS socket must keep its bytes
// and its end for the late reader: a witness that closed by itself once both its sides were over
// destroyed the TLS socket before its 'end', and a pipeline() from it never settled.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import tls from 'node:tls';
import { TlsEndWitness } from '../../src/transport/tls-end.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`${version}: our close_notify first, the server's data and end read late: every byte, a clean end, all closed`, async () => {
    const payload = Buffer.alloc(3000, 5);
    const server = tls.createServer(
      {
        key: fixture('server.key'),
        cert: fixture('server.pem'),
        minVersion: version,
        maxVersion: version,
        allowHalfOpen: true,
      },
      (socket) => {
        socket.on('error', () => undefined);
        socket.resume();
        // Data, then close_notify and FIN. A Node TLS 1.3 server ending at once loses its close_notify
        // (not the client's doing: the same without our early end), hence the pause.
        socket.write(payload, () => setTimeout(() => socket.end(), 20));
      },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const raw = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
      await once(raw, 'connect');
      const witness = new TlsEndWitness(raw);
      const socket = tls.connect({ socket: witness, ca: fixture('ca.pem'), servername: 'localhost' });
      witness.watch(socket);
      await once(socket, 'secureConnect');
      socket.end();
      // Nobody reads yet: the bytes and the server's end wait in the TLS socket, the raw socket is over.
      await once(raw, 'close');
      await sleep(50);
      assert.equal(socket.destroyed, false, 'the TLS socket was closed under its unread bytes');
      const chunks: Buffer[] = [];
      const closed = once(socket, 'close');
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          chunks.push(chunk);
          cb();
        },
      });
      await pipeline(socket, sink);
      assert.deepEqual(Buffer.concat(chunks), payload);
      assert.equal(witness.endedCleanly, true);
      await closed;
      assert.equal(witness.destroyed, true);
    } finally {
      server.close();
    }
  });
}
