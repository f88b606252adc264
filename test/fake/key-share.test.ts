// Data connections offer the control connection's key-exchange group first (transport/connect.ts
// preferGroupOf): a TLS 1.3 server that takes only P-256 (vsftpd, pure-ftpd) would otherwise answer
// the X25519 key share with a HelloRetryRequest, one round trip more per data connection. Counted
// here on the wire: the ClientHello messages a client sends to such a server.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { preferGroupOf, tlsConnectOptions, type TlsDialOptions } from '../../src/transport/connect.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));

/** A TLS 1.3 server with only P-256, behind a TCP hop that counts the client's ClientHello records. */
class P256Server {
  readonly server = tls.createServer(
    { key: fixture('server.key'), cert: fixture('server.pem'), ecdhCurve: 'P-256', minVersion: 'TLSv1.3' },
    (s) => s.end('hi'),
  );
  readonly hop = net.createServer((client) => this.#forward(client));
  clientHellos = 0;

  async start(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    this.hop.listen(0, '127.0.0.1');
    await Promise.all([once(this.server, 'listening'), once(this.hop, 'listening')]);
    return (this.hop.address() as net.AddressInfo).port;
  }

  #forward(client: net.Socket): void {
    const upstream = net.connect((this.server.address() as net.AddressInfo).port, '127.0.0.1');
    client.on('data', (chunk: Buffer) => {
      // Plaintext handshake records (type 22) whose first message is a ClientHello (type 1).
      for (let i = 0; i + 5 < chunk.length; i += 5 + chunk.readUInt16BE(i + 3))
        if (chunk[i] === 22 && chunk[i + 5] === 1) this.clientHellos++;
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  }

  async stop(): Promise<void> {
    await Promise.all([new Promise((r) => this.server.close(r)), new Promise((r) => this.hop.close(r))]);
  }
}

async function handshake(port: number, options: TlsDialOptions): Promise<tls.TLSSocket> {
  const { contextOptions: _c, pin: _p, identityCheck: _i, ...rest } = options;
  const socket = tls.connect({ ...rest, port, host: '127.0.0.1' });
  await once(socket, 'secureConnect');
  return socket;
}

describe('key share of the data connections', () => {
  const server = new P256Server();
  let port: number;
  before(async () => (port = await server.start()));
  after(() => server.stop());

  it('the default offer costs a HelloRetryRequest; the learnt group first does not', async () => {
    const options = tlsConnectOptions('localhost', { ca: fixture('ca.pem') });
    const control = await handshake(port, options);
    assert.equal(server.clientHellos, 2, 'X25519 key share first: the server asked again');
    const data = preferGroupOf(options, control);
    control.destroy();
    assert.ok(data !== undefined);
    server.clientHellos = 0;
    const socket = await handshake(port, data);
    assert.equal(server.clientHellos, 1);
    assert.equal((socket.getEphemeralKeyInfo() as { name?: string }).name, 'prime256v1');
    socket.destroy();
  });

  it('nothing changes when the server took the first group of the default offer', async () => {
    const x25519 = new P256Server();
    x25519.server.setSecureContext({ key: fixture('server.key'), cert: fixture('server.pem') });
    const p = await x25519.start();
    try {
      const options = tlsConnectOptions('localhost', { ca: fixture('ca.pem') });
      const control = await handshake(p, options);
      assert.equal(x25519.clientHellos, 1);
      assert.equal(preferGroupOf(options, control), undefined);
      control.destroy();
    } finally {
      await x25519.stop();
    }
  });
});
