// SOCKS5 CONNECT (RFC 1928) with optional username/password authentication (RFC 1929). The
// target's name goes to the proxy as a name (ATYP 3): the proxy resolves it, as in curl's socks5h.
import net, { type Socket } from 'node:net';
import { ProxyError } from '../errors.js';
import { readReply } from './handshake-reader.js';

export interface Socks5Credentials {
  username: string;
  password: string;
}

const REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

const exactly =
  (n: number) =>
  (b: Buffer): number | undefined =>
    b.length >= n ? n : undefined;

/** The length of a CONNECT reply: VER REP RSV ATYP BND.ADDR BND.PORT. */
function connectReplyLength(b: Buffer): number | undefined {
  if (b.length < 5) return undefined;
  const atyp = b[3];
  const addr = atyp === 1 ? 4 : atyp === 4 ? 16 : atyp === 3 ? 1 + (b[4] ?? 0) : 0;
  if (addr === 0) return b.length; // malformed: take what is there, the check below refuses it
  return b.length >= 4 + addr + 2 ? 4 + addr + 2 : undefined;
}

function addressField(host: string): Buffer {
  if (net.isIPv4(host)) return Buffer.from([1, ...host.split('.').map(Number)]);
  if (net.isIPv6(host)) return Buffer.concat([Buffer.from([4]), ipv6Bytes(host)]);
  const name = Buffer.from(host, 'utf8');
  if (name.length > 255) throw new ProxyError('protocol', `Host name too long for SOCKS5: ${host}`);
  return Buffer.concat([Buffer.from([3, name.length]), name]);
}

/** The 16 bytes of an IPv6 address in text form (net.isIPv6 already passed). */
export function ipv6Bytes(text: string): Buffer {
  let address = text.replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    address = `${address.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail = ''] = address.split('::');
  const part = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = part(head);
  const t = part(tail);
  const words = address.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(parseInt(w, 16), i * 2));
  return out;
}

/** Asks the SOCKS5 proxy on `socket` to connect to host:port; resolves once the tunnel is open. */
export async function socks5Connect(
  socket: Socket,
  host: string,
  port: number,
  credentials: Socks5Credentials | undefined,
  signal: AbortSignal,
  what: string,
): Promise<void> {
  const methods = credentials === undefined ? [0x00] : [0x00, 0x02];
  socket.write(Buffer.from([5, methods.length, ...methods]));
  const choice = await readReply(socket, exactly(2), 2, signal, what);
  if (choice[0] !== 5)
    throw new ProxyError('protocol', `${what}: not a SOCKS5 proxy (version byte ${choice[0] ?? '-'})`);
  const method = choice[1];
  if (method === 0x02 && credentials !== undefined) {
    const user = Buffer.from(credentials.username, 'utf8');
    const pass = Buffer.from(credentials.password, 'utf8');
    if (user.length > 255 || pass.length > 255)
      throw new ProxyError('auth', `${what}: SOCKS5 user name and password are limited to 255 bytes`);
    socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
    const status = await readReply(socket, exactly(2), 2, signal, what);
    if (status[1] !== 0) throw new ProxyError('auth', `${what}: the SOCKS5 proxy refused the user name or password`);
  } else if (method !== 0x00) {
    const why =
      method === 0xff
        ? credentials === undefined
          ? 'it requires authentication: put user:password in the proxy URL'
          : 'no acceptable authentication method'
        : `it chose method ${String(method)}`;
    throw new ProxyError('auth', `${what}: the SOCKS5 proxy refused: ${why}`);
  }
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port);
  socket.write(Buffer.concat([Buffer.from([5, 1, 0]), addressField(host), portBytes]));
  const reply = await readReply(socket, connectReplyLength, 262, signal, what);
  if (reply[0] !== 5 || connectReplyLength(reply) !== reply.length)
    throw new ProxyError('protocol', `${what}: malformed SOCKS5 reply`);
  const rep = reply[1] ?? 1;
  if (rep !== 0)
    throw new ProxyError(
      'refused',
      `${what}: the SOCKS5 proxy could not connect to ${host}:${port}: ${REPLIES[rep] ?? `reply ${rep}`}`,
    );
}
