// Pure pieces of the network options: EPRT/PORT encoding, proxy URLs, SOCKS5 address encoding,
// and the SOCKS5 / HTTP CONNECT handshakes byte for byte against scripted in-process peers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ProxyError } from '../../src/index.js';
import { eprtCommand, plainAddress, portCommand } from '../../src/protocol/active.js';
import { httpConnect } from '../../src/transport/http-connect.js';
import { parseProxyUrl } from '../../src/transport/proxy.js';
import { ipv6Bytes, socks5Connect } from '../../src/transport/socks5.js';

test('EPRT and PORT commands', () => {
  assert.equal(eprtCommand('127.0.0.1', 50_000), 'EPRT |1|127.0.0.1|50000|');
  assert.equal(eprtCommand('::ffff:10.0.0.1', 21), 'EPRT |1|10.0.0.1|21|');
  assert.equal(eprtCommand('::1', 4242), 'EPRT |2|::1|4242|');
  assert.equal(portCommand('192.168.1.2', 50_001), 'PORT 192,168,1,2,195,81');
  assert.equal(portCommand('::1', 21), undefined, 'PORT cannot name IPv6');
  assert.equal(plainAddress('::FFFF:1.2.3.4'), '1.2.3.4');
  assert.throws(() => eprtCommand('example.com', 21));
});

test('proxy URLs', () => {
  assert.deepEqual(parseProxyUrl('socks5://u%40x:p%3Ass@127.0.0.1:1081'), {
    protocol: 'socks5',
    host: '127.0.0.1',
    port: 1081,
    credentials: { username: 'u@x', password: 'p:ss' },
  });
  assert.deepEqual(parseProxyUrl('socks5h://[::1]'), { protocol: 'socks5', host: '::1', port: 1080 });
  assert.deepEqual(parseProxyUrl(new URL('http://proxy.corp')), { protocol: 'http', host: 'proxy.corp', port: 8080 });
  for (const bad of ['https://p:1', 'socks4://p:1', 'http://p:1/path', 'nonsense'])
    assert.throws(() => parseProxyUrl(bad), TypeError, bad);
});

test('IPv6 addresses as 16 bytes', () => {
  assert.equal(ipv6Bytes('::1').toString('hex'), '00000000000000000000000000000001');
  assert.equal(
    ipv6Bytes('2001:db8::8:800:200c:417a').toString('hex'),
    '20010db8000000000008080020 0c417a'.replace(' ', ''),
  );
  assert.equal(ipv6Bytes('::ffff:1.2.3.4').toString('hex'), '00000000000000000000ffff01020304');
  assert.equal(ipv6Bytes('fe80::1%eth0').toString('hex'), 'fe800000000000000000000000000001');
});

/** A one-connection peer running `script` on the accepted socket; returns a client socket to it. */
async function peer(
  script: (s: net.Socket) => Promise<void>,
): Promise<{ client: net.Socket; done: Promise<void>; close: () => Promise<void> }> {
  let done!: Promise<void>;
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => {
    accepted.push(s);
    done = script(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  return {
    client,
    get done() {
      return done;
    },
    close: () =>
      new Promise((r) => {
        client.destroy();
        for (const s of accepted) s.destroy();
        server.close(() => r());
      }),
  };
}

function read(s: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const on = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= n) {
        s.off('data', on);
        s.pause();
        if (buf.length > n) s.unshift(buf.subarray(n));
        resolve(buf.subarray(0, n));
      }
    };
    s.on('data', on);
    s.resume();
  });
}

test('SOCKS5: user/password, a name as ATYP 3, tunnel bytes right behind the reply are kept', async () => {
  const p = await peer(async (s) => {
    assert.deepEqual([...(await read(s, 4))], [5, 2, 0, 2]);
    s.write(Buffer.from([5, 2]));
    const auth = await read(s, 2 + 3 + 1 + 4);
    assert.equal(auth.toString('latin1', 2, 5), 'bob');
    assert.equal(auth.toString('latin1', 6), 'pw12');
    s.write(Buffer.from([1, 0]));
    const head = await read(s, 5 + 'ftp.example'.length + 2);
    assert.deepEqual([...head.subarray(0, 5)], [5, 1, 0, 3, 11]);
    assert.equal(head.toString('latin1', 5, 16), 'ftp.example');
    assert.equal(head.readUInt16BE(16), 2121);
    // Reply with an IPv6 bound address, and the server's greeting in the same packet.
    s.write(
      Buffer.concat([Buffer.from([5, 0, 0, 4]), Buffer.alloc(16), Buffer.from([0, 21]), Buffer.from('220 hi\r\n')]),
    );
  });
  try {
    await socks5Connect(
      p.client,
      'ftp.example',
      2121,
      { username: 'bob', password: 'pw12' },
      new AbortController().signal,
      'test proxy',
    );
    await p.done;
    assert.equal((await read(p.client, 8)).toString(), '220 hi\r\n');
  } finally {
    await p.close();
  }
});

test('SOCKS5 refusals: no acceptable method, bad password, ruleset', async () => {
  const cases: [string, (s: net.Socket) => Promise<void>, ProxyError['kind'], RegExp][] = [
    [
      'no method',
      async (s) => void (await read(s, 3), s.write(Buffer.from([5, 0xff]))),
      'auth',
      /requires authentication/,
    ],
    [
      'bad password',
      async (s) =>
        void (await read(s, 4), s.write(Buffer.from([5, 2])), await read(s, 5), s.write(Buffer.from([1, 1]))),
      'auth',
      /refused the user name or password/,
    ],
    [
      'ruleset',
      async (s) =>
        void (
          await read(s, 3),
          s.write(Buffer.from([5, 0])),
          await read(s, 10),
          s.write(Buffer.from([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]))
        ),
      'refused',
      /not allowed by ruleset/,
    ],
  ];
  for (const [label, script, kind, message] of cases) {
    const p = await peer(script);
    try {
      const creds = label === 'bad password' ? { username: 'a', password: 'b' } : undefined;
      const err = await socks5Connect(
        p.client,
        '127.0.0.1',
        21,
        creds,
        new AbortController().signal,
        'test proxy',
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ProxyError, `${label}: ${String(err)}`);
      assert.equal(err.kind, kind, label);
      assert.match(err.message, message);
    } finally {
      await p.close();
    }
  }
});

test('HTTP CONNECT: request with Basic auth, 200 with bytes behind it; 407 and 502 refused', async () => {
  const ok = await peer(async (s) => {
    const req = (await read(s, 'CONNECT [::1]:21 HTTP/1.1\r\n'.length)).toString();
    assert.equal(req, 'CONNECT [::1]:21 HTTP/1.1\r\n');
    s.write('HTTP/1.1 200 Connection established\r\nX: y\r\n\r\n220 hello\r\n');
  });
  try {
    await httpConnect(
      ok.client,
      '::1',
      21,
      { username: 'u', password: 'p' },
      new AbortController().signal,
      'test proxy',
    );
    assert.equal((await read(ok.client, 11)).toString(), '220 hello\r\n');
  } finally {
    await ok.close();
  }
  for (const [status, kind] of [
    ['407 Proxy Authentication Required', 'auth'],
    ['502 Bad Gateway', 'refused'],
  ] as const) {
    const p = await peer(async (s) => void (await read(s, 8), s.write(`HTTP/1.0 ${status}\r\n\r\n`)));
    try {
      const err = await httpConnect(p.client, 'h', 21, undefined, new AbortController().signal, 'test proxy').then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ProxyError && err.kind === kind, String(err));
    } finally {
      await p.close();
    }
  }
});
