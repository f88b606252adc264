// HTTP CONNECT tunnels (RFC 9110 §9.3.6) with optional Basic proxy authentication.
import net, { type Socket } from 'node:net';
import { ProxyError } from '../errors.js';
import { readReply } from './handshake-reader.js';

const MAX_RESPONSE_BYTES = 16 * 1024;

export interface HttpProxyCredentials {
  username: string;
  password: string;
}

function headerEnd(b: Buffer): number | undefined {
  const i = b.indexOf('\r\n\r\n');
  return i === -1 ? undefined : i + 4;
}

/** Asks the HTTP proxy on `socket` for a tunnel to host:port; resolves once it answered 2xx. */
export async function httpConnect(
  socket: Socket,
  host: string,
  port: number,
  credentials: HttpProxyCredentials | undefined,
  signal: AbortSignal,
  what: string,
): Promise<void> {
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (credentials !== undefined) {
    lines.push(
      `Proxy-Authorization: Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`,
    );
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = (await readReply(socket, headerEnd, MAX_RESPONSE_BYTES, signal, what)).toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3})(?: ([^\r\n]*))?\r\n/.exec(head);
  if (status === null)
    throw new ProxyError('protocol', `${what}: not an HTTP proxy response: ${JSON.stringify(head.slice(0, 60))}`);
  const code = Number(status[1]);
  const text = `${code} ${status[2] ?? ''}`.trim();
  // 407 is the standard answer; tinyproxy answers a wrong password with 401.
  if (code === 407 || code === 401) {
    const why =
      credentials === undefined
        ? 'it requires authentication: put user:password in the proxy URL'
        : 'it refused the user name or password';
    throw new ProxyError('auth', `${what}: the HTTP proxy answered ${text}: ${why}`);
  }
  if (code < 200 || code > 299)
    throw new ProxyError('refused', `${what}: the HTTP proxy would not connect to ${authority}: ${text}`);
}
