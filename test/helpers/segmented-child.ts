// A process that runs one resumable segmented download and never finishes it on its own: the
// segmented-download test kills it (SIGKILL) mid-way to check that a rerun resumes after a crash.
// argv[2]: JSON { host, port, remote, local, segments }.
import { readFileSync } from 'node:fs';
import { createPool } from '../../src/index.js';

const task = JSON.parse(process.argv[2] ?? '{}') as {
  host: string;
  port: number;
  remote: string;
  local: string;
  segments: number;
};
const ca = readFileSync(new URL('../fixtures/tls/ca.pem', import.meta.url));
const pool = createPool(
  { host: task.host, port: task.port, user: 'user', password: 'pass', secure: 'explicit', tls: { ca } },
  {},
  { size: task.segments, retries: 0 },
);
await pool.download(task.remote, task.local, { segments: task.segments, resume: true });
process.stdout.write('finished\n');
await pool.close();
