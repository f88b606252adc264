// Probing with credentials: login with PBSZ/PROT P, a protected data connection, EPSV and PASV, and
// whether the server insists that data connections resume the control connection's TLS session.
import { Writable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { FtpsClient } from '../client.js';
import { FtpReplyError, FtpsError } from '../errors.js';
import { resolveOptions, type FtpsClientOptions } from '../options.js';
import { parseEpsvReply, parsePasvReply } from '../protocol/passive.js';
import { openSession } from '../session/handshake.js';
import type { Session } from '../session/session.js';
import { connectTcp, connectTls } from '../transport/connect.js';
import type { LoginReport, ProbeOptions } from './types.js';

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' | ').trim();
const errorText = (err: unknown): string =>
  oneLine(err instanceof FtpsError ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err));

function clientOptions(
  options: ProbeOptions,
  port: number,
  secure: 'implicit' | 'explicit' | false,
): FtpsClientOptions {
  const timeout = options.timeoutMs ?? 5000;
  return {
    host: options.host,
    port,
    secure,
    user: options.user ?? 'anonymous',
    password: options.password ?? 'anonymous@',
    tls: { ...(options.tls ?? {}) },
    timeouts: { connect: timeout, reply: timeout, data: timeout },
  };
}

export async function probeLogin(
  options: ProbeOptions,
  port: number,
  secure: 'implicit' | 'explicit' | false,
): Promise<LoginReport> {
  const settings = clientOptions(options, port, secure);
  let client: FtpsClient;
  try {
    client = await FtpsClient.connect(settings, {}, options.signal === undefined ? {} : { signal: options.signal });
  } catch (err) {
    const refusedProt = err instanceof FtpsError && /PROT P/.test(err.message);
    const codes = {
      ...(err instanceof FtpsError ? { code: err.code } : {}),
      ...(err instanceof FtpReplyError ? { replyCode: err.replyCode } : {}),
    };
    return {
      login: { ok: refusedProt, detail: errorText(err), ...codes },
      ...(refusedProt ? { protection: { ok: false, detail: errorText(err) } } : {}),
    };
  }
  const report: LoginReport = { login: { ok: true, detail: `logged in as ${settings.user ?? ''}` } };
  try {
    if (secure !== false) report.protection = { ok: true, detail: 'PBSZ 0 and PROT P accepted' };
    try {
      const entries = await client.list(undefined, options.signal === undefined ? {} : { signal: options.signal });
      report.dataConnection = {
        ok: true,
        detail: `listing of the login folder: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}${secure === false ? ' (not protected: plain FTP)' : ' over a protected data connection'}`,
      };
    } catch (err) {
      report.dataConnection = { ok: false, detail: errorText(err) };
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  // A session of its own: the passive checks, then the data connection without resumption, which
  // some servers answer by closing the whole session (vsftpd).
  let session: Session | undefined;
  try {
    session = await openSession(resolveOptions(settings), options.signal);
    await passiveChecks(session, report);
    if (secure !== false) await reuseCheck(session, report);
  } catch (err) {
    report.sessionReuseDetail ??= `could not tell: ${errorText(err)}`;
  } finally {
    session?.control.destroy();
  }
  return report;
}

async function passiveChecks(session: Session, report: LoginReport): Promise<void> {
  const epsv = await session.control.request('EPSV');
  if (epsv.code === 229) {
    try {
      report.epsv = { ok: true, detail: `${epsv.code} ${oneLine(epsv.text)}`, port: parseEpsvReply(epsv.text) };
    } catch (err) {
      report.epsv = { ok: false, detail: errorText(err) };
    }
  } else report.epsv = { ok: false, detail: `${epsv.code} ${oneLine(epsv.text)}` };
  const pasv = await session.control.request('PASV');
  if (pasv.code !== 227) {
    report.pasv = { ok: false, detail: `${pasv.code} ${oneLine(pasv.text)}` };
    return;
  }
  try {
    const { host, port } = parsePasvReply(pasv.text);
    const control = session.remoteAddress.replace(/^::ffff:/, '');
    const matches = host === control;
    report.pasv = {
      ok: true,
      detail: `${pasv.code} ${oneLine(pasv.text)}`,
      host,
      port,
      matchesControlHost: matches,
      ...(matches
        ? {}
        : {
            hint: `the 227 reply names ${host}, the control connection goes to ${control}: the server is behind NAT or misconfigured (vsftpd pasv_address, proftpd MasqueradeAddress); the client connects to the control host unless trustPasvAddress is set`,
          }),
    };
  } catch (err) {
    report.pasv = { ok: false, detail: errorText(err) };
  }
}

/** One listing whose data TLS handshake offers no session to resume. */
async function reuseCheck(session: Session, report: LoginReport): Promise<void> {
  const epsv = await session.control.request('EPSV');
  let port: number;
  if (epsv.code === 229) port = parseEpsvReply(epsv.text);
  else {
    const pasv = await session.control.request('PASV');
    if (pasv.code !== 227) throw new FtpReplyError(pasv.code, pasv.text, 'PASV');
    port = parsePasvReply(pasv.text).port;
  }
  const timeoutMs = session.options.timeouts.connect;
  const { options } = session;
  const request = {
    host: session.remoteAddress,
    port,
    localAddress: options.localAddress,
    family: options.family,
    purpose: 'data' as const,
  };
  const raw = await connectTcp(options.connector, request, { timeoutMs, what: 'data connection' });
  let data: TLSSocket | undefined;
  try {
    // The command first: vsftpd and proftpd start the data TLS handshake only once it arrived.
    const replyPromise = session.control.request('LIST');
    replyPromise.catch(() => undefined);
    const { secureContext: _ctx, pin: _pin, identityCheck: _id, ...tlsOptions } = session.tlsOptions ?? {};
    const handshake = connectTls(
      { ...tlsOptions, socket: raw, rejectUnauthorized: false },
      { timeoutMs, what: 'data connection' },
    ).then((s) => {
      data = s;
      s.pipe(new Writable({ write: (_c, _e, cb) => cb() }));
      return s;
    });
    handshake.catch(() => undefined);
    const reply = await replyPromise;
    if (reply.code >= 200 && reply.code < 300) {
      report.sessionReuseRequired = false;
      report.sessionReuseDetail = `a data connection without TLS session resumption was accepted (${reply.code} ${oneLine(reply.text)})`;
    } else {
      report.sessionReuseRequired = true;
      report.sessionReuseDetail = `a data connection without TLS session resumption was refused (${reply.code} ${oneLine(reply.text)}): clients must resume the control session (ftps-client does)`;
    }
  } catch (err) {
    // vsftpd answers 522 and drops the whole session; a reset here means the same.
    report.sessionReuseRequired = true;
    report.sessionReuseDetail = `the server dropped the session after a data connection without TLS session resumption (${errorText(err)})`;
  } finally {
    data?.destroy();
    raw.destroy();
  }
}
