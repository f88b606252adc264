// Certificate pinning by public key (curl's --pinnedpubkey format): 'sha256/' + base64 of the
// SHA-256 of the certificate's DER SubjectPublicKeyInfo. A pin survives certificate renewal as
// long as the key stays, and it authenticates a self-signed or private-CA server without a CA.
import { createHash, X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';

/** 'sha256/' and 44 base64 characters (32 bytes). */
export const PIN_PATTERN = /^sha256\/[A-Za-z0-9+/]{43}=$/;

/**
 * The pin of a certificate's public key, e.g. `'sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='`,
 * for `tls.pin`. Takes a peer certificate from `socket.getPeerCertificate()`, an `X509Certificate`,
 * or a certificate as PEM text or DER bytes. Same value as
 * `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`.
 */
export function spkiPin(cert: PeerCertificate | X509Certificate | string | Buffer): string {
  const x509 =
    cert instanceof X509Certificate
      ? cert
      : new X509Certificate(Buffer.isBuffer(cert) || typeof cert === 'string' ? cert : cert.raw);
  const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256/${createHash('sha256').update(spki).digest('base64')}`;
}
