// What probe() reports. Plain data: safe to print or serialize as JSON.
import type { FtpsTlsOptions } from '../options.js';

export interface ProbeOptions {
  host: string;
  /** One port; without it, 990 (implicit) and 21 (explicit) are both probed. */
  port?: number;
  /** With a user (and password), login and the data-channel checks run too. */
  user?: string;
  password?: string;
  /** Trust settings for the verification result and the login checks: `ca`, `pin`, `servername`, `rejectUnauthorized: false` to log in anyway. */
  tls?: Pick<FtpsTlsOptions, 'ca' | 'pin' | 'servername' | 'rejectUnauthorized' | 'minVersion'>;
  /** Bound of each step (connect, handshake, reply). Default 5000 ms. */
  timeoutMs?: number;
  /** How long a silent port is listened to before it is taken for implicit TLS. Default 1500 ms. */
  greetingWaitMs?: number;
  signal?: AbortSignal;
}

export type TlsVersionName = 'TLSv1.3' | 'TLSv1.2' | 'TLSv1.1' | 'TLSv1';

export interface CertificateInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  expired: boolean;
  notYetValid: boolean;
  subjectAltNames: string[];
  /** 'rsa', 'ec', 'ed25519', ... */
  keyType: string;
  keyBits?: number;
  curve?: string;
  signatureAlgorithm: string;
  fingerprintSha256: string;
  /** For `tls.pin` / `--pin`: 'sha256/BASE64' of the public key. */
  spkiPin: string;
  selfSigned: boolean;
}

export interface VerificationResult {
  ok: boolean;
  /** OpenSSL/Node code, e.g. 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'. */
  code?: string;
  reason?: string;
  hint?: string;
  /** With `tls.pin`: whether the server's key matches one of the pins. */
  pinMatches?: boolean;
}

export interface TlsReport {
  /** Negotiated on the probe's own connection (the best the server and Node agree on). */
  protocol: string;
  cipher: string;
  /** Key exchange group, e.g. 'X25519' (undefined when Node cannot tell, e.g. TLS 1.2 with RSA key exchange). */
  group?: string;
  /** Which versions a handshake pinned to that version succeeded with. */
  versions: Record<TlsVersionName, boolean>;
  /** Accepted versions that are deprecated (RFC 8996): TLS 1.0 and 1.1. */
  insecureVersions: TlsVersionName[];
  chain: CertificateInfo[];
  verification: VerificationResult;
}

export interface FeatReport {
  /** Every FEAT line, as sent. */
  lines: string[];
  /** The features that matter to a client. */
  highlights: Record<'MLSD' | 'EPSV' | 'HASH' | 'REST STREAM' | 'UTF8', boolean>;
}

export interface StepResult {
  ok: boolean;
  /** Reply or error, one line. */
  detail: string;
  /** The error's code when the step failed with an FtpsError, e.g. 'ERR_FTPS_TLS', 'ERR_FTPS_REPLY'. */
  code?: string;
  /** The reply code when the server refused, e.g. 530. */
  replyCode?: number;
}

export interface LoginReport {
  login: StepResult;
  /** PBSZ 0 and PROT P (part of the login on a TLS session). */
  protection?: StepResult;
  /** A protected data connection (a listing of the login folder). */
  dataConnection?: StepResult;
  /**
   * Whether the server refuses a data connection that does not resume the control connection's
   * TLS session (tried once on a separate session). undefined when it could not be told.
   */
  sessionReuseRequired?: boolean;
  sessionReuseDetail?: string;
  epsv?: StepResult & { port?: number };
  pasv?: StepResult & { host?: string; port?: number; matchesControlHost?: boolean; hint?: string };
}

export interface PortReport {
  port: number;
  reachable: boolean;
  /** 'implicit': TLS from the first byte; 'explicit': a plain greeting and AUTH TLS accepted; 'plain': AUTH TLS refused; 'unknown': neither. */
  mode: 'implicit' | 'explicit' | 'plain' | 'unknown';
  error?: string;
  greeting?: string;
  authTls?: StepResult;
  tls?: TlsReport;
  features?: FeatReport;
  login?: LoginReport;
}

export interface ProbeReport {
  host: string;
  ports: PortReport[];
}
