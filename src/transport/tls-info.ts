// A plain description of a TLS connection, safe to log or show.
import type { PeerCertificate, TLSSocket } from 'node:tls';

/** What was negotiated on a TLS connection: {@link FtpsClient.tls} for the control connection. */
export interface TlsInfo {
  /** e.g. 'TLSv1.3' */
  protocol: string | null;
  /** e.g. 'TLS_AES_256_GCM_SHA384' */
  cipher: string;
  /** Whether the certificate chain was verified. */
  authorized: boolean;
  /** Whether this connection resumed an earlier TLS session. */
  sessionReused: boolean;
  /** The server's certificate as Node describes it (subject, issuer, validity, fingerprints…). */
  peerCertificate: PeerCertificate;
}

export function describeTls(socket: TLSSocket): TlsInfo {
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher().name,
    authorized: socket.authorized,
    sessionReused: socket.isSessionReused(),
    peerCertificate: socket.getPeerCertificate(),
  };
}
