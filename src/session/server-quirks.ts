// What particular servers do differently, and what the client does about it: one entry per server,
// recognised from its greeting, so that no quirk is tested for in more than one place (FluentFTP's
// model). A server not recognised here gets no quirk: standard behaviour is the default, and where
// standard behaviour cannot be relied on, the safe choice.

/** Behaviours of one server that the client adapts to; all false for a server not recognised. */
export interface ServerQuirks {
  /** Which server was recognised (logs, diagnostics); undefined when none was. */
  readonly server: string | undefined;
  /**
   * At the end of a download the server sends its close_notify and then waits for the client's
   * before it sends the final reply (a bidirectional SSL_shutdown). The client then sends its
   * close_notify on a download's data connection right after the data TLS handshake (its FIN waits
   * for the server's end), so the server finds it waiting and answers at once: one round trip less.
   */
  readonly waitsForClientCloseNotify: boolean;
  /**
   * A listing that did not end normally (the client cut it: reset + ABOR, or its data connection
   * failed) leaves nothing behind: the next listing on the connection carries its own entries only.
   * Measured on vsftpd 3.0.3 and proftpd 1.3.8. Not so on pure-ftpd 1.0.50, which sends the unsent
   * rest of its static 64 KiB listing buffer first, and unknown elsewhere: there the client retires
   * the connection after such a listing (Session.retireReason, FtpsClient's #ready).
   */
  readonly cleanAfterCutListing: boolean;
  /**
   * The server reads no command while a transfer runs: a command written behind the transfer
   * command is answered only after its final reply. The client then asks for the next transfer's
   * passive address behind each transfer command (session/data-prefetch.ts): one round trip less per
   * transfer. Not so elsewhere: proftpd answers such an EPSV at once with 450, pure-ftpd with 500,
   * and pyftpdlib acts on it, closing the running transfer's data connection (no final reply ever).
   */
  readonly queuesCommandsDuringTransfer: boolean;
}

export const NO_QUIRKS: ServerQuirks = {
  server: undefined,
  waitsForClientCloseNotify: false,
  cleanAfterCutListing: false,
  queuesCommandsDuringTransfer: false,
};

/** vsftpd's stock greeting: `220 (vsFTPd 3.0.3)`; `ftpd_banner` replaces it, and then nothing is known. */
const VSFTPD = /^\(vsFTPd (\d+(?:\.\d+)*)\)/;

/** proftpd's with `ServerIdent on` (its default): `220 ProFTPD Server (name) [address]`, a version with some builds. */
const PROFTPD = /^ProFTPD(?: (\d+(?:\.\d+)*\S*))? Server /;

/** The quirks of the server that sent `greeting` (the 220 reply's text, code stripped). */
export function quirksFor(greeting: string): ServerQuirks {
  const vsftpd = VSFTPD.exec(greeting);
  // vsftpd: ssl_data_close() calls SSL_shutdown() twice, the second blocking for the client's alert.
  // vsftpd and proftpd: a cut listing's rest never showed in the next listing (test/interop/listing.test.ts).
  // vsftpd without async_abor_enable (its default) reads the control connection only between commands.
  if (vsftpd !== null) {
    const server = `vsftpd ${vsftpd[1]}`;
    return { server, waitsForClientCloseNotify: true, cleanAfterCutListing: true, queuesCommandsDuringTransfer: true };
  }
  const proftpd = PROFTPD.exec(greeting);
  if (proftpd !== null) {
    const version = proftpd[1] === undefined ? '' : ` ${proftpd[1]}`;
    return {
      server: `proftpd${version}`,
      waitsForClientCloseNotify: false,
      cleanAfterCutListing: true,
      queuesCommandsDuringTransfer: false,
    };
  }
  return NO_QUIRKS;
}
