// node:diagnostics_channel channels, for integrators who log and meter without parsing DEBUG text
// (docs/diagnostics.md). A leaf beside log.ts: callers pass plain values (command lines already
// redacted). Publishing costs one `hasSubscribers` check when nobody listens.
import diagnostics_channel from 'node:diagnostics_channel';

/** Channel names; subscribe with `diagnostics_channel.subscribe(name, fn)`. */
export const CHANNELS = {
  /** {@link ConnectMessage}: a session is logged in and ready. */
  connect: 'ftps-client:connect',
  /** {@link CloseMessage}: a control connection is gone. */
  close: 'ftps-client:close',
  /** {@link CommandMessage}: a command line was sent. */
  command: 'ftps-client:command',
  /** {@link ReplyMessage}: a complete reply arrived. */
  reply: 'ftps-client:reply',
  /** {@link TransferStartMessage}: a data transfer begins. */
  transferStart: 'ftps-client:transfer:start',
  /** {@link TransferEndMessage}: a data transfer is over. */
  transferEnd: 'ftps-client:transfer:end',
  /** {@link RetryMessage}: the pool retries an operation. */
  retry: 'ftps-client:retry',
  /** {@link PoolResizeMessage}: the pool lowered its connection target after a refusal. */
  poolShrink: 'ftps-client:pool:shrink',
  /** {@link PoolResizeMessage}: the pool raised its connection target again. */
  poolRegrow: 'ftps-client:pool:regrow',
} as const;

/** Identifies one control connection across messages. */
export interface ConnectionRef {
  /** 1, 2, 3… per control connection, in the order they were opened in this process. */
  connectionId: number;
  /** The server's address as connected (the socket's remote address). */
  host: string;
  /** The server's port. */
  port: number;
}

/** `ftps-client:connect`: a session is logged in and ready. */
export interface ConnectMessage extends ConnectionRef {
  /** The mode in use ('auto' is reported as the mode it resolved to). */
  secure: 'explicit' | 'implicit' | false;
  /** Negotiated TLS version of the control connection ('TLSv1.3'), undefined on plain FTP. */
  tlsProtocol: string | undefined;
  /** From the first TCP connect to the ready session. */
  durationMs: number;
}

/** `ftps-client:close`: the control connection is gone (QUIT, server close, fatal error). */
export interface CloseMessage extends ConnectionRef {
  /** Why: a ClientClosedError for close(), else the error that ended it. */
  reason: Error;
}

/** `ftps-client:command`: a command line was sent. PASS and ACCT arguments read `<redacted>`. */
export interface CommandMessage extends ConnectionRef {
  /** The command line as sent, without CRLF (PASS and ACCT arguments redacted). */
  command: string;
}

/** `ftps-client:reply`: a complete reply arrived (1xx included). */
export interface ReplyMessage extends ConnectionRef {
  /** The reply code, e.g. 150 or 226. */
  code: number;
  /** All lines of the reply joined with '\n', codes stripped as in FtpReply.text. */
  text: string;
}

/** `ftps-client:transfer:start`: a data transfer begins (RETR, STOR, APPE, LIST, MLSD, …). */
export interface TransferStartMessage extends ConnectionRef {
  /** The transfer command line, e.g. `RETR /a.txt`. */
  command: string;
  /** `'download'` for RETR and listings, `'upload'` for STOR and APPE. */
  direction: 'upload' | 'download';
}

/** `ftps-client:transfer:end`: the transfer is over, complete or not. */
export interface TransferEndMessage extends TransferStartMessage {
  /** Payload bytes moved on the data connection; undefined when the transfer failed. */
  bytes: number | undefined;
  /** From the transfer's start message to its end. */
  durationMs: number;
  /** Whether the data connection resumed the control connection's TLS session; undefined on plain FTP or before TLS. */
  tlsSessionReused: boolean | undefined;
  /**
   * When the data TLS handshake started: 'early' (with the transfer command) or 'after-1xx' (the
   * session's fallback once a server refused early bytes); undefined on plain FTP or when it failed.
   */
  dataTls: 'early' | 'after-1xx' | undefined;
  /**
   * Downloads over TLS (RETR, LIST, MLSD…): whether the server ended the data stream with TLS
   * close_notify; undefined for uploads, plain FTP, failed transfers and ranges the client stopped.
   */
  closeNotify: boolean | undefined;
  /**
   * Downloads over TLS: whether the client ended its side of the data connection (close_notify)
   * right after the TLS handshake, for a server known to wait for it before its final reply (vsftpd:
   * one round trip less); undefined for uploads, plain FTP and failed transfers.
   */
  earlyCloseNotify: boolean | undefined;
  /** The final reply code (226…) when complete. */
  replyCode: number | undefined;
  /** Set when the transfer failed. */
  error: unknown;
}

/** `ftps-client:retry`: the pool runs an operation again after a transient failure. */
export interface RetryMessage {
  /** 1 for the first retry. */
  attempt: number;
  /** Retries allowed in all. */
  retries: number;
  /** The failure that is retried. */
  error: unknown;
  /** Pause before the retry. */
  delayMs: number;
}

/** `ftps-client:pool:shrink` / `ftps-client:pool:regrow`: the pool's connection target changed. */
export interface PoolResizeMessage {
  /** The connection target before. */
  from: number;
  /** The connection target now. */
  to: number;
  /** The configured `size`. */
  max: number;
}

const ids = new WeakMap<object, number>();
let nextId = 1;

/** The connection's stable id (the control connection object is the key). */
function idOf(connection: object): number {
  let id = ids.get(connection);
  if (id === undefined) {
    id = nextId++;
    ids.set(connection, id);
  }
  return id;
}

const channels = Object.fromEntries(
  Object.entries(CHANNELS).map(([k, name]) => [k, diagnostics_channel.channel(name)]),
) as Record<keyof typeof CHANNELS, diagnostics_channel.Channel>;

/** Whether anyone listens on the channel: callers skip building the message otherwise. */
export function listening(channel: keyof typeof CHANNELS): boolean {
  return channels[channel].hasSubscribers;
}

/** Where a control connection goes; `peer` is read once, while the socket is open. */
export interface Peer {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

const peers = new WeakMap<object, { host: string; port: number }>();

/** Remembers the host and port of a control connection (called when it is created). */
export function notePeer(connection: object, peer: Peer): void {
  peers.set(connection, { host: peer.remoteAddress ?? '', port: peer.remotePort ?? 0 });
  idOf(connection);
}

function ref(connection: object): ConnectionRef {
  const peer = peers.get(connection) ?? { host: '', port: 0 };
  return { connectionId: idOf(connection), host: peer.host, port: peer.port };
}

type Without<T> = Omit<T, keyof ConnectionRef>;

/** Publishing, one call per event; `connection` is the control connection object. */
export const publish = {
  connect(connection: object, message: Without<ConnectMessage>): void {
    if (channels.connect.hasSubscribers)
      channels.connect.publish({ ...ref(connection), ...message } satisfies ConnectMessage);
  },
  close(connection: object, reason: Error): void {
    if (channels.close.hasSubscribers) channels.close.publish({ ...ref(connection), reason } satisfies CloseMessage);
  },
  command(connection: object, command: string): void {
    if (channels.command.hasSubscribers)
      channels.command.publish({ ...ref(connection), command } satisfies CommandMessage);
  },
  reply(connection: object, code: number, text: string): void {
    if (channels.reply.hasSubscribers)
      channels.reply.publish({ ...ref(connection), code, text } satisfies ReplyMessage);
  },
  transferStart(connection: object, message: Without<TransferStartMessage>): void {
    if (channels.transferStart.hasSubscribers)
      channels.transferStart.publish({ ...ref(connection), ...message } satisfies TransferStartMessage);
  },
  transferEnd(connection: object, message: Without<TransferEndMessage>): void {
    if (channels.transferEnd.hasSubscribers)
      channels.transferEnd.publish({ ...ref(connection), ...message } satisfies TransferEndMessage);
  },
  /** Start now, end when `run` settles; returns `run` unchanged. */
  transfer<
    T extends {
      bytes: number;
      tlsSessionReused: boolean | undefined;
      dataTls: 'early' | 'after-1xx' | undefined;
      closeNotify: boolean | undefined;
      earlyCloseNotify: boolean | undefined;
      reply: { code: number };
    },
  >(connection: object, command: string, direction: 'upload' | 'download', run: Promise<T>): Promise<T> {
    if (!channels.transferStart.hasSubscribers && !channels.transferEnd.hasSubscribers) return run;
    const started = performance.now();
    this.transferStart(connection, { command, direction });
    const end = (outcome: T | undefined, error: unknown): void =>
      this.transferEnd(connection, {
        command,
        direction,
        bytes: outcome?.bytes,
        durationMs: performance.now() - started,
        tlsSessionReused: outcome?.tlsSessionReused,
        dataTls: outcome?.dataTls,
        closeNotify: outcome?.closeNotify,
        earlyCloseNotify: outcome?.earlyCloseNotify,
        replyCode: outcome?.reply.code,
        error,
      });
    run.then(
      (o) => end(o, undefined),
      (err: unknown) => end(undefined, err),
    );
    return run;
  },
  retry(message: RetryMessage): void {
    if (channels.retry.hasSubscribers) channels.retry.publish(message);
  },
  poolResize(from: number, to: number, max: number): void {
    const channel = to < from ? channels.poolShrink : channels.poolRegrow;
    if (to !== from && channel.hasSubscribers) channel.publish({ from, to, max } satisfies PoolResizeMessage);
  },
};
