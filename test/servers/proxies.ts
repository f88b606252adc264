// Real proxies from Debian for the proxy tests, started in the foreground on 127.0.0.1 with their
// outgoing side on a loopback address of their own (so a server can tell proxied connections by
// source address): dante-server (SOCKS5, `danted`) and tinyproxy (HTTP CONNECT). Only loopback
// targets are allowed by their configurations.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FTP_PASSWORD, FTP_USER } from './real.js';

export type ProxyKind = 'dante' | 'tinyproxy';

export const PROXY_BIN: Record<ProxyKind, string> = { dante: '/usr/sbin/danted', tinyproxy: '/usr/bin/tinyproxy' };
/** The address each proxy connects from. */
export const PROXY_EGRESS: Record<ProxyKind, string> = { dante: '127.0.0.3', tinyproxy: '127.0.0.4' };
/** Credentials when started with `auth: true` (dante checks them against the system user). */
export const PROXY_USER = FTP_USER;
export const PROXY_PASSWORD = FTP_PASSWORD;

export interface RealProxy {
  kind: ProxyKind;
  host: '127.0.0.1';
  port: number;
  /** Proxy URL for the client, with credentials when the proxy requires them. */
  url: string;
  /** What the proxy printed (tinyproxy logs every CONNECT). */
  output(): string;
  stop(): Promise<void>;
}

export function proxyInstalled(kind: ProxyKind): boolean {
  return existsSync(PROXY_BIN[kind]);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitListening(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`proxy exited with ${child.exitCode}: ${output()}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`proxy not listening on ${port}: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function configFor(kind: ProxyKind, port: number, auth: boolean): string {
  if (kind === 'dante') {
    return [
      'logoutput: stderr',
      `internal: 127.0.0.1 port = ${port}`,
      `external: ${PROXY_EGRESS.dante}`,
      'clientmethod: none',
      `socksmethod: ${auth ? 'username' : 'none'}`,
      'user.privileged: root',
      'user.unprivileged: nobody',
      'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }',
      // Only the FTP server's address: anything else is "not allowed by ruleset".
      'socks pass { from: 127.0.0.0/8 to: 127.0.0.1/32 command: connect }',
      'socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 }',
      '',
    ].join('\n');
  }
  return [
    `Port ${port}`,
    'Listen 127.0.0.1',
    `Bind ${PROXY_EGRESS.tinyproxy}`,
    'Timeout 30',
    'MaxClients 50',
    'Allow 127.0.0.1',
    // No ConnectPort line: CONNECT to any port (the FTP server's passive ports are kernel-chosen).
    ...(auth ? [`BasicAuth ${PROXY_USER} ${PROXY_PASSWORD}`] : []),
    'LogLevel Connect',
    'User nobody',
    'Group nogroup',
    '',
  ].join('\n');
}

export async function startProxy(kind: ProxyKind, opts: { auth?: boolean } = {}): Promise<RealProxy> {
  const auth = opts.auth ?? false;
  const dir = mkdtempSync(path.join(tmpdir(), `ftps-client-${kind}-`));
  const conf = path.join(dir, 'proxy.conf');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    writeFileSync(conf, configFor(kind, port, auth));
    const args = kind === 'dante' ? ['-f', conf, '-p', path.join(dir, 'pid')] : ['-d', '-c', conf];
    const child = spawn(PROXY_BIN[kind], args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let text = '';
    child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
    const kill = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        try {
          process.kill(-(child.pid as number), 'SIGTERM');
        } catch {
          /* already gone */
        }
        await exited;
      }
    };
    const stop = async (): Promise<void> => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await waitListening(port, child, () => text);
    } catch (err) {
      if (attempt < 2) {
        await kill();
        continue; // the port was taken in between: try another
      }
      await stop();
      throw err;
    }
    const scheme = kind === 'dante' ? 'socks5' : 'http';
    const userinfo = auth ? `${encodeURIComponent(PROXY_USER)}:${encodeURIComponent(PROXY_PASSWORD)}@` : '';
    return { kind, host: '127.0.0.1', port, url: `${scheme}://${userinfo}127.0.0.1:${port}`, output: () => text, stop };
  }
}
