// Passive data connections: EPSV first, PASV when the server does not know EPSV (remembered per
// session). The TCP connection is opened before the transfer command goes out, to an address asked
// for ahead when there is one (data-prefetch.ts), else to the one a fresh EPSV names.
import type { Socket } from 'node:net';
import { FtpReplyError } from '../errors.js';
import { parseEpsvReply, parsePasvReply } from '../protocol/passive.js';
import type { FtpReply } from '../protocol/reply.js';
import { connectTcp } from '../transport/connect.js';
import { logData } from '../log.js';
import { expectReply } from './control.js';
import { requestWithRestart } from './data-restart.js';
import type { DataChannel, DataChannelLimits, PendingDataConnection } from './data-channel.js';
import { resetSocket } from '../transport/close.js';
import type { Session } from './session.js';

export interface PassiveTarget {
  host: string;
  port: number;
}

/**
 * Asks for a passive port: EPSV first, PASV when the server does not know EPSV (remembered). `restart`
 * (a REST line) goes out in the same write (data-restart.ts).
 */
export async function enterPassive(session: Session, restart?: string): Promise<PassiveTarget> {
  if (session.passiveCommand === 'EPSV') {
    const reply = await requestWithRestart(session, 'EPSV', restart, (r) => r.code === 229);
    if (reply.code === 229) return passiveTarget(session, reply);
    if (reply.code < 500) throw new FtpReplyError(reply.code, reply.text, 'EPSV');
    session.passiveCommand = 'PASV';
  }
  const reply = await requestWithRestart(session, 'PASV', restart, (r) => r.code === 227);
  return passiveTarget(session, expectReply(reply, 'PASV', 227, 227));
}

/** Where a 229 (EPSV) or 227 (PASV) reply says to connect; throws FtpReplyError for any other reply. */
export function passiveTarget(session: Session, reply: FtpReply): PassiveTarget {
  if (reply.code === 229) return { host: session.remoteAddress, port: parseEpsvReply(reply.text) };
  const offered = parsePasvReply(expectReply(reply, 'PASV', 227, 227).text);
  // The control host, not the address in 227, unless the caller trusts the server (design: NAT, bounce).
  return { host: session.options.trustPasvAddress ? offered.host : session.remoteAddress, port: offered.port };
}

class PassiveConnection implements PendingDataConnection {
  constructor(
    readonly what: string,
    readonly socket: Socket,
    readonly prefetched: boolean,
  ) {}

  connected(): Promise<Socket> {
    return Promise.resolve(this.socket);
  }

  destroy(err?: Error): void {
    this.socket.destroy(err);
  }

  reset(layered?: Socket): void {
    resetSocket(this.socket, layered);
  }
}

/** Opens the TCP connection to a passive port (through the session's connector). */
export async function dialPassive(
  session: Session,
  target: PassiveTarget,
  limits: DataChannelLimits,
  prefetched = false,
): Promise<PendingDataConnection> {
  const what = `data connection to ${target.host}:${target.port}`;
  const { options } = session;
  const request = {
    host: target.host,
    port: target.port,
    localAddress: options.localAddress,
    family: options.family,
    purpose: 'data' as const,
  };
  const socket = await connectTcp(options.connector, request, {
    timeoutMs: options.timeouts.connect,
    signal: limits.signal,
    what,
  });
  socket.on('error', limits.onSocketError);
  return new PassiveConnection(what, socket, prefetched);
}

export const passiveChannel: DataChannel = {
  async prepare(session: Session, limits: DataChannelLimits): Promise<PendingDataConnection> {
    // A restarting transfer sends its REST with the EPSV (data-restart.ts): a fresh one costs nothing more.
    // Taken in any case: the fresh EPSV replaces the server's listener behind a prefetched address.
    const taken = session.passivePrefetch.take();
    const ahead = limits.restart === undefined ? taken : undefined;
    if (ahead !== undefined) {
      try {
        return await dialPassive(session, ahead, limits, true);
      } catch (err) {
        // The listener asked for ahead is gone (refused, timed out): nothing was sent, ask afresh.
        if (limits.signal?.aborted === true) throw err;
        logData('prefetched passive port %d failed (%s); asking again', ahead.port, (err as Error).message);
      }
    }
    return dialPassive(session, await enterPassive(session, limits.restart), limits);
  },
};
