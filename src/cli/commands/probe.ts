// ftps probe HOST[:PORT] (or a URL with a user): the library's probe(), printed for people or as JSON.
import {
  probe,
  type LoginReport,
  type PortReport,
  type ProbeOptions,
  type StepResult,
  type TlsReport,
} from '../../index.js';
import type { Context } from '../context.js';
import { resolveCredentials } from '../credentials.js';
import { EXIT, type ExitCode } from '../exit.js';
import { isUrl } from '../target.js';
import { usage, type CommandResult } from './tally.js';

function parseHostPort(arg: string): { host: string; port: number | undefined; user: string | undefined } {
  if (isUrl(arg)) {
    const url = new URL(arg);
    usage(
      url.password !== '',
      'A password in the URL would show in the process list: use --password-stdin, FTPS_PASSWORD or ~/.netrc',
    );
    return {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? undefined : Number(url.port),
      user: url.username === '' ? undefined : decodeURIComponent(url.username),
    };
  }
  const m = /^(?:\[([^\]]+)\]|([^:]+|[0-9a-fA-F:]+::?[0-9a-fA-F:]*))(?::(\d+))?$/.exec(arg);
  usage(m === null, `probe needs HOST[:PORT] (IPv6 in brackets: [::1]:990), got "${arg}"`);
  const host = (m?.[1] ?? m?.[2]) as string;
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  usage(port !== undefined && (port < 1 || port > 65535), `bad port in "${arg}"`);
  return { host, port, user: undefined };
}

/** The strongest version the server agreed to (the first handshake offers 1.0 to 1.3) is one ftps-client accepts. */
const speaksModernTls = (t: TlsReport): boolean => t.protocol === 'TLSv1.3' || t.protocol === 'TLSv1.2';

const mark = (ok: boolean): string => (ok ? 'ok  ' : 'FAIL');
const step = (name: string, s: StepResult | undefined): string | undefined =>
  s === undefined ? undefined : `  ${mark(s.ok)} ${name}: ${s.detail}`;

function tlsLines(t: TlsReport): string[] {
  const lines = [`  TLS: ${t.protocol}, ${t.cipher}${t.group === undefined ? '' : `, group ${t.group}`}`];
  const versions = (Object.entries(t.versions) as [string, boolean][]).map(
    ([v, ok]) =>
      `${v
        .replace('TLSv1', 'TLS 1')
        .replace('TLS 1.', 'TLS 1.')
        .replace(/^TLS 1$/, 'TLS 1.0')} ${ok ? 'yes' : 'no'}`,
  );
  lines.push(`  versions accepted: ${versions.join(', ')}`);
  if (t.insecureVersions.length > 0)
    lines.push(
      `  WARNING: the server accepts deprecated, insecure ${t.insecureVersions.join(' and ')} (RFC 8996); ftps-client refuses them by default`,
    );
  if (!speaksModernTls(t))
    lines.push(
      '  WARNING: no TLS 1.2 or 1.3: ftps-client cannot connect by default (see docs/probe.md, legacy servers)',
    );
  t.chain.forEach((c, i) => {
    lines.push(`  certificate ${i}${i === 0 ? ' (server)' : ''}: ${c.subject}`);
    lines.push(`    issuer:    ${c.issuer}${c.selfSigned ? ' (self-signed)' : ''}`);
    lines.push(
      `    valid:     ${c.validFrom} to ${c.validTo}${c.expired ? ' EXPIRED' : ''}${c.notYetValid ? ' NOT YET VALID' : ''}`,
    );
    if (c.subjectAltNames.length > 0) lines.push(`    names:     ${c.subjectAltNames.join(', ')}`);
    lines.push(
      `    key:       ${c.keyType}${c.keyBits === undefined ? '' : ` ${c.keyBits} bits`}${c.curve === undefined ? '' : ` ${c.curve}`}, signed with ${c.signatureAlgorithm}`,
    );
    lines.push(`    SHA-256:   ${c.fingerprintSha256}`);
    lines.push(`    pin:       ${c.spkiPin}`);
  });
  const v = t.verification;
  const why = v.reason === undefined || v.reason === v.code ? (v.code ?? '') : `${v.code ?? ''}: ${v.reason}`;
  lines.push(v.ok ? '  verification: ok (trusted chain, name matches)' : `  verification: FAILED ${why}`);
  if (!v.ok && v.hint !== undefined)
    lines.push(`    hint: ${v.hint}${t.chain[0] === undefined ? '' : ` (--pin ${t.chain[0].spkiPin})`}`);
  if (v.pinMatches !== undefined) lines.push(`  pin: ${v.pinMatches ? 'matches' : 'DOES NOT MATCH'} the server key`);
  return lines;
}

function loginLines(l: LoginReport): string[] {
  const lines = [
    step('login', l.login),
    step('PBSZ/PROT P', l.protection),
    step('protected data connection', l.dataConnection),
    step('EPSV', l.epsv),
    step('PASV', l.pasv),
  ];
  if (l.pasv?.hint !== undefined) lines.push(`    note: ${l.pasv.hint}`);
  if (l.sessionReuseDetail !== undefined)
    lines.push(
      `  TLS session reuse on data connections: ${l.sessionReuseRequired === true ? 'REQUIRED' : l.sessionReuseRequired === false ? 'not required' : 'unknown'} (${l.sessionReuseDetail})`,
    );
  return lines.filter((x): x is string => x !== undefined);
}

export function formatPort(host: string, p: PortReport): string[] {
  const head = `${host}:${p.port}: `;
  if (!p.reachable) return [`${head}not reachable (${p.error ?? 'unknown error'})`];
  const modes = {
    implicit: 'implicit FTPS (TLS from the first byte)',
    explicit: 'explicit FTPS (plain greeting, AUTH TLS accepted)',
    plain: 'plain FTP only (AUTH TLS refused)',
    unknown: 'unknown (no FTP greeting, no TLS)',
  };
  const lines = [`${head}${modes[p.mode]}`];
  if (p.greeting !== undefined) lines.push(`  greeting: ${p.greeting}`);
  if (p.authTls !== undefined) lines.push(`  AUTH TLS: ${p.authTls.detail}`);
  if (p.tls !== undefined) lines.push(...tlsLines(p.tls));
  if (p.features !== undefined) {
    const h = Object.entries(p.features.highlights).map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`);
    lines.push(`  features: ${h.join(', ')}`);
    lines.push(`  FEAT: ${p.features.lines.join('; ')}`);
  }
  if (p.login !== undefined) lines.push(...loginLines(p.login));
  if (p.error !== undefined) lines.push(`  error: ${p.error}`);
  return lines;
}

/**
 * 0 when an FTPS port was found, its certificate verified (or the pin matched) and the login (if
 * tried) worked; else the class of the first problem: 3 nothing reachable, 4 no TLS, an
 * unverified certificate or only TLS 1.0/1.1, 5 login refused.
 */
function probeExitCode(ports: PortReport[], ftps: PortReport[], insecure: boolean): ExitCode {
  if (ftps.length === 0) return ports.every((p) => !p.reachable) ? EXIT.connect : EXIT.tls;
  const trusted = (p: PortReport): boolean =>
    insecure || p.tls?.verification.ok === true || p.tls?.verification.pinMatches === true;
  if (!ftps.some(trusted)) return EXIT.tls;
  // A legacy-only server (TLS 1.0/1.1) is one the client refuses: a TLS problem, not a usable port.
  if (!ftps.some((p) => trusted(p) && p.tls !== undefined && speaksModernTls(p.tls))) return EXIT.tls;
  const login = ftps.find((p) => p.login !== undefined && !p.login.login.ok)?.login?.login;
  if (login !== undefined)
    return login.code === 'ERR_FTPS_TLS' || login.code === 'ERR_FTPS_TLS_PIN'
      ? EXIT.tls
      : login.code === 'ERR_FTPS_REPLY'
        ? EXIT.login
        : EXIT.connect;
  return EXIT.ok;
}

export async function probeCommand(ctx: Context, args: string[]): Promise<CommandResult> {
  usage(args.length !== 1, 'probe needs HOST[:PORT]');
  const { host, port, user: urlUser } = parseHostPort(args[0] as string);
  const options: ProbeOptions = { host, signal: ctx.signal, tls: ctx.tls() };
  if (port !== undefined) options.port = port;
  if (ctx.flags.timeout !== undefined) options.timeoutMs = ctx.flags.timeout * 1000;
  if (
    urlUser !== undefined ||
    (ctx.io.env.FTPS_USER ?? '') !== '' ||
    ctx.flags.passwordStdin ||
    ctx.flags.netrcFile !== undefined
  ) {
    const creds = resolveCredentials({
      host,
      urlUser,
      stdinPassword: await ctx.io.stdinPassword(),
      env: ctx.io.env,
      netrcFile: ctx.flags.netrcFile,
    });
    options.user = creds.user;
    options.password = creds.password;
  }
  const report = await probe(options);
  for (const p of report.ports) for (const line of formatPort(host, p)) ctx.reporter.print(line);
  const ftps = report.ports.filter((p) => p.mode === 'implicit' || p.mode === 'explicit');
  const code = probeExitCode(report.ports, ftps, ctx.flags.insecure);
  return { code, result: { ok: code === EXIT.ok, ...report } };
}
