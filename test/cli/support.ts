/**
 * Helpers for the CLI tests: run the built `ftps` binary (dist/cli/main.js, as `npm run build`
 * makes it) as a child process with a clean environment, and collect its output and exit code.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'dist', 'cli', 'main.js');
export const CA_FILE = path.join(ROOT, 'test', 'fixtures', 'tls', 'ca.pem');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
  /** Called with the child right after spawning (to send signals). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
  timeoutMs?: number;
}

/** A temporary HOME (no ~/.netrc unless the test writes one), removed by `cleanup()`. */
export function tempDir(prefix = 'ftps-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function runCli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  assert.ok(existsSync(BIN), `${BIN} missing: run npm run build first`);
  const home = opts.env?.HOME ?? tmpdir();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: home, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `ftps ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 20_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
    opts.onSpawn?.(child);
  });
}

/** Control sequences (CSI) a non-terminal output must not contain. */
export const ESCAPE = new RegExp(String.fromCharCode(27));

export function assertExit(r: RunResult, code: number, what: string): void {
  assert.equal(
    r.code,
    code,
    `${what}: exit ${String(r.code)}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
  );
}
