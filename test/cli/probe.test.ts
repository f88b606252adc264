// `ftps probe` (and probe()) against the scripted server: implicit and explicit ports, TLS 1.2-only
// and 1.3-only servers, expired, self-signed and wrong-name certificates, and the login checks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { probe, spkiPin, type PortReport } from '../../src/index.js';
import { LIMIT, withServer } from '../fake/support.js';
import { assertExit, CA_FILE, ESCAPE, runCli } from './support.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));
const certOf = (name: string) => ({ key: fixture(`${name}.key`), cert: fixture(`${name}.pem`) });

async function probeJson(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; port: PortReport; stdout: string }> {
  const r = await runCli(['probe', '--json', ...args], { env });
  const doc = JSON.parse(r.stdout) as { ports: PortReport[] };
  assert.equal(doc.ports.length, 1);
  return { code: r.code, port: doc.ports[0] as PortReport, stdout: r.stdout };
}

test('probe tells an explicit port from an implicit one, with TLS details and FEAT', LIMIT, async () => {
  await withServer(
    { mode: 'explicit', features: ['EPSV', 'MLST type*;size*;', 'UTF8', 'REST STREAM', 'HASH SHA-256*;MD5'] },
    async ({ server }) => {
      const human = await runCli(['probe', '--ca', CA_FILE, `127.0.0.1:${server.port}`]);
      assertExit(human, 0, 'probe explicit');
      assert.match(human.stdout, /explicit FTPS \(plain greeting, AUTH TLS accepted\)/);
      assert.match(human.stdout, /AUTH TLS: 234/);
      assert.match(human.stdout, /verification: ok/);
      assert.doesNotMatch(human.stdout, ESCAPE);
      const { port } = await probeJson(['--ca', CA_FILE, `127.0.0.1:${server.port}`]);
      assert.equal(port.mode, 'explicit');
      assert.deepEqual(port.tls?.versions, { 'TLSv1.3': true, 'TLSv1.2': true, 'TLSv1.1': false, TLSv1: false });
      assert.deepEqual(port.tls?.insecureVersions, []);
      assert.equal(port.tls?.chain[0]?.spkiPin, spkiPin(fixture('server.pem').toString()));
      assert.match(port.tls?.chain[0]?.fingerprintSha256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.equal(port.tls?.chain[0]?.signatureAlgorithm, 'sha256WithRSAEncryption');
      assert.equal(port.tls?.chain[0]?.keyType, 'rsa');
      assert.deepEqual(port.features?.highlights, {
        MLSD: true,
        EPSV: true,
        HASH: true,
        'REST STREAM': true,
        UTF8: true,
      });
    },
  );
  await withServer({ mode: 'implicit' }, async ({ server }) => {
    const { code, port } = await probeJson(['--ca', CA_FILE, `127.0.0.1:${server.port}`]);
    assert.equal(code, 0);
    assert.equal(port.mode, 'implicit');
    assert.equal(port.authTls, undefined);
    assert.match(port.greeting ?? '', /^FakeFtpServer/);
    assert.ok(port.tls?.group !== undefined);
  });
  await withServer({ mode: 'plain' }, async ({ server }) => {
    const { code, port } = await probeJson([`127.0.0.1:${server.port}`]);
    assert.equal(code, 4, 'no TLS at all');
    assert.equal(port.mode, 'plain');
    assert.equal(port.authTls?.ok, false);
  });
});

test('probe finds which of TLS 1.3 and 1.2 a server accepts', LIMIT, async () => {
  await withServer({ mode: 'explicit', maxVersion: 'TLSv1.2' }, async ({ server }) => {
    const { port } = await probeJson(['--ca', CA_FILE, `127.0.0.1:${server.port}`]);
    assert.equal(port.tls?.protocol, 'TLSv1.2');
    assert.deepEqual(port.tls?.versions, { 'TLSv1.3': false, 'TLSv1.2': true, 'TLSv1.1': false, TLSv1: false });
  });
  await withServer({ mode: 'implicit', minVersion: 'TLSv1.3' }, async ({ server }) => {
    const { port } = await probeJson(['--ca', CA_FILE, `127.0.0.1:${server.port}`]);
    assert.equal(port.tls?.protocol, 'TLSv1.3');
    assert.deepEqual(port.tls?.versions, { 'TLSv1.3': true, 'TLSv1.2': false, 'TLSv1.1': false, TLSv1: false });
  });
});

test(
  'probe reports TLS 1.1 and 1.0 accepted and flags them insecure (a legacy-only server is exit 4)',
  LIMIT,
  async () => {
    // The scripted server accepts TLS 1.0/1.1 when told to (OpenSSL security level 0).
    await withServer({ mode: 'explicit', minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }, async ({ server }) => {
      const report = await probe({ host: '127.0.0.1', port: server.port, tls: { ca: fixture('ca.pem') } });
      const tls = report.ports[0]?.tls;
      assert.equal(report.ports[0]?.mode, 'explicit');
      assert.equal(tls?.protocol, 'TLSv1.1');
      assert.deepEqual(tls?.versions, { 'TLSv1.3': false, 'TLSv1.2': false, 'TLSv1.1': true, TLSv1: true });
      assert.deepEqual(tls?.insecureVersions, ['TLSv1.1', 'TLSv1']);
      assert.equal(tls?.verification.ok, true, 'the certificate itself is fine');
      const human = await runCli(['probe', '--ca', CA_FILE, `127.0.0.1:${server.port}`]);
      assertExit(human, 4, 'a server ftps-client cannot use');
      assert.match(human.stdout, /versions accepted: TLS 1\.3 no, TLS 1\.2 no, TLS 1\.1 yes, TLS 1\.0 yes/);
      assert.match(human.stdout, /WARNING: the server accepts deprecated, insecure TLSv1\.1 and TLSv1 /);
      assert.match(human.stdout, /WARNING: no TLS 1\.2 or 1\.3/);
    });
    // 1.0 to 1.3: usable (exit 0), the legacy versions still flagged.
    await withServer({ mode: 'implicit', minVersion: 'TLSv1' }, async ({ server }) => {
      const { code, port, stdout } = await probeJson(['--ca', CA_FILE, `127.0.0.1:${server.port}`]);
      assert.equal(code, 0, stdout);
      assert.equal(port.tls?.protocol, 'TLSv1.3');
      assert.deepEqual(port.tls?.versions, { 'TLSv1.3': true, 'TLSv1.2': true, 'TLSv1.1': true, TLSv1: true });
      assert.deepEqual(port.tls?.insecureVersions, ['TLSv1.1', 'TLSv1']);
      const human = await runCli(['probe', '--ca', CA_FILE, `127.0.0.1:${server.port}`]);
      assertExit(human, 0, 'legacy versions besides 1.2/1.3');
      assert.match(human.stdout, /WARNING: the server accepts deprecated, insecure TLSv1\.1 and TLSv1 /);
      assert.doesNotMatch(human.stdout, /no TLS 1\.2 or 1\.3/);
    });
  },
);

test('probe names expired, self-signed and wrong-name certificates with a hint (exit 4)', LIMIT, async () => {
  const cases: [string, RegExp, RegExp][] = [
    ['expired', /CERT_HAS_EXPIRED/, /renew/],
    ['selfsigned', /DEPTH_ZERO_SELF_SIGNED_CERT/, /self-signed/],
    ['wronghost', /ERR_TLS_CERT_ALTNAME_INVALID/, /wrong name/],
  ];
  for (const [name, code, hint] of cases) {
    await withServer({ mode: 'explicit', cert: certOf(name) }, async ({ server }) => {
      const r = await runCli(['probe', '--ca', CA_FILE, `127.0.0.1:${server.port}`]);
      assertExit(r, 4, name);
      assert.match(r.stdout, code);
      assert.match(r.stdout, new RegExp(`hint: .*${hint.source}`));
      const { port } = await probeJson(['--ca', CA_FILE, `127.0.0.1:${server.port}`]);
      assert.equal(port.tls?.verification.ok, false);
      assert.match(port.tls?.verification.code ?? '', code);
      if (name === 'expired') assert.equal(port.tls?.chain[0]?.expired, true);
      if (name === 'selfsigned') {
        assert.equal(port.tls?.chain[0]?.selfSigned, true);
        // The pin probe prints lets the CLI accept this server without --ca or --insecure.
        const pin = port.tls?.chain[0]?.spkiPin ?? '';
        const pinned = await probeJson(['--pin', pin, `127.0.0.1:${server.port}`]);
        assert.equal(pinned.code, 0);
        assert.equal(pinned.port.tls?.verification.pinMatches, true);
      }
    });
  }
});

test(
  'probe with credentials: login, PROT P, protected data, EPSV/PASV, session reuse required or not',
  LIMIT,
  async () => {
    for (const requireSessionReuse of [true, false]) {
      await withServer({ mode: 'explicit', requireSessionReuse }, async ({ server }) => {
        const { code, port } = await probeJson(['--ca', CA_FILE, `ftpes://user@127.0.0.1:${server.port}`], {
          FTPS_PASSWORD: 'pass',
        });
        assert.equal(code, 0, JSON.stringify(port.login));
        const login = port.login;
        assert.equal(login?.login.ok, true);
        assert.equal(login?.protection?.ok, true);
        assert.equal(login?.dataConnection?.ok, true, login?.dataConnection?.detail);
        assert.equal(login?.epsv?.ok, true);
        assert.equal(login?.pasv?.ok, true);
        assert.equal(login?.pasv?.matchesControlHost, true);
        assert.equal(login?.sessionReuseRequired, requireSessionReuse, login?.sessionReuseDetail);
      });
    }
    await withServer({ mode: 'implicit' }, async ({ server }) => {
      server.hook('PASV', async (ctx) => {
        const port = await ctx.openPassive();
        await ctx.reply(`227 Entering Passive Mode (10,1,2,3,${port >> 8},${port & 255}).`);
      });
      const report = await probe({
        host: '127.0.0.1',
        port: server.port,
        user: 'user',
        password: 'pass',
        tls: { ca: fixture('ca.pem') },
      });
      const pasv = report.ports[0]?.login?.pasv;
      assert.equal(pasv?.host, '10.1.2.3');
      assert.equal(pasv?.matchesControlHost, false);
      assert.match(pasv?.hint ?? '', /NAT/);
      const wrong = await probeJson(['--ca', CA_FILE, `ftps://user@127.0.0.1:${server.port}`], {
        FTPS_PASSWORD: 'nope',
      });
      assert.equal(wrong.code, 5, 'wrong password');
      assert.equal(wrong.port.login?.login.replyCode, 530);
      assert.doesNotMatch(wrong.stdout, /nope/);
    });
  },
);

test('probe without a port tries 990 and 21; an unreachable host is exit 3', LIMIT, async () => {
  const r = await runCli(['probe', '--json', '--timeout', '2', '127.0.0.9']);
  const doc = JSON.parse(r.stdout) as { ports: PortReport[] };
  assert.deepEqual(
    doc.ports.map((p) => p.port),
    [990, 21],
  );
  if (doc.ports.every((p) => !p.reachable)) assertExit(r, 3, 'nothing listening');
});
