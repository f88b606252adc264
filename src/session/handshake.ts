// Opening a session: connect (implicit | explicit | plain), greeting, AUTH TLS, then pipelined
// USER + PASS + FEAT and PBSZ/PROT + OPTS UTF8 + TYPE I. Everything after the connect step sees one
// socket, TLS or not.
import { publish as diagnostics } from '../diagnostics.js';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ConnectTimeoutError, FtpReplyError, TlsError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import { parseFeatReply } from '../protocol/feat.js';
import { clearTls, DetachableTransport } from '../transport/ccc.js';
import {
  connectTcp,
  connectTls,
  preferGroupOf,
  tlsConnectOptions,
  type ConnectLimits,
  type TlsDialOptions,
} from '../transport/connect.js';
import { waitForFirstBytes } from '../transport/first-bytes.js';
import { TlsSessionStore } from '../transport/tls-session.js';
import type { FtpReply } from '../protocol/reply.js';
import { ControlConnection, expectReply } from './control.js';
import { prefetchWanted } from './data-prefetch.js';
import { quirksFor, type ServerQuirks } from './server-quirks.js';
import { Session } from './session.js';

export async function openSession(options: ResolvedOptions, signal?: AbortSignal): Promise<Session> {
  const { host, port, secure } = options;
  const deadline = Date.now() + options.timeouts.connect;
  const limits = (what: string) => ({ timeoutMs: Math.max(1, deadline - Date.now()), signal, what });
  const tlsSessions = secure === false ? undefined : new TlsSessionStore();
  const tlsOptions = secure === false ? undefined : tlsConnectOptions(host, options.tls);

  const what = `control connection to ${host}:${port}`;
  const request = {
    host,
    port,
    localAddress: options.localAddress,
    family: options.family,
    purpose: 'control' as const,
  };
  const raw = await connectTcp(options.connector, request, limits(what));
  // TCP keepalive probes on an idle control connection; set on the TCP socket, under any TLS.
  raw.setKeepAlive(true, options.tcpKeepAliveMs);
  let socket: Socket = raw;
  // 'auto' resolves to 'implicit' or 'explicit' once the server was heard (or not).
  let mode = secure;
  try {
    if (secure === 'auto') {
      const heard = await waitForFirstBytes(
        raw,
        Math.min(options.autoDetectMs, Math.max(1, deadline - Date.now())),
        signal,
      );
      mode = heard === 'spoke' ? 'explicit' : 'implicit';
    } else if (secure === 'explicit') {
      await awaitPlainGreeting(raw, tlsOptions ?? {}, limits(what), signal, () =>
        connectTcp(options.connector, request, limits(`implicit-TLS check of ${host}:${port}`)),
      );
    }
    if (mode === 'implicit') socket = await connectTls({ ...tlsOptions, socket: raw }, limits(what), tlsSessions);
  } catch (err) {
    raw.destroy();
    throw signal?.aborted === true ? signal.reason : err;
  }

  let onClosed: (err: Error) => void = () => undefined;
  const control = new ControlConnection(socket, {
    maxReplyBytes: options.maxReplyBytes,
    encoding: options.encoding,
    replyTimeoutMs: options.timeouts.reply,
    onClosed: (err) => onClosed(err),
  });
  socket.resume(); // paused by the greeting wait; the first bytes wait in its buffer
  // Until the session exists, an abort or the connect deadline tears the connection down.
  const onAbort = (): void =>
    control.destroy(signal?.reason instanceof Error ? signal.reason : new Error(String(signal?.reason)));
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () =>
      control.destroy(
        new ConnectTimeoutError(`Session with ${host}:${port} not ready within ${options.timeouts.connect} ms`),
      ),
    Math.max(1, deadline - Date.now()),
  );
  try {
    signal?.throwIfAborted();
    const quirks = await readGreeting(control);
    const transport =
      mode === 'explicit' ? await upgradeToTls(control, options, tlsOptions ?? {}, tlsSessions, limits) : undefined;
    // Two round trips from TLS to a ready session: USER, PASS and FEAT in one write, then the
    // settings (PBSZ/PROT, OPTS UTF8 when FEAT lists it, TYPE I) in another. Each command of a
    // batch is sent whatever the one before answers (a refused PROT P leaves TYPE I harmless).
    const features = await login(control, options);
    const settings = secure === false ? [] : ['PBSZ 0', `PROT ${options.dataProtection === 'clear' ? 'C' : 'P'}`];
    // OPTS UTF8 is advisory: some servers answer 202/501 and still speak UTF-8.
    if (features.has('UTF8') && options.encoding === 'utf8') settings.push('OPTS UTF8 ON');
    settings.push('TYPE I');
    // The first transfer's passive address too, where the session asks for them ahead (data-prefetch.ts).
    const ahead = prefetchWanted(quirks, options, secure !== false);
    if (ahead) settings.push('EPSV');
    const replies = await control.requestAll(settings);
    const passiveReply = ahead ? replies.pop() : undefined;
    if (secure !== false) {
      expectReply(replies[0] as FtpReply, 'PBSZ 0');
      // PROT C only when asked for (dataProtection: 'clear'); a refusal of either is an error.
      const level = options.dataProtection === 'clear' ? 'C' : 'P';
      const prot = replies[1] as FtpReply;
      if (prot.code < 200 || prot.code > 299) {
        throw new TlsError(
          `Server refused PROT ${level} (data channel ${level === 'P' ? 'protection' : 'in clear text'}): ${prot.code} ${prot.text}`,
          {
            cause: new FtpReplyError(prot.code, prot.text, `PROT ${level}`),
          },
        );
      }
    }
    expectReply(replies.at(-1) as FtpReply, 'TYPE I');
    // Data connections offer the control connection's key-exchange group first (no HelloRetryRequest).
    const dataTlsOptions =
      tlsOptions === undefined ? undefined : (preferGroupOf(tlsOptions, control.socket as TLSSocket) ?? tlsOptions);
    const session = new Session(control, options, features, tlsSessions, dataTlsOptions, quirks);
    if (passiveReply !== undefined) session.passivePrefetch.accept(passiveReply);
    if (transport !== undefined) await clearControlChannel(control, transport, options.timeouts.reply);
    onClosed = (err) => session.markClosed(err);
    diagnostics.connect(control, {
      secure: mode === 'auto' ? 'explicit' : mode,
      tlsProtocol: session.tlsInfo?.protocol ?? undefined,
      durationMs: options.timeouts.connect - (deadline - Date.now()),
    });
    return session;
  } catch (err) {
    control.destroy(err instanceof Error ? err : new Error(String(err)));
    throw signal?.aborted === true ? signal.reason : err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** How long an explicit connection waits in silence before checking whether the port is implicit FTPS. */
const IMPLICIT_CHECK_AFTER_MS = 1000;

/**
 * Explicit mode on a silent port: after a short wait, a second connection tries a TLS handshake.
 * If the port speaks TLS from the first byte, fail now, saying so, rather than after the connect
 * timeout. A slow plain server (reverse DNS before its greeting) still gets the whole timeout.
 */
async function awaitPlainGreeting(
  socket: Socket,
  tlsOptions: TlsDialOptions,
  limits: ConnectLimits,
  signal: AbortSignal | undefined,
  dial: () => Promise<Socket>,
): Promise<void> {
  if ((await waitForFirstBytes(socket, Math.min(IMPLICIT_CHECK_AFTER_MS, limits.timeoutMs), signal)) === 'spoke')
    return;
  const rest = Math.max(1, limits.timeoutMs - IMPLICIT_CHECK_AFTER_MS);
  const heard = waitForFirstBytes(socket, rest, signal);
  heard.catch(() => undefined);
  const checkLimits = { timeoutMs: Math.min(rest, 5000), signal, what: `implicit-TLS check of ${limits.what}` };
  const implicit = speaksTls(tlsOptions, checkLimits, dial).then((yes) => (yes ? ('implicit' as const) : heard));
  if ((await Promise.race([heard, implicit])) === 'implicit') {
    throw new TlsError(
      `No FTP greeting on the ${limits.what}, and the port answers a TLS handshake: it looks like implicit FTPS. Use secure: 'implicit' (an ftps:// URL) or 'auto'`,
    );
  }
}

/**
 * Whether a second connection to the port completes a TLS handshake (certificate not checked: only the mode is asked).
 */
async function speaksTls(
  tlsOptions: TlsDialOptions,
  limits: ConnectLimits,
  dial: () => Promise<Socket>,
): Promise<boolean> {
  const { secureContext: _ctx, pin: _pin, identityCheck: _id, ...rest } = tlsOptions;
  let raw: Socket | undefined;
  try {
    raw = await dial();
    (await connectTls({ ...rest, socket: raw, rejectUnauthorized: false, minVersion: 'TLSv1' }, limits)).destroy();
    return true;
  } catch {
    return false;
  } finally {
    raw?.destroy();
  }
}

/** Reads the greeting; what it says about the server is the session's quirks. */
async function readGreeting(control: ControlConnection): Promise<ServerQuirks> {
  let greeting = await control.read(0);
  // 120: "service ready in nnn minutes": the real greeting follows (bounded by the connect deadline).
  while (greeting.code === 120) greeting = await control.read(0);
  return quirksFor(expectReply(greeting, 'greeting', 220, 220).text);
}

/**
 * AUTH TLS, or the legacy AUTH SSL when asked (`auth: 'SSL'`, or `'TLS-then-SSL'` after a refused
 * AUTH TLS). Old servers answer AUTH SSL with 334 as well as 234. Whatever is refused, the client
 * stops: never a clear-text login when TLS was asked for.
 */
async function requestAuth(control: ControlConnection, auth: ResolvedOptions['auth']): Promise<void> {
  const mechanisms = auth === 'TLS-then-SSL' ? ['TLS', 'SSL'] : [auth];
  const refusals: string[] = [];
  let last: FtpReplyError | undefined;
  for (const mechanism of mechanisms) {
    const reply = await control.request(`AUTH ${mechanism}`);
    if (reply.code === 234 || (mechanism === 'SSL' && reply.code === 334)) return;
    refusals.push(`AUTH ${mechanism}: ${reply.code} ${reply.text}`);
    last = new FtpReplyError(reply.code, reply.text, `AUTH ${mechanism}`);
    if (reply.code === 421) break; // the server is closing
  }
  throw new TlsError(`Server refused ${refusals.join('; ')}`, { cause: last });
}

async function upgradeToTls(
  control: ControlConnection,
  options: ResolvedOptions,
  tlsOptions: TlsDialOptions,
  tlsSessions: TlsSessionStore | undefined,
  limits: (what: string) => { timeoutMs: number; signal: AbortSignal | undefined; what: string },
): Promise<DetachableTransport | undefined> {
  await requestAuth(control, options.auth);
  const raw = control.releaseForUpgrade();
  // With CCC to follow, TLS runs over a transport that can later let go of the TCP socket.
  const transport = options.ccc ? new DetachableTransport(raw) : undefined;
  let secured: TLSSocket;
  try {
    secured = await connectTls(
      { ...tlsOptions, socket: transport ?? raw },
      limits(`control connection to ${options.host}:${options.port}`),
      tlsSessions,
    );
  } catch (err) {
    raw.destroy();
    throw err;
  }
  control.adopt(secured);
  return transport;
}

/**
 * CCC, last step of the handshake (after login, PBSZ/PROT and FEAT: the password and the session
 * set-up stay under TLS). A refusal is an error: the caller needs a clear control channel (NAT).
 */
async function clearControlChannel(
  control: ControlConnection,
  transport: DetachableTransport,
  timeoutMs: number,
): Promise<void> {
  // The server may end its TLS right behind the 200: from here on that must not end the TCP connection.
  transport.keepRaw();
  try {
    expectReply(await control.request('CCC'), 'CCC');
    const tls = control.releaseForUpgrade() as TLSSocket;
    const raw = await clearTls(tls, transport, timeoutMs);
    control.adopt(raw);
    raw.resume();
  } catch (err) {
    transport.raw.destroy();
    throw err;
  }
}

/** Replies that let a login go on: 230 logged in, 202 "superfluous" (RFC 959), 332 wants ACCT. */
const LOGIN_GOES_ON = [230, 202, 332];

/** USER, PASS and FEAT in one write; returns the features once logged in. */
async function login(control: ControlConnection, options: ResolvedOptions): Promise<Map<string, string>> {
  let askedForPassword = false;
  // A refusal fails at once: some servers close right after it, before the later replies.
  const check = (reply: FtpReply, index: number): void => {
    if (index === 0) askedForPassword = reply.code === 331;
    const answer = index === 0 ? !askedForPassword : index === 1 && askedForPassword;
    if (answer && !LOGIN_GOES_ON.includes(reply.code)) throw new FtpReplyError(reply.code, reply.text, 'login');
  };
  const [user, pass, feat] = (await control.requestAll(
    [`USER ${options.user}`, `PASS ${options.password}`, 'FEAT'],
    check,
  )) as [FtpReply, FtpReply, FtpReply];
  // 230 to USER: no password needed, and the PASS reply (503 or 202) says nothing.
  let reply = askedForPassword ? pass : user;
  let features = feat;
  if (reply.code === 332) {
    if (options.account === undefined)
      throw new FtpReplyError(reply.code, `${reply.text} (server wants an account: set the "account" option)`, 'PASS');
    reply = await control.request(`ACCT ${options.account}`);
    if (reply.code !== 230 && reply.code !== 202) throw new FtpReplyError(reply.code, reply.text, 'login');
    features = await control.request('FEAT'); // the first FEAT came before the login was complete
  }
  return features.code === 211 ? parseFeatReply(features) : new Map();
}
