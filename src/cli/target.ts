// Remote targets on the command line: ftps:// (implicit), ftpes:// (explicit), ftp:// (plain, only
// with --plain). The URL's path is the remote path; a password in the URL is refused (see credentials.ts).
import type { SecureMode } from '../index.js';
import { UsageError } from './exit.js';

export interface Target {
  host: string;
  port: number | undefined;
  secure: SecureMode;
  user: string | undefined;
  /** Decoded remote path, '/' when the URL names none. */
  path: string;
  /** Whether the URL ends with '/' (a folder). */
  isDir: boolean;
  /** scheme://host[:port], to tell whether two targets are on one server. */
  origin: string;
}

const SCHEMES: Record<string, SecureMode> = { 'ftps:': 'implicit', 'ftpes:': 'explicit', 'ftp:': false };

export function isUrl(arg: string): boolean {
  return /^(ftps|ftpes|ftp):\/\//i.test(arg);
}

export function parseTarget(arg: string, plain: boolean): Target {
  let url: URL;
  try {
    url = new URL(arg);
  } catch {
    throw new UsageError(`Not a URL: ${arg} (expected ftps://host/path, ftpes://host/path or ftp://host/path)`);
  }
  const secure = SCHEMES[url.protocol];
  if (secure === undefined)
    throw new UsageError(
      `Unsupported scheme "${url.protocol}" in ${arg}: use ftps:// (implicit TLS), ftpes:// (explicit TLS) or ftp:// (plain, with --plain)`,
    );
  if (secure === false && !plain) {
    throw new UsageError(
      `${url.protocol}// is plain FTP: the password and the files travel unencrypted. Use ftpes:// or ftps://, or add --plain if you really mean it`,
    );
  }
  if (url.password !== '') {
    throw new UsageError(
      'A password in the URL would show in the process list: use --password-stdin, FTPS_PASSWORD or ~/.netrc',
    );
  }
  const raw = url.pathname === '' ? '/' : url.pathname;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new UsageError(`Bad percent-encoding in the path of ${arg}`);
  }
  const isDir = decoded.endsWith('/');
  const path = decoded.length > 1 && isDir ? decoded.replace(/\/+$/, '') : decoded;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? undefined : Number(url.port),
    secure,
    user: url.username === '' ? undefined : decodeURIComponent(url.username),
    path,
    isDir,
    origin: `${url.protocol}//${url.host}`,
  };
}

/** posix join for remote paths. */
export function remoteJoin(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}
