// The seam between a transfer and the way its data connection is opened. A strategy negotiates
// on the control connection before the transfer command (EPSV, PASV, later EPRT/PORT) and hands
// back a pending connection that yields a connected raw socket once the server's side is there.
// Protection (TLS with session reuse) is not the strategy's business: data-protect.ts applies it
// to whatever socket a strategy produced, so every strategy gets it the same way.
import type { Socket } from 'node:net';
import { activeChannel } from './data-active.js';
import { passiveChannel } from './data-passive.js';
import type { Session } from './session.js';

export interface DataChannelLimits {
  signal?: AbortSignal | undefined;
  /** Sees every error of the raw socket from the moment it exists (it must never go unhandled). */
  onSocketError(err: Error): void;
  /** The transfer's REST line, sent behind the channel's own command in the same write (data-restart.ts). */
  restart?: string | undefined;
}

/** A data connection negotiated on the control connection, not necessarily connected yet. */
export interface PendingDataConnection {
  /** Names the connection in errors and logs, e.g. "data connection to 127.0.0.1:40001". */
  readonly what: string;
  /**
   * Whether it goes to an address asked for ahead (data-prefetch.ts): a 425 to the transfer command
   * may then mean the server's listener went away meanwhile, and the transfer is retried with a fresh one.
   */
  readonly prefetched: boolean;
  /**
   * The connected raw socket. Called once, after the server accepted the transfer command (1xx):
   * a passive connection is already open; an active one waits here for the server to connect.
   */
  connected(): Promise<Socket>;
  /** Closes whatever is open (socket, listener), the socket with `err` if given. Idempotent. */
  destroy(err?: Error): void;
  /**
   * Like destroy(), but the socket goes with a TCP reset: a server can never take that for the end
   * of an upload (a FIN it can, on plain FTP or with lax TLS EOF checks). Stopping early uses it.
   * `layered`: the TLS socket over the raw one, if any (see resetSocket).
   */
  reset(layered?: Socket): void;
}

/** One way of opening data connections (passive, active…). */
export interface DataChannel {
  /** Runs before the transfer command; whatever it opens is closed by `destroy()` of the result. */
  prepare(session: Session, limits: DataChannelLimits): Promise<PendingDataConnection>;
}

/** The strategy the session's options ask for. A new strategy is one file plus one case here. */
export function dataChannelFor(session: Session): DataChannel {
  return session.options.dataConnection === 'active' ? activeChannel : passiveChannel;
}
