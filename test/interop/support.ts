// Shared pieces of the interop tests.
import { readFileSync } from 'node:fs';
import type { FtpsClientOptions } from '../../src/index.js';
import { isInstalled, type RealServer, type ServerKind } from '../servers/real.js';

/** In CI (FTPS_INTEROP_REQUIRED=1) a missing server fails the run instead of skipping. */
export function skipReason(kind: ServerKind): string | false {
  if (isInstalled(kind)) return false;
  if (process.env.FTPS_INTEROP_REQUIRED === '1') {
    throw new Error(`${kind} is not installed but FTPS_INTEROP_REQUIRED=1: run sudo bash test/servers/install.sh`);
  }
  return `${kind} not installed (sudo bash test/servers/install.sh)`;
}

export function clientOptions(server: RealServer): FtpsClientOptions {
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    secure: server.mode,
    tls: { ca: readFileSync(server.caFile) },
    timeouts: { connect: 10_000, reply: 10_000, data: 10_000 },
  };
}
