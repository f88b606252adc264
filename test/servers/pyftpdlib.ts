/**
 * Stock pyftpdlib (Debian's python3-pyftpdlib + python3-openssl, its own TLS_FTPHandler) on
 * 127.0.0.1, for the early-data-TLS fallback: it closes a data connection that receives bytes before
 * the transfer command was processed. Runs test/servers/pyftpdlib-server.py with Debian's python3
 * (needs no root: a DummyAuthorizer user, served from a temporary folder).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pickPassiveRange } from './real.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const TLS_DIR = path.resolve(HERE, '..', 'fixtures', 'tls');
const READY_TIMEOUT_MS = 10_000;

export interface PyftpdlibServer {
  host: '127.0.0.1';
  port: number;
  user: string;
  password: string;
  root: string;
  caFile: string;
  passive: { min: number; max: number };
  stop(): Promise<void>;
}

/** Whether Debian's python3 has pyftpdlib and pyOpenSSL (test/servers/install.sh installs both). */
export function pyftpdlibInstalled(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import pyftpdlib.handlers, OpenSSL'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function startPyftpdlib(): Promise<PyftpdlibServer> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'ftps-client-pyftpdlib-'));
  const range = await pickPassiveRange();
  const user = 'ftpsuser';
  const password = 'ftpspass';
  const args = [
    path.join(HERE, 'pyftpdlib-server.py'),
    root,
    path.join(TLS_DIR, 'server.pem'),
    path.join(TLS_DIR, 'server.key'),
    user,
    password,
    String(range.min),
    String(range.max),
  ];
  const child: ChildProcess = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await fsp.rm(range.lock, { force: true });
    await fsp.rm(root, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`pyftpdlib did not start within ${READY_TIMEOUT_MS} ms: ${stderr}`)),
        READY_TIMEOUT_MS,
      );
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /ready (\d+)/.exec(out);
        if (m !== null) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`pyftpdlib exited (code ${String(code)}): ${stderr}`));
      });
    });
    let stopping: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      user,
      password,
      root,
      caFile: path.join(TLS_DIR, 'ca.pem'),
      passive: { min: range.min, max: range.max },
      stop: () => (stopping ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
