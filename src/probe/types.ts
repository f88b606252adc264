// What probe() reports. Plain data: safe to print or serialize as JSON.
import type { FtpsTlsOptions } from '../options.js';

/** Options of {@link probe}. `host` is required; bad options are a TypeError or RangeError. */
export interface ProbeOptions {
  /** Host name or IP address to probe. */
  host: string;
  /** One port; without it, 990 (implicit) and 21 (explicit) are both probed. */
  port?: number;
  /** With a user (and password), login and the data-channel checks run too. */
  user?: string;
  /** The password of `user`. */
  password?: string;
  /**
   * Trust settings for the verification result and the login checks: `ca`, `pin`, `servername`, `rejectUnauthorized:
   * false` to log in anyway.
   */
  tls?: Pick<FtpsTlsOptions, 'ca' | 'pin' | 'servername' | 'rejectUnauthorized' | 'minVersion'>;
  /** Bound of each step (connect, handshake, reply). Default 5000 ms. */
  timeoutMs?: number;
  /** How long a silent port is listened to before it is taken for implicit TLS. Default 1500 ms. */
  greetingWaitMs?: number;
  /** Aborting rejects the probe with `signal.reason` (the only rejection besides bad options). */
  signal?: AbortSignal;
}

/** A TLS version, as Node names it. */
export type TlsVersionName = 'TLSv1.3' | 'TLSv1.2' | 'TLSv1.1' | 'TLSv1';

/** One certificate of the chain the server presented, in plain strings. */
export interface CertificateInfo {
  /** Subject distinguished name, e.g. `'CN=ftp.example.com, O=Example'`. */
  subject: string;
  /** Issuer distinguished name. */
  issuer: string;
  /** Start of validity, ISO 8601. */
  validFrom: string;
  /** End of validity, ISO 8601. */
  validTo: string;
  /** Past `validTo` now. */
  expired: boolean;
  /** Before `validFrom` now. */
  notYetValid: boolean;
  /** Subject alternative names as Node lists them, e.g. `'DNS:ftp.example.com'`, `'IP Address:127.0.0.1'`. */
  subjectAltNames: string[];
  /** 'rsa', 'ec', 'ed25519', ... */
  keyType: string;
  /** Key size in bits, when Node tells it. */
  keyBits?: number;
  /** Curve name of an EC key, e.g. `'prime256v1'`. */
  curve?: string;
  /** e.g. `'sha256WithRSAEncryption'`. */
  signatureAlgorithm: string;
  /** SHA-256 fingerprint of the certificate, colon-separated hex (as `openssl x509 -fingerprint`). */
  fingerprintSha256: string;
  /** For `tls.pin` / `--pin`: 'sha256/BASE64' of the public key. */
  spkiPin: string;
  /** Issuer and subject are the same. */
  selfSigned: boolean;
}

/** Whether a client with the probe's `tls` settings would accept the server's certificate, and why not. */
export interface VerificationResult {
  /** The chain and the host name verify against the trusted CAs (a pin match is `pinMatches`, apart). */
  ok: boolean;
  /** OpenSSL/Node code, e.g. 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'. */
  code?: string;
  /** Node's error message for the failure. */
  reason?: string;
  /** What to do about it (pass the CA with `tls.ca`, pin the key, fix the host name…). */
  hint?: string;
  /** With `tls.pin`: whether the server's key matches one of the pins. */
  pinMatches?: boolean;
}

/** TLS of one port: what was negotiated, which versions are accepted, the chain and its verification. */
export interface TlsReport {
  /** Negotiated on the probe's own connection (the best the server and Node agree on). */
  protocol: string;
  /** Cipher suite negotiated, e.g. `'TLS_AES_256_GCM_SHA384'`. */
  cipher: string;
  /** Key exchange group, e.g. 'X25519' (undefined when Node cannot tell, e.g. TLS 1.2 with RSA key exchange). */
  group?: string;
  /** Which versions a handshake pinned to that version succeeded with. */
  versions: Record<TlsVersionName, boolean>;
  /** Accepted versions that are deprecated (RFC 8996): TLS 1.0 and 1.1. */
  insecureVersions: TlsVersionName[];
  /** The certificates the server sent, its own first. */
  chain: CertificateInfo[];
  /** Whether the chain would be accepted with the probe's `tls` settings. */
  verification: VerificationResult;
}

/** The server's FEAT answer. */
export interface FeatReport {
  /** Every FEAT line, as sent. */
  lines: string[];
  /** The features that matter to a client. */
  highlights: Record<'MLSD' | 'EPSV' | 'HASH' | 'REST STREAM' | 'UTF8', boolean>;
}

/** The outcome of one step of a probe (AUTH TLS, login, PROT P, a data connection, EPSV, PASV). */
export interface StepResult {
  /** The step succeeded. */
  ok: boolean;
  /** Reply or error, one line. */
  detail: string;
  /** The error's code when the step failed with an FtpsError, e.g. 'ERR_FTPS_TLS', 'ERR_FTPS_REPLY'. */
  code?: string;
  /** The reply code when the server refused, e.g. 530. */
  replyCode?: number;
}

/** The checks run with a user: login, protection, a data connection, session reuse, EPSV and PASV. */
export interface LoginReport {
  /** USER/PASS. */
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
  /** How `sessionReuseRequired` was told (or why it could not be). */
  sessionReuseDetail?: string;
  /** EPSV, and the data port it named. */
  epsv?: StepResult & {
    /** The port the 229 reply named. */
    port?: number;
  };
  /** PASV, the address it named, and whether that is the control connection's host. */
  pasv?: StepResult & {
    /** The host the 227 reply named. */
    host?: string;
    /** The port the 227 reply named. */
    port?: number;
    /**
     * Whether `host` is the control connection's peer. False: NAT or a misconfigured server; the
     * client connects to the control host anyway unless `trustPasvAddress` is set.
     */
    matchesControlHost?: boolean;
    /** What a false `matchesControlHost` means for the server's configuration. */
    hint?: string;
  };
}

/** What one port speaks, and how well. */
export interface PortReport {
  /** The TCP port probed. */
  port: number;
  /** A TCP connection could be opened. */
  reachable: boolean;
  /**
   * 'implicit': TLS from the first byte; 'explicit': a plain greeting and AUTH TLS accepted; 'plain': AUTH TLS refused;
   * 'unknown': neither.
   */
  mode: 'implicit' | 'explicit' | 'plain' | 'unknown';
  /** Why the port could not be probed (connection refused, timeout…). */
  error?: string;
  /** The 220 greeting's text. */
  greeting?: string;
  /** On explicit ports: the answer to AUTH TLS. */
  authTls?: StepResult;
  /** The TLS report, when a handshake succeeded. */
  tls?: TlsReport;
  /** The FEAT answer. */
  features?: FeatReport;
  /** With a `user`: the login checks. */
  login?: LoginReport;
}

/** What {@link probe} found: one report per port probed. Plain data, safe to print or serialise as JSON. */
export interface ProbeReport {
  /** The host probed. */
  host: string;
  /** One entry per port, in the order probed (990 then 21 without a port). */
  ports: PortReport[];
}
