// probe(): what an FTP(S) port speaks and how well, the diagnostic behind `ftps probe`.
// See docs/probe.md.
import { probeLogin } from './login.js';
import { PortProbe } from './port.js';
import type { ProbeOptions, ProbeReport } from './types.js';

export type {
  CertificateInfo,
  FeatReport,
  LoginReport,
  PortReport,
  ProbeOptions,
  ProbeReport,
  StepResult,
  TlsReport,
  TlsVersionName,
  VerificationResult,
} from './types.js';

/**
 * Probes `options.host` on `options.port`, or on 990 and 21 when no port is given: implicit TLS or a
 * plain greeting, AUTH TLS, the TLS versions accepted (1.3, 1.2, and the insecure 1.1 and 1.0), the
 * certificate chain with its SHA-256 fingerprint and SPKI pin, the verification result with a hint,
 * and FEAT. With `user`, also login, PBSZ/PROT P, a protected data connection, EPSV/PASV and
 * whether the server requires TLS session reuse. Never throws for what it finds; rejects only for
 * bad options or an abort.
 */
export async function probe(options: ProbeOptions): Promise<ProbeReport> {
  if (options === null || typeof options !== 'object' || typeof options.host !== 'string' || options.host === '') {
    throw new TypeError('Option "host" must be a non-empty string');
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) {
    throw new RangeError(`Option "port" must be an integer 1-65535, got ${String(options.port)}`);
  }
  const ports = options.port === undefined ? [990, 21] : [options.port];
  const report: ProbeReport = { host: options.host, ports: [] };
  for (const port of ports) {
    options.signal?.throwIfAborted();
    const result = await new PortProbe(options, port).run();
    options.signal?.throwIfAborted();
    if (options.user !== undefined && (result.mode === 'implicit' || result.mode === 'explicit')) {
      result.login = await probeLogin(options, port, result.mode);
    }
    report.ports.push(result);
  }
  return report;
}
