// Probing one port without credentials: what it speaks (plain greeting or TLS from the first byte),
// AUTH TLS, the TLS versions it accepts, its certificate chain and its FEAT list.
import net from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { parseFeatReply } from '../protocol/feat.js';
import { ControlConnection } from '../session/control.js';
import { connectTcp, connectTls, directConnect, type ConnectLimits } from '../transport/connect.js';
import { waitForFirstBytes } from '../transport/first-bytes.js';
import { describeChain, verification } from './certificate.js';
import type { FeatReport, PortReport, ProbeOptions, TlsReport, TlsVersionName } from './types.js';

const VERSIONS: readonly TlsVersionName[] = ['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1'];
const LEGACY: ReadonlySet<TlsVersionName> = new Set(['TLSv1.1', 'TLSv1']);
/** OpenSSL 3 refuses TLS 1.0/1.1 (SHA-1 signatures) at its default security level. */
const LEGACY_CIPHERS = 'DEFAULT@SECLEVEL=0';

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' | ').trim();
const errorText = (err: unknown): string => oneLine(err instanceof Error ? err.message : String(err));

export class PortProbe {
  readonly #host: string;
  readonly #port: number;
  readonly #options: ProbeOptions;
  readonly #timeoutMs: number;
  #mode: PortReport['mode'] = 'unknown';

  constructor(options: ProbeOptions, port: number) {
    this.#host = options.host;
    this.#port = port;
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  #limits(what: string): ConnectLimits {
    return { timeoutMs: this.#timeoutMs, signal: this.#options.signal, what: `${what} ${this.#host}:${this.#port}` };
  }

  #control(socket: net.Socket): ControlConnection {
    const control = new ControlConnection(socket, {
      maxReplyBytes: 64 * 1024,
      encoding: 'utf8',
      replyTimeoutMs: this.#timeoutMs,
    });
    socket.resume();
    return control;
  }

  /** TLS options for the probe's handshakes: nothing is rejected, so that everything can be described. */
  #tlsOptions(extra: ConnectionOptions = {}): ConnectionOptions {
    const servername = this.#options.tls?.servername ?? (net.isIP(this.#host) === 0 ? this.#host : undefined);
    return {
      host: this.#host,
      port: this.#port,
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
      ciphers: LEGACY_CIPHERS,
      ...(this.#options.tls?.ca === undefined ? {} : { ca: this.#options.tls.ca }),
      ...(servername === undefined ? {} : { servername }),
      ...extra,
    };
  }

  async run(): Promise<PortReport> {
    const report: PortReport = { port: this.#port, reachable: false, mode: 'unknown' };
    let socket: net.Socket;
    try {
      socket = await connectTcp(
        directConnect,
        { host: this.#host, port: this.#port, purpose: 'control' },
        this.#limits('connection to'),
      );
    } catch (err) {
      report.error = errorText(err);
      return report;
    }
    report.reachable = true;
    let control: ControlConnection | undefined;
    let secured: TLSSocket | undefined;
    try {
      const heard = await waitForFirstBytes(socket, this.#options.greetingWaitMs ?? 1500, this.#options.signal);
      if (heard === 'spoke') {
        control = this.#control(socket);
        report.greeting = oneLine((await control.read()).text);
        const auth = await control.request('AUTH TLS');
        report.authTls = { ok: auth.code === 234, detail: `${auth.code} ${oneLine(auth.text)}` };
        if (auth.code === 234) {
          secured = await connectTls(
            this.#tlsOptions({ socket: control.releaseForUpgrade() }),
            this.#limits('TLS upgrade of'),
          );
          control.adopt(secured);
          report.mode = 'explicit';
        } else report.mode = 'plain';
      } else {
        try {
          secured = await connectTls(this.#tlsOptions({ socket }), this.#limits('TLS handshake with'));
        } catch (err) {
          report.error = `no greeting within ${this.#options.greetingWaitMs ?? 1500} ms and no TLS handshake: ${errorText(err)}`;
          return report;
        }
        report.mode = 'implicit';
        control = this.#control(secured);
        report.greeting = oneLine((await control.read()).text);
      }
      this.#mode = report.mode;
      if (secured !== undefined) report.tls = await this.#describeTls(secured);
      const features = await this.#features(control);
      if (features !== undefined) report.features = features;
      await control.quit(1000).catch(() => undefined);
    } catch (err) {
      report.error = errorText(err);
    } finally {
      control?.destroy();
      socket.destroy();
      secured?.destroy();
    }
    return report;
  }

  async #describeTls(socket: TLSSocket): Promise<TlsReport> {
    const key = socket.getEphemeralKeyInfo() as { type?: string; name?: string; size?: number } | null;
    const group = key?.name ?? (key?.type === 'DH' ? `DH ${String(key.size)}` : undefined);
    const hostname = this.#options.tls?.servername ?? this.#host;
    const pins =
      this.#options.tls?.pin === undefined
        ? []
        : typeof this.#options.tls.pin === 'string'
          ? [this.#options.tls.pin]
          : [...this.#options.tls.pin];
    const info: Omit<TlsReport, 'versions' | 'insecureVersions'> = {
      protocol: socket.getProtocol() ?? 'unknown',
      cipher: socket.getCipher().name,
      ...(group === undefined ? {} : { group }),
      chain: describeChain(socket),
      verification: verification(socket, hostname, pins),
    };
    const versions = {} as Record<TlsVersionName, boolean>;
    for (const v of VERSIONS) versions[v] = await this.#accepts(v);
    return { ...info, versions, insecureVersions: VERSIONS.filter((v) => LEGACY.has(v) && versions[v]) };
  }

  /** A fresh connection with the handshake pinned to one version (after AUTH TLS on explicit ports). */
  async #accepts(version: TlsVersionName): Promise<boolean> {
    const pinned = this.#tlsOptions({
      minVersion: version,
      maxVersion: version,
      ...(LEGACY.has(version) ? {} : { ciphers: 'DEFAULT' }),
    });
    let raw: net.Socket | undefined;
    let control: ControlConnection | undefined;
    try {
      if (this.#mode === 'implicit') {
        (await connectTls(pinned, this.#limits(`${version} handshake with`))).destroy();
        return true;
      }
      raw = await connectTcp(
        directConnect,
        { host: this.#host, port: this.#port, purpose: 'control' },
        this.#limits('connection to'),
      );
      control = this.#control(raw);
      await control.read();
      if ((await control.request('AUTH TLS')).code !== 234) return false;
      (
        await connectTls({ ...pinned, socket: control.releaseForUpgrade() }, this.#limits(`${version} handshake with`))
      ).destroy();
      return true;
    } catch {
      return false;
    } finally {
      control?.destroy();
      raw?.destroy();
    }
  }

  async #features(control: ControlConnection): Promise<FeatReport | undefined> {
    const reply = await control.request('FEAT');
    if (reply.code !== 211) return undefined;
    const features = parseFeatReply(reply);
    const has = (name: string): boolean => features.has(name);
    const rest = features.get('REST');
    const highlights = {
      MLSD: has('MLST') || has('MLSD'),
      EPSV: has('EPSV'),
      HASH: has('HASH') || has('XSHA256') || has('XSHA1') || has('XMD5') || has('XCRC'),
      'REST STREAM': rest !== undefined && /STREAM/i.test(rest),
      UTF8: has('UTF8'),
    } satisfies FeatReport['highlights'];
    return {
      lines: reply.lines
        .slice(1, -1)
        .map((l) => l.trim())
        .filter((l) => l !== ''),
      highlights,
    };
  }
}
