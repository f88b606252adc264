// What a certificate chain says, and why verification failed, with a hint a person can act on.
import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, type DetailedPeerCertificate, type PeerCertificate, type TLSSocket } from 'node:tls';
import { spkiPin } from '../transport/pin.js';
import type { CertificateInfo, VerificationResult } from './types.js';

const SIGNATURE_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/** A DER tag-length header at `offset`: where the content starts and how long it is. */
function tlv(der: Buffer, offset: number): { start: number; length: number } {
  const first = der[offset + 1] ?? 0;
  if (first < 0x80) return { start: offset + 2, length: first };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (der[offset + 2 + i] ?? 0);
  return { start: offset + 2 + n, length };
}

function decodeOid(bytes: Buffer): string {
  const parts = [Math.floor((bytes[0] ?? 0) / 40), (bytes[0] ?? 0) % 40];
  let value = 0;
  for (const b of bytes.subarray(1)) {
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE { OID, ... }, signature }. */
export function signatureAlgorithm(der: Buffer): string {
  try {
    const cert = tlv(der, 0);
    const tbs = tlv(der, cert.start);
    const algOffset = tbs.start + tbs.length;
    const alg = tlv(der, algOffset);
    const oid = tlv(der, alg.start);
    const name = decodeOid(der.subarray(oid.start, oid.start + oid.length));
    return SIGNATURE_OIDS[name] ?? name;
  } catch {
    return 'unknown';
  }
}

function dn(fields: Record<string, string | string[]> | undefined): string {
  if (fields === undefined) return '';
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

export function describeCertificate(cert: PeerCertificate, now = new Date()): CertificateInfo {
  const x509 = new X509Certificate(cert.raw);
  const key = x509.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const validTo = new Date(cert.valid_to);
  const validFrom = new Date(cert.valid_from);
  return {
    subject: dn(cert.subject as unknown as Record<string, string>),
    issuer: dn(cert.issuer as unknown as Record<string, string>),
    validFrom: validFrom.toISOString(),
    validTo: validTo.toISOString(),
    expired: validTo < now,
    notYetValid: validFrom > now,
    subjectAltNames: cert.subjectaltname === undefined ? [] : cert.subjectaltname.split(/,\s*/),
    keyType: key.asymmetricKeyType ?? 'unknown',
    ...(details.modulusLength === undefined ? {} : { keyBits: details.modulusLength }),
    ...(details.namedCurve === undefined ? {} : { curve: details.namedCurve }),
    signatureAlgorithm: signatureAlgorithm(cert.raw),
    fingerprintSha256: cert.fingerprint256,
    spkiPin: spkiPin(cert),
    selfSigned: x509.checkIssued(x509),
  };
}

/** The chain as the server sent it, leaf first. */
export function describeChain(socket: TLSSocket): CertificateInfo[] {
  const chain: CertificateInfo[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert !== undefined && cert.raw !== undefined && !seen.has(cert.fingerprint256) && chain.length < 10) {
    seen.add(cert.fingerprint256);
    chain.push(describeCertificate(cert));
    cert = cert.issuerCertificate;
  }
  return chain;
}

const HINTS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT:
    'self-signed: trust it with --ca (the certificate itself, tls.ca) or pin its key with --pin (tls.pin)',
  SELF_SIGNED_CERT_IN_CHAIN:
    'the chain ends in a self-signed CA that is not trusted: pass that CA with --ca (tls.ca), or pin the key with --pin',
  CERT_HAS_EXPIRED: 'expired: the server must renew its certificate',
  CERT_NOT_YET_VALID: 'not valid yet: check the clocks of this machine and of the server',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    'unknown CA: pass the CA with --ca (tls.ca), or the server must send its intermediate certificates',
  UNABLE_TO_GET_ISSUER_CERT:
    'unknown CA: pass the CA with --ca (tls.ca), or the server must send its intermediate certificates',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    'unknown CA or a missing intermediate certificate: pass the CA with --ca (tls.ca), or fix the server chain',
  ERR_TLS_CERT_ALTNAME_INVALID:
    'wrong name: connect with a name the certificate lists (subject alternative names above), or set tls.servername',
};

/**
 * The verification Node would do (chain against the trusted CAs, then the host name), from a
 * handshake that ran with rejectUnauthorized: false so the details could be read.
 */
export function verification(socket: TLSSocket, hostname: string, pins: readonly string[]): VerificationResult {
  const cert = socket.getPeerCertificate();
  const pin = cert.raw === undefined ? undefined : spkiPin(cert);
  const pinned = pins.length > 0 ? { pinMatches: pin !== undefined && pins.includes(pin) } : {};
  const chainError = socket.authorizationError as Error | string | null | undefined;
  if (chainError !== null && chainError !== undefined) {
    const code =
      typeof chainError === 'string' ? chainError : ((chainError as { code?: string }).code ?? chainError.message);
    return {
      ok: false,
      code,
      reason: typeof chainError === 'string' ? chainError : chainError.message,
      hint: HINTS[code] ?? 'see docs/probe.md',
      ...pinned,
    };
  }
  const nameError = cert.raw === undefined ? new Error('no certificate') : checkServerIdentity(hostname, cert);
  if (nameError !== undefined) {
    const code = (nameError as { code?: string }).code ?? 'ERR_TLS_CERT_ALTNAME_INVALID';
    return {
      ok: false,
      code,
      reason: nameError.message,
      hint: HINTS[code] ?? HINTS.ERR_TLS_CERT_ALTNAME_INVALID ?? '',
      ...pinned,
    };
  }
  return { ok: true, ...pinned };
}
