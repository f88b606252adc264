/**
 * The socket seam: the `connect` option opens the control and every data connection, data
 * connections go to the host as given; `localAddress`; connector failures and timeouts; option
 * validation; a proxy that breaks its handshake. (Real SOCKS5/HTTP proxies: test/interop/proxy.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ConnectionError, ConnectTimeoutError, FtpsClient, ProxyError, type ConnectRequest } from '../../src/index.js';
import type { FakeFtpServer } from '../helpers/fake-server.js';
import { assertFtpsError, ca, FAST, LIMIT, rejection, Sink, sleep, withServer } from './support.js';

function recordPeers(server: FakeFtpServer): string[] {
  const peers: string[] = [];
  const track = server.track.bind(server);
  server.track = (s: net.Socket) => {
    peers.push(s.remoteAddress ?? '?');
    track(s);
  };
  return peers;
}

test('connect opens the control and every data connection, data to the host as given', LIMIT, async () => {
  await withServer({ mode: 'explicit', files: { '/f.txt': 'via connector' } }, async ({ server, connect }) => {
    const requests: Omit<ConnectRequest, 'signal'>[] = [];
    const client = await connect({
      host: 'ftp.example.invalid',
      tls: { ca, servername: 'localhost' },
      connect: ({ signal: _signal, ...request }) => {
        requests.push(request);
        return net.connect(request.port, server.host); // the name is ours to map
      },
    });
    const sink = new Sink();
    await client.download('/f.txt', sink);
    assert.equal(sink.bytes.toString(), 'via connector');
    await client.list('/');
    assert.deepEqual(
      requests.map((r) => `${r.purpose} ${r.host}`),
      ['control ftp.example.invalid', 'data ftp.example.invalid', 'data ftp.example.invalid'],
    );
    assert.equal(requests[0]?.port, server.port);
  });
});

test('localAddress: every connection comes from it', LIMIT, async () => {
  await withServer({ mode: 'implicit', files: { '/f.txt': 'x' } }, async ({ server, connect }) => {
    const peers = recordPeers(server);
    const client = await connect({ localAddress: '127.0.0.2' });
    await client.download('/f.txt', new Sink());
    assert.deepEqual(peers, ['127.0.0.2', '127.0.0.2']);
  });
});

test('a connector that fails → ConnectionError with its error as cause', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ connect }) => {
    const boom = new Error('no route (test)');
    const err = assertFtpsError(
      await rejection(connect({ connect: () => Promise.reject(boom) })),
      ConnectionError,
      'ERR_FTPS_CONNECTION',
    );
    assert.equal(err.cause, boom);
  });
});

test('a connector that never answers → ConnectTimeoutError; its late socket is destroyed', LIMIT, async () => {
  await withServer({ mode: 'explicit' }, async ({ server, connect }) => {
    let late: net.Socket | undefined;
    let aborted = false;
    const err = await rejection(
      connect({
        timeouts: { ...FAST, connect: 300 },
        connect: async ({ port, signal }) => {
          signal.addEventListener('abort', () => (aborted = true));
          await sleep(600);
          late = net.connect(port, server.host);
          return late;
        },
      }),
    );
    assertFtpsError(err, ConnectTimeoutError, 'ERR_FTPS_CONNECT_TIMEOUT');
    assert.equal(aborted, true, 'the connector was told to stop');
    await sleep(500);
    assert.equal(late?.destroyed, true);
  });
});

test('a proxy that closes during its handshake → ProxyError (protocol)', LIMIT, async () => {
  const proxy = net.createServer((s) => s.once('data', () => s.end()));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const { port } = proxy.address() as net.AddressInfo;
  try {
    for (const scheme of ['socks5', 'http']) {
      const err = assertFtpsError(
        await rejection(
          FtpsClient.connect({ host: '127.0.0.1', port: 21, timeouts: FAST, proxy: `${scheme}://127.0.0.1:${port}` }),
        ),
        ProxyError,
        'ERR_FTPS_PROXY',
      );
      assert.equal(err.kind, 'protocol');
    }
  } finally {
    await new Promise((r) => proxy.close(r));
  }
});

test('connect, family, localAddress and proxy are validated up front', async () => {
  const bad = [
    { connect: 'net' },
    { family: 5 },
    { localAddress: 'here' },
    { proxy: 'ftp://proxy:21' },
    { proxy: 'not a url' },
  ];
  for (const extra of bad) {
    await assert.rejects(
      FtpsClient.connect({ host: '127.0.0.1', ...(extra as object) }),
      TypeError,
      JSON.stringify(extra),
    );
  }
});
