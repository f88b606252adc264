// One logged-in control connection and what was learnt about the server on it.
import type { TLSSocket } from 'node:tls';
import type { ResolvedOptions } from '../options.js';
import type { TlsDialOptions } from '../transport/connect.js';
import { describeTls, type TlsInfo } from '../transport/tls-info.js';
import type { TlsSessionStore } from '../transport/tls-session.js';
import type { ControlConnection } from './control.js';
import { PassivePrefetch } from './data-prefetch.js';
import type { ServerQuirks } from './server-quirks.js';

export class Session {
  /** Which passive command works here; learnt on the first data connection. */
  passiveCommand: 'EPSV' | 'PASV' = 'EPSV';
  /**
   * When data TLS starts: 'early' (with the transfer command, session/data-early.ts) until the server
   * refuses it (a 1xx then the connection closed, or a second bare 425), then 'after-1xx' for the rest
   * of the session.
   */
  dataTlsOrder: 'early' | 'after-1xx' = 'early';
  /** A bare 425 refused one early handshake (a refusal or a fault on the way): the next one decides. */
  earlyTlsDoubted = false;
  /** Whether `OPTS MLST` was sent on this connection (once is enough). */
  mlstFactsSent = false;
  /** Whether LIST takes `-a` here (shows dotfiles); undefined until the first LIST tells. */
  listAll: boolean | undefined;
  /** The control connection's TLS, as negotiated; undefined on plain FTP. */
  readonly tlsInfo: TlsInfo | undefined;
  /** The next transfer's passive address, asked for ahead where the server allows it (data-prefetch.ts). */
  readonly passivePrefetch = new PassivePrefetch(this);
  #closedBy: Error | undefined;
  #retireReason: string | undefined;

  constructor(
    readonly control: ControlConnection,
    readonly options: ResolvedOptions,
    readonly features: Map<string, string>,
    readonly tlsSessions: TlsSessionStore | undefined,
    /** tls.connect options (with the session's one SecureContext) for every data connection. */
    readonly tlsOptions: TlsDialOptions | undefined,
    /** What the greeting told about the server (session/server-quirks.ts). */
    readonly quirks: ServerQuirks,
  ) {
    this.tlsInfo = tlsSessions === undefined ? undefined : describeTls(control.socket as TLSSocket);
  }

  get secure(): boolean {
    return this.tlsSessions !== undefined;
  }

  /**
   * The address actually connected to: data connections go there, not to a re-resolved name (except through a proxy or
   * connector).
   */
  get remoteAddress(): string {
    // Through a proxy or the caller's connector the socket's peer is not the server: the host as given.
    if (this.options.tunneled) return this.options.host;
    return this.control.socket.remoteAddress ?? this.options.host;
  }

  /** Why the session ended, once it has. */
  get closedBy(): Error | undefined {
    return this.#closedBy;
  }

  markClosed(err: Error): void {
    this.#closedBy ??= err;
  }

  /**
   * Why this connection must not run another call, though it is in step: the client replaces it with
   * a fresh login before the next one (FtpsClient's #ready). Undefined while it may go on.
   */
  get retireReason(): string | undefined {
    return this.#retireReason;
  }

  /**
   * A listing on this connection did not end normally (cut by the client, or its data connection
   * failed) after the server had started it. Unless the server is known to keep nothing of it
   * (ServerQuirks.cleanAfterCutListing), its next listing may begin with the rest of this one
   * (pure-ftpd 1.0.50): the connection is retired.
   */
  listingCut(command: string): void {
    if (this.quirks.cleanAfterCutListing) return;
    this.#retireReason ??= `${command.split(' ', 1)[0]} was cut short: the server may send its rest into the next listing`;
  }
}
