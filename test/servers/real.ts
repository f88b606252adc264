/**
 * Start real FTPS servers (vsftpd, proftpd + mod_tls, pure-ftpd) on 127.0.0.1 for interop tests.
 *
 * Install them first (as root, Debian 12): `sudo bash test/servers/install.sh`.
 * The test process must run as root (the servers chroot and switch to the FTP user).
 *
 * Every server logs in user `ftpsuser` / `ftpspass` (system user for vsftpd's PAM; a private
 * AuthUserFile / PureDB for proftpd / pure-ftpd, with the same uid/gid), chrooted into `root`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

export type ServerKind = 'vsftpd' | 'proftpd' | 'pureftpd';
export type TlsMode = 'explicit' | 'implicit';
export type TlsVersion = '1.2' | '1.3';

export interface RealServer {
  kind: ServerKind;
  mode: TlsMode;
  tlsVersion: TlsVersion;
  host: '127.0.0.1';
  port: number;
  user: string;
  password: string;
  /** Local folder that is the user's FTP root ("/" after login). Owned by the FTP user. */
  root: string;
  /** CA certificate that signed the server certificate. */
  caFile: string;
  /** The passive port range the server listens on (for test/helpers/forward-proxy.ts). */
  passive: { min: number; max: number };
  /** Kill the server (whole process group), wait for exit, remove temp files; idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  kind: ServerKind;
  mode: TlsMode;
  tlsVersion: TlsVersion;
  /** Existing folder to serve as the FTP root; default: a fresh temp folder (removed by stop()). */
  root?: string;
  /**
   * Most control connections one client address may hold at once (vsftpd `max_per_ip`, proftpd
   * `MaxClientsPerHost`, pure-ftpd `-C`). Default: 0 = no limit (100 for pure-ftpd).
   */
  maxPerClient?: number;
  /** proftpd only: accept CCC after login (`TLSRequired auth+data` instead of `on`). */
  allowCcc?: boolean;
}

export const PREFIX = '/opt/ftps-client-servers';
export const FTP_USER = 'ftpsuser';
export const FTP_PASSWORD = 'ftpspass';

const HOST = '127.0.0.1' as const;
const INSTALL_HINT = 'run `sudo bash test/servers/install.sh`';
const TLS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls');
const CA_FILE = path.join(TLS_DIR, 'ca.pem');
const CERT_FILE = path.join(TLS_DIR, 'server.pem');
const KEY_FILE = path.join(TLS_DIR, 'server.key');
const COMBINED_FILE = path.join(TLS_DIR, 'server-combined.pem');
const READY_TIMEOUT_MS = 10_000;
const PASV_COUNT = 50;

const BIN = {
  vsftpd: '/usr/sbin/vsftpd',
  proftpd: `${PREFIX}/usr/sbin/proftpd`,
  proftpdModules: `${PREFIX}/usr/lib/proftpd`,
  pureftpd: `${PREFIX}/usr/sbin/pure-ftpd`,
  purepw: `${PREFIX}/usr/bin/pure-pw`,
} as const;

export function supports(kind: ServerKind, mode: TlsMode): boolean {
  return !(kind === 'pureftpd' && mode === 'implicit');
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface Account {
  uid: number;
  gid: number;
}

function lookupUser(name: string): Account | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined && f[3] !== undefined) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

export function isInstalled(kind: ServerKind): boolean {
  if (lookupUser(FTP_USER) === undefined) return false;
  switch (kind) {
    case 'vsftpd':
      return executable(BIN.vsftpd);
    case 'proftpd':
      return executable(BIN.proftpd) && fs.existsSync(path.join(BIN.proftpdModules, 'mod_tls.so'));
    case 'pureftpd':
      return executable(BIN.pureftpd) && executable(BIN.purepw);
  }
}

// ---------------------------------------------------------------------------------------------
// Ports

/** A free port on 127.0.0.1, chosen by the kernel. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, HOST);
  await once(srv, 'listening');
  const addr = srv.address();
  srv.close();
  await once(srv, 'close');
  if (addr === null || typeof addr === 'string') throw new Error('could not get a free port');
  return addr.port;
}

async function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: HOST, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

const LOCK_DIR = path.join(os.tmpdir(), 'ftps-client-pasv-locks');

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take an exclusive lock file for a passive range (shared by all processes on the machine). */
function lockRange(base: number): string | undefined {
  fs.mkdirSync(LOCK_DIR, { recursive: true, mode: 0o755 });
  const file = path.join(LOCK_DIR, `${base}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) return undefined;
      fs.rmSync(file, { force: true }); // stale
    }
  }
  return undefined;
}

/**
 * A passive port range of PASV_COUNT ports below the kernel's ephemeral range (so that no
 * outgoing connection can take one), locked across processes, every port checked bindable.
 */
export async function pickPassiveRange(): Promise<{ min: number; max: number; lock: string }> {
  let ephemeralLow = 32768;
  try {
    const first = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0];
    if (first !== undefined && Number(first) > 11000) ephemeralLow = Number(first);
  } catch {
    /* default */
  }
  const lowest = 10000;
  const blocks = Math.floor((ephemeralLow - lowest) / PASV_COUNT);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = lowest + Math.floor(Math.random() * blocks) * PASV_COUNT;
    const lock = lockRange(base);
    if (lock === undefined) continue;
    let ok = true;
    for (let p = base; p < base + PASV_COUNT && ok; p++) ok = await canListen(p);
    if (ok) return { min: base, max: base + PASV_COUNT - 1, lock };
    fs.rmSync(lock, { force: true });
  }
  throw new Error('could not find a free passive port range on 127.0.0.1');
}

// ---------------------------------------------------------------------------------------------
// Configuration per server

interface Prepared {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

interface Ctx {
  opts: StartOptions;
  dir: string;
  root: string;
  port: number;
  pasvMin: number;
  pasvMax: number;
  account: Account;
}

function opensslConf(ctx: Ctx): string {
  const v = ctx.opts.tlsVersion === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
  const file = path.join(ctx.dir, 'openssl.cnf');
  fs.writeFileSync(
    file,
    [
      'openssl_conf = default_conf',
      '[default_conf]',
      'ssl_conf = ssl_sect',
      '[ssl_sect]',
      'system_default = system_default_sect',
      '[system_default_sect]',
      `MinProtocol = ${v}`,
      `MaxProtocol = ${v}`,
      '',
    ].join('\n'),
  );
  return file;
}

function prepareVsftpd(ctx: Ctx): Prepared {
  const empty = path.join(ctx.dir, 'empty');
  fs.mkdirSync(empty, { mode: 0o755 });
  const conf = path.join(ctx.dir, 'vsftpd.conf');
  const lines = [
    'listen=YES',
    'listen_ipv6=NO',
    `listen_address=${HOST}`,
    `listen_port=${ctx.port}`,
    'background=NO',
    'anonymous_enable=NO',
    'local_enable=YES',
    'write_enable=YES',
    'local_umask=022',
    'file_open_mode=0666',
    'chroot_local_user=YES',
    'allow_writeable_chroot=YES',
    `local_root=${ctx.root}`,
    'userlist_enable=NO',
    'pam_service_name=vsftpd',
    'seccomp_sandbox=NO',
    `secure_chroot_dir=${empty}`,
    'connect_from_port_20=NO',
    'port_enable=YES',
    'pasv_enable=YES',
    `pasv_address=${HOST}`,
    `pasv_min_port=${ctx.pasvMin}`,
    `pasv_max_port=${ctx.pasvMax}`,
    `max_per_ip=${ctx.opts.maxPerClient ?? 0}`,
    'max_clients=0',
    'dirmessage_enable=NO',
    'utf8_filesystem=YES', // FEAT lists UTF8, OPTS UTF8 ON accepted
    'use_localtime=NO',
    'ssl_enable=YES',
    `implicit_ssl=${ctx.opts.mode === 'implicit' ? 'YES' : 'NO'}`,
    `rsa_cert_file=${CERT_FILE}`,
    `rsa_private_key_file=${KEY_FILE}`,
    'ssl_ciphers=HIGH',
    'ssl_request_cert=NO',
    'require_cert=NO',
    'require_ssl_reuse=YES',
    'force_local_logins_ssl=YES',
    'force_local_data_ssl=YES',
    'allow_anon_ssl=NO',
    'ssl_tlsv1=YES',
    'ssl_sslv2=NO',
    'ssl_sslv3=NO',
    'debug_ssl=YES',
    'xferlog_enable=YES',
    'xferlog_std_format=NO',
    'log_ftp_protocol=YES',
    `vsftpd_log_file=${path.join(ctx.dir, 'vsftpd.log')}`,
    '',
  ];
  fs.writeFileSync(conf, lines.join('\n'), { mode: 0o600 });
  return { command: BIN.vsftpd, args: [conf], env: { ...process.env, OPENSSL_CONF: opensslConf(ctx) } };
}

function sha512crypt(password: string): string {
  return execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: password, encoding: 'utf8' }).trim();
}

function prepareProftpd(ctx: Ctx): Prepared {
  const { uid, gid } = ctx.account;
  const passwd = path.join(ctx.dir, 'ftpd.passwd');
  const group = path.join(ctx.dir, 'ftpd.group');
  fs.writeFileSync(passwd, `${FTP_USER}:${sha512crypt(FTP_PASSWORD)}:${uid}:${gid}::${ctx.root}:/bin/false\n`, {
    mode: 0o600,
  });
  fs.writeFileSync(group, `${FTP_USER}:x:${gid}:${FTP_USER}\n`, { mode: 0o600 });
  const conf = path.join(ctx.dir, 'proftpd.conf');
  const tlsProtocol = ctx.opts.tlsVersion === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
  const tlsOptions = ['EnableDiags', ...(ctx.opts.mode === 'implicit' ? ['UseImplicitSSL'] : [])];
  const lines = [
    `ModulePath ${BIN.proftpdModules}`,
    'ModuleControlsACLs insmod,rmmod allow user root',
    '<IfModule !mod_tls.c>',
    '  LoadModule mod_tls.c',
    '</IfModule>',
    // HASH / XCRC / XMD5 / XSHA1 / XSHA256 / XSHA512 (not loaded by Debian's default config either)
    '<IfModule !mod_digest.c>',
    '  LoadModule mod_digest.c',
    '</IfModule>',
    'DigestEngine on',
    'ServerName "ftps-client proftpd"',
    'ServerType standalone',
    'DefaultServer on',
    `Port ${ctx.port}`,
    `DefaultAddress ${HOST}`,
    'SocketBindTight on',
    'UseIPv6 off',
    `PassivePorts ${ctx.pasvMin} ${ctx.pasvMax}`,
    `MasqueradeAddress ${HOST}`,
    'User nobody',
    'Group nogroup',
    'Umask 022 022',
    'AllowOverwrite on',
    'AllowStoreRestart on',
    'AllowRetrieveRestart on',
    'UseReverseDNS off',
    '<IfModule mod_ident.c>',
    '  IdentLookups off',
    '</IfModule>',
    '<IfModule mod_delay.c>',
    '  DelayEngine off',
    '</IfModule>',
    'WtmpLog off',
    'UseLastlog off',
    'MaxInstances 100',
    ...(ctx.opts.maxPerClient ? [`MaxClientsPerHost ${ctx.opts.maxPerClient}`] : []),
    'TimeoutIdle 600',
    `PidFile ${path.join(ctx.dir, 'proftpd.pid')}`,
    `ScoreboardFile ${path.join(ctx.dir, 'proftpd.scoreboard')}`,
    `SystemLog ${path.join(ctx.dir, 'proftpd.system.log')}`,
    `TransferLog ${path.join(ctx.dir, 'proftpd.xfer.log')}`,
    'AuthOrder mod_auth_file.c',
    `AuthUserFile ${passwd}`,
    `AuthGroupFile ${group}`,
    'RequireValidShell off',
    'DefaultRoot ~',
    'TLSEngine on',
    // allowCcc: TLS still required for the login and the data, not for the control connection after it.
    `TLSRequired ${ctx.opts.allowCcc === true ? 'auth+data' : 'on'}`,
    `TLSProtocol ${tlsProtocol}`,
    `TLSRSACertificateFile ${CERT_FILE}`,
    `TLSRSACertificateKeyFile ${KEY_FILE}`,
    `TLSCACertificateFile ${CA_FILE}`,
    'TLSVerifyClient off',
    `TLSOptions ${tlsOptions.join(' ')}`,
    `TLSLog ${path.join(ctx.dir, 'proftpd.tls.log')}`,
    '<Directory />',
    '  AllowOverwrite on',
    '</Directory>',
    '',
  ];
  fs.writeFileSync(conf, lines.join('\n'), { mode: 0o600 });
  return { command: BIN.proftpd, args: ['-n', '-q', '-c', conf], env: { ...process.env } };
}

function preparePureftpd(ctx: Ctx): Prepared {
  if (ctx.opts.mode === 'implicit')
    throw new Error("pure-ftpd: implicit FTPS is not supported by Debian's build (explicit only)");
  const { uid, gid } = ctx.account;
  const passwd = path.join(ctx.dir, 'pureftpd.passwd');
  const pdb = path.join(ctx.dir, 'pureftpd.pdb');
  // sha512-crypt rather than pure-pw's argon2 default, which makes each login take seconds.
  // Fields: account:hash:uid:gid:gecos:home:ul_bw:dl_bw:ul_ratio:dl_ratio:max_cnx:files_q:size_q:
  //         auth_local_ips:refused_local_ips:auth_client_ips:refused_client_ips:time_restrictions
  fs.writeFileSync(passwd, `${FTP_USER}:${sha512crypt(FTP_PASSWORD)}:${uid}:${gid}::${ctx.root}/./::::::::::::\n`, {
    mode: 0o600,
  });
  execFileSync(BIN.purepw, ['mkdb', pdb, '-f', passwd], { stdio: ['ignore', 'pipe', 'pipe'] });
  const args = [
    '-S',
    `${HOST},${ctx.port}`,
    '-4', // IPv4 only
    '-E', // no anonymous
    '-A', // chroot everyone
    '-H', // no DNS
    '-l',
    `puredb:${pdb}`,
    '-p',
    `${ctx.pasvMin}:${ctx.pasvMax}`,
    '-P',
    HOST,
    '-Y',
    '3', // TLS required on control and data (clear-text refused)
    '-2',
    COMBINED_FILE,
    '-c',
    '100',
    '-C',
    String(ctx.opts.maxPerClient || 100),
    '-u',
    '1',
    '-L',
    '100000:8', // listings: its default cap of 10,000 entries would truncate large folders
    '-d',
    '-g',
    path.join(ctx.dir, 'pure-ftpd.pid'),
  ];
  return { command: BIN.pureftpd, args, env: { ...process.env, OPENSSL_CONF: opensslConf(ctx) } };
}

// ---------------------------------------------------------------------------------------------
// Readiness

/**
 * Connect, read the 220 greeting (over TLS for implicit; after AUTH TLS for explicit), check the
 * negotiated TLS version and the certificate, then QUIT.
 */
async function probe(port: number, mode: TlsMode, tlsVersion: TlsVersion, timeoutMs: number): Promise<void> {
  const want = tlsVersion === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
  const ca = fs.readFileSync(CA_FILE);
  const sockets: net.Socket[] = [];
  const timer = setTimeout(() => {
    for (const s of sockets) s.destroy(new Error(`probe timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  try {
    const readReply = (sock: net.Socket | tls.TLSSocket): Promise<string> =>
      new Promise((resolve, reject) => {
        let buf = '';
        const onData = (d: Buffer): void => {
          buf += d.toString('latin1');
          const lines = buf.split('\r\n');
          for (const line of lines.slice(0, -1)) {
            if (/^\d{3} /.test(line)) {
              cleanup();
              resolve(line);
              return;
            }
          }
        };
        const onEnd = (): void => {
          cleanup();
          reject(new Error(`connection closed before a reply (got ${JSON.stringify(buf)})`));
        };
        const onError = (err: Error): void => {
          cleanup();
          reject(err);
        };
        const cleanup = (): void => {
          sock.off('data', onData);
          sock.off('end', onEnd);
          sock.off('close', onEnd);
          sock.off('error', onError);
        };
        sock.on('data', onData);
        sock.on('end', onEnd);
        sock.on('close', onEnd);
        sock.on('error', onError);
      });
    const tlsOpts = { ca, servername: 'localhost', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' } as const;
    let secure: tls.TLSSocket;
    if (mode === 'implicit') {
      secure = tls.connect({ ...tlsOpts, host: HOST, port });
      sockets.push(secure);
      await once(secure, 'secureConnect');
      const greeting = readReply(secure);
      const g = await greeting;
      if (!g.startsWith('220')) throw new Error(`unexpected greeting: ${g}`);
    } else {
      const plain = net.connect({ host: HOST, port });
      sockets.push(plain);
      await once(plain, 'connect');
      const g = await readReply(plain);
      if (!g.startsWith('220')) throw new Error(`unexpected greeting: ${g}`);
      plain.write('AUTH TLS\r\n');
      const a = await readReply(plain);
      if (!a.startsWith('234')) throw new Error(`AUTH TLS refused: ${a}`);
      secure = tls.connect({ ...tlsOpts, socket: plain });
      sockets.push(secure);
      await once(secure, 'secureConnect');
    }
    const got = secure.getProtocol();
    if (got !== want) throw new Error(`server negotiated ${String(got)}, expected ${want} only`);
    secure.write('QUIT\r\n');
    await readReply(secure).catch(() => '');
    secure.end();
  } finally {
    clearTimeout(timer);
    for (const s of sockets) s.destroy();
  }
}

async function tail(file: string, lines = 30): Promise<string> {
  try {
    const text = await fsp.readFile(file, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function allLogs(dir: string): Promise<string> {
  let names: string[] = [];
  try {
    names = (await fsp.readdir(dir)).filter((n) => n.endsWith('.log'));
  } catch {
    return '';
  }
  const parts: string[] = [];
  for (const n of names.sort()) {
    const t = (await tail(path.join(dir, n))).trim();
    if (t !== '') parts.push(`--- ${n} ---\n${t}`);
  }
  return parts.join('\n');
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* gone */
  }
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(t);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** pid -> [ppid, pgid] of every live (non-zombie) process, from /proc. */
function processTable(): Map<number, [number, number]> {
  const table = new Map<number, [number, number]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ..." - comm may contain spaces and parentheses
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z' || rest[0] === 'X') continue;
      table.set(Number(name), [Number(rest[1]), Number(rest[2])]);
    } catch {
      /* exited meanwhile */
    }
  }
  return table;
}

/**
 * The daemon, every descendant and every member of its process group. vsftpd's session processes
 * call setsid(), so killing the process group alone would leave live sessions behind.
 */
function processTree(root: number): number[] {
  const table = processTable();
  const found = new Set<number>(table.has(root) ? [root] : []);
  for (const [pid, [, pgid]] of table) if (pgid === root) found.add(pid);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, [ppid]] of table) {
      if (!found.has(pid) && found.has(ppid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/** Freeze the daemon (no new sessions), then SIGKILL it, its sessions and its process group. */
async function killServer(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  for (let round = 0; round < 20; round++) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(pid, 'SIGSTOP');
      } catch {
        /* gone */
      }
    }
    const running = child.exitCode === null && child.signalCode === null;
    const tree = processTree(pid).filter((p) => running || p !== pid);
    let alive = 0;
    for (const p of tree) {
      try {
        process.kill(p, 'SIGKILL');
        alive++;
      } catch {
        /* gone */
      }
    }
    killGroup(child, 'SIGKILL');
    await waitExit(child, 1000);
    if (alive === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------------------------------------

const DISPLAY: Record<ServerKind, string> = { vsftpd: 'vsftpd', proftpd: 'proftpd', pureftpd: 'pure-ftpd' };

export async function startRealServer(opts: StartOptions): Promise<RealServer> {
  const { kind, mode } = opts;
  if (!supports(kind, mode)) {
    throw new Error(
      `${DISPLAY[kind]} does not support ${mode} FTPS (Debian's build has no implicit TLS); check supports() first`,
    );
  }
  if (!isInstalled(kind)) {
    throw new Error(`${DISPLAY[kind]} is not installed (or user ${FTP_USER} is missing): ${INSTALL_HINT}`);
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(
      `real FTP servers must be started as root (they chroot and switch users); ${INSTALL_HINT} and run the tests as root`,
    );
  }
  const account = lookupUser(FTP_USER);
  if (account === undefined) throw new Error(`user ${FTP_USER} is missing: ${INSTALL_HINT}`);

  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const r = await startOnce(opts, account);
    if ('server' in r) return r.server;
    lastError = r.error;
    if (!r.retry) break;
  }
  throw lastError ?? new Error('could not start server');
}

async function startOnce(
  opts: StartOptions,
  account: Account,
): Promise<{ server: RealServer } | { error: Error; retry: boolean }> {
  const { kind, mode, tlsVersion } = opts;
  // /tmp is 1777 and world-executable: every parent folder of the root is traversable.
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `ftps-client-${kind}-`));
  await fsp.chmod(dir, 0o755);
  const ownRoot = opts.root === undefined;
  const root = ownRoot ? path.join(dir, 'root') : path.resolve(opts.root as string);
  let pasvLock: string | undefined;
  let child: ChildProcess | undefined;
  let logFd: number | undefined;
  const cleanupFiles = async (): Promise<void> => {
    if (pasvLock !== undefined) await fsp.rm(pasvLock, { force: true });
    await fsp.rm(dir, { recursive: true, force: true });
  };
  try {
    if (ownRoot) await fsp.mkdir(root, { mode: 0o755 });
    await prepareRoot(root);
    const port = await freePort();
    const pasv = await pickPassiveRange();
    pasvLock = pasv.lock;
    const ctx: Ctx = { opts, dir, root, port, pasvMin: pasv.min, pasvMax: pasv.max, account };
    const prep =
      kind === 'vsftpd' ? prepareVsftpd(ctx) : kind === 'proftpd' ? prepareProftpd(ctx) : preparePureftpd(ctx);
    const logFile = path.join(dir, 'stderr.log');
    logFd = fs.openSync(logFile, 'a');
    child = spawn(prep.command, prep.args, {
      cwd: dir,
      env: prep.env,
      detached: true, // own process group: stop() kills the daemon and its sessions
      stdio: ['ignore', logFd, logFd],
    });
    fs.closeSync(logFd);
    logFd = undefined;
    const proc = child;
    let spawnError: Error | undefined;
    proc.once('error', (err) => {
      spawnError = err;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastProbeError: unknown;
    let ready = false;
    while (Date.now() < deadline) {
      if (spawnError !== undefined || proc.exitCode !== null || proc.signalCode !== null) break;
      try {
        await probe(port, mode, tlsVersion, Math.max(500, Math.min(3000, deadline - Date.now())));
        ready = true;
        break;
      } catch (err) {
        lastProbeError = err;
        if (err instanceof Error && /negotiated|unexpected greeting|AUTH TLS refused|certificate/i.test(err.message))
          break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (!ready) {
      const exited = spawnError !== undefined || proc.exitCode !== null || proc.signalCode !== null;
      await killServer(proc);
      const logs = await allLogs(dir);
      const why =
        spawnError !== undefined
          ? `spawn failed: ${spawnError.message}`
          : exited
            ? `exited early (code ${String(proc.exitCode)}, signal ${String(proc.signalCode)})`
            : `did not answer within ${READY_TIMEOUT_MS} ms: ${lastProbeError instanceof Error ? lastProbeError.message : String(lastProbeError)}`;
      const error = new Error(
        `${DISPLAY[kind]} (${mode}, TLS ${tlsVersion}) on ${HOST}:${port} failed to start: ${why}\n` +
          `command: ${prep.command} ${prep.args.join(' ')}\n${logs}`,
      );
      await cleanupFiles();
      // a port taken between choosing and binding makes the daemon exit at once: try again
      return { error, retry: exited && spawnError === undefined && /in use|bind|EADDRINUSE/i.test(logs) };
    }

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        await killServer(proc);
        await cleanupFiles();
      })();
      return stopping;
    };
    const server: RealServer = {
      kind,
      mode,
      tlsVersion,
      host: HOST,
      port,
      user: FTP_USER,
      password: FTP_PASSWORD,
      root,
      caFile: CA_FILE,
      passive: { min: pasv.min, max: pasv.max },
      stop,
    };
    return { server };
  } catch (err) {
    if (logFd !== undefined) fs.closeSync(logFd);
    if (child !== undefined) await killServer(child);
    await cleanupFiles();
    return { error: err instanceof Error ? err : new Error(String(err)), retry: false };
  }
}

/**
 * Make `root` usable as the chroot of the FTP user: owned by it (so it can create, rename and
 * delete entries), mode 0755; every parent folder must be world-executable.
 */
async function prepareRoot(root: string): Promise<void> {
  const st = await fsp.stat(root).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) throw new Error(`root ${root} is not a directory`);
  for (let p = path.dirname(root); ; p = path.dirname(p)) {
    const s = await fsp.stat(p);
    if ((s.mode & 0o001) === 0)
      throw new Error(`parent folder ${p} of root ${root} is not world-executable (chmod o+x it)`);
    if (p === path.dirname(p)) break;
  }
  await chownToServerUser(root);
  await fsp.chmod(root, 0o755);
}

/**
 * Give the FTP user (all three servers log in as uid/gid of `ftpsuser`) ownership of `target`
 * recursively: use it for files and folders a test creates inside `root` (as root) that the client
 * must later overwrite, rename or delete, or folders it must write into.
 */
export async function chownToServerUser(target: string): Promise<void> {
  const account = lookupUser(FTP_USER);
  if (account === undefined) throw new Error(`user ${FTP_USER} is missing: ${INSTALL_HINT}`);
  const walk = async (p: string): Promise<void> => {
    await fsp.lchown(p, account.uid, account.gid);
    const st = await fsp.lstat(p);
    if (st.isDirectory()) {
      for (const name of await fsp.readdir(p)) await walk(path.join(p, name));
    }
  };
  await walk(target);
}
