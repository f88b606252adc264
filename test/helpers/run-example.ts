// Runs one program from examples/ against a server started here, the way a user runs it against
// theirs: the example gets FTPS_URL (and FTPS_CA, the CA file that signed the server's certificate)
// in its environment and imports ftps-client by package name (run `npm run build` first).
//
//   node --import tsx test/helpers/run-example.ts examples/demo.ts             # scripted test server
//   node --import tsx test/helpers/run-example.ts examples/demo.ts --vsftpd    # real vsftpd (root)
//
// Each example's server set-up (mode, features, a fault to show off) is in SETUPS below.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeFtpServer, type FakeServerOptions } from './fake-server.js';
import { startRealServer, type ServerKind } from '../servers/real.js';

type Mode = 'implicit' | 'explicit';

interface Setup {
  /** One run per mode, in order. */
  modes: Mode[];
  server?: Omit<FakeServerOptions, 'mode'>;
  /** Runs on the started scripted server before the example (faults, seed files). */
  prepare?: (server: FakeFtpServer) => void;
}

const SETUPS: Record<string, Setup> = {
  'demo.ts': { modes: ['implicit', 'explicit'], server: { requireSessionReuse: true } },
  'backup-upload.ts': {
    modes: ['explicit'],
    // HASH SHA-256 for the verification; partial uploads kept, like real servers, so a retry resumes.
    server: { keepPartialUploads: true, features: ['EPSV', 'SIZE', 'REST STREAM', 'UTF8', 'HASH SHA-256*;SHA-1;MD5'] },
    prepare: (server) => server.nextTransfer({ after: { bytes: 3 * 1024 * 1024, action: 'reset-control' } }),
  },
  'mirror.ts': { modes: ['explicit'] },
  'pool.ts': { modes: ['explicit'] },
  'object-storage.ts': { modes: ['explicit'] },
  'abort-timeout.ts': {
    modes: ['explicit'],
    server: { files: { '/big.bin': randomBytes(256 * 1024) } },
    // 64 KiB, then a silent data connection: only the signal ends it (the server answers 426 then).
    prepare: (server) => {
      server.nextTransfer({ after: { bytes: 64 * 1024, action: 'stall' } });
      // As test/fake/support.ts closeDataOnClientFin: a data socket closes on the client's FIN, so the 426 follows.
      const track = server.track.bind(server);
      server.track = (s) => {
        track(s);
        if (s.localPort !== server.port) s.once('end', () => s.destroy());
      };
    },
  },
};

/** Runs `file` against a server for each mode of its set-up; resolves to the exit code (0 = all passed). */
export async function runExample(file: string, real?: ServerKind): Promise<number> {
  const setup = SETUPS[basename(file)];
  if (setup === undefined) throw new Error(`no server set-up for ${file} in test/helpers/run-example.ts`);
  const ca = fileURLToPath(new URL('../fixtures/tls/ca.pem', import.meta.url));
  for (const mode of setup.modes) {
    const scheme = mode === 'implicit' ? 'ftps' : 'ftpes';
    let url: string;
    let stop: () => Promise<void>;
    if (real !== undefined) {
      const s = await startRealServer({ kind: real, mode, tlsVersion: '1.3' });
      url = `${scheme}://${s.user}:${s.password}@${s.host}:${s.port}/`;
      stop = () => s.stop();
    } else {
      const s = new FakeFtpServer({ mode, ...setup.server });
      await s.start();
      setup.prepare?.(s);
      url = `${scheme}://user:pass@${s.host}:${s.port}/`;
      stop = () => s.close();
    }
    try {
      const code = await spawnExample(file, { FTPS_URL: url, FTPS_CA: ca });
      if (code !== 0) return code;
    } finally {
      await stop();
    }
  }
  return 0;
}

function spawnExample(file: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, flag] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: run-example.ts examples/NAME.ts [--vsftpd|--proftpd]');
  const real = flag === '--vsftpd' ? 'vsftpd' : flag === '--proftpd' ? 'proftpd' : undefined;
  process.exitCode = await runExample(file, real);
}
