// What particular servers do differently, and what the client does about it: one entry per server,
// recognised from its greeting, so that no quirk is tested for in more than one place (FluentFTP's
// model). A server not recognised here gets no quirk: standard behaviour is the default.

/** Behaviours of one server that the client adapts to; all false for a server not recognised. */
export interface ServerQuirks {
  /** Which server was recognised (logs, diagnostics); undefined when none was. */
  readonly server: string | undefined;
  /**
   * At the end of a download the server sends its close_notify and then waits for the client's
   * before it sends the final reply (a bidirectional SSL_shutdown). The client then ends its write
   * side of a download's data connection (close_notify + FIN) right after the data TLS handshake, so
   * that the server finds it waiting and answers at once: one round trip less per download.
   */
  readonly waitsForClientCloseNotify: boolean;
}

export const NO_QUIRKS: ServerQuirks = { server: undefined, waitsForClientCloseNotify: false };

/** vsftpd's stock greeting: `220 (vsFTPd 3.0.3)`; `ftpd_banner` replaces it, and then nothing is known. */
const VSFTPD = /^\(vsFTPd (\d+(?:\.\d+)*)\)/;

/** The quirks of the server that sent `greeting` (the 220 reply's text, code stripped). */
export function quirksFor(greeting: string): ServerQuirks {
  const vsftpd = VSFTPD.exec(greeting);
  // vsftpd: ssl_data_close() calls SSL_shutdown() twice, the second blocking for the client's alert.
  if (vsftpd !== null) return { server: `vsftpd ${vsftpd[1]}`, waitsForClientCloseNotify: true };
  return NO_QUIRKS;
}
