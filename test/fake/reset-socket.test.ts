// resetSocket (transport/close.ts), the reset behind every early stop of a transfer: a socket it
// resets must close, also in the states where Node's resetAndDestroy() fails and leaks the handle.
import net from 'node:net';
import { describe, it } from 'node:test';
import tls from 'node:tls';
import { testCa, testCertificate } from '../../src/testing/certs.js';
import { resetSocket } from '../../src/transport/close.js';
describe('resetSocket (transport/close.ts): every reset socket closes', () => {
  // Node's resetAndDestroy() fails while a shutdown is pending and then never closes the handle:
  // no 'close', and the process cannot exit. These sockets must close all the same.
  // (Checked: with resetAndDestroy() called unconditionally, the first test hangs the process.)
  async function pair(): Promise<{ client: net.Socket; done: () => Promise<void> }> {
    const server = net.createServer((s) => {
      s.on('error', () => undefined);
      s.resume();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    client.on('error', () => undefined);
    await new Promise((r) => client.once('connect', r));
    return { client, done: () => new Promise<void>((r) => server.close(() => r())) };
  }

  it('right after end() (its shutdown pending)', { timeout: 5000 }, async () => {
    const { client, done } = await pair();
    client.end();
    await new Promise((r) => process.nextTick(r)); // end() issues the shutdown on the next tick
    const closed = new Promise((r) => client.once('close', r));
    resetSocket(client);
    await closed;
    await done();
  });

  it('under a TLS socket that has sent close_notify', { timeout: 5000 }, async () => {
    const server = tls.createServer({ key: testCertificate.key, cert: testCertificate.cert }, (s) => {
      s.on('error', () => undefined);
      s.resume();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const raw = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    raw.on('error', () => undefined);
    await new Promise((r) => raw.once('connect', r));
    const secure = tls.connect({ socket: raw, ca: testCa, servername: 'localhost' });
    secure.on('error', () => undefined);
    await new Promise((r) => secure.once('secureConnect', r));
    // Not from within the handshake's own callbacks (destroying there crashes Node 20 regardless).
    await new Promise((r) => setTimeout(r, 20));
    secure.end(); // close_notify, then the shutdown of the TCP socket below
    await new Promise((r) => process.nextTick(r));
    const closed = new Promise((r) => raw.once('close', r));
    resetSocket(raw, secure);
    secure.destroy();
    await closed;
    await new Promise<void>((r) => server.close(() => r()));
  });
});
