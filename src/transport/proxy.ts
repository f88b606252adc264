// Proxies as socket connectors: the tunnel is opened over a connection to the proxy (made by the
// base connector: direct, or the caller's own), and what comes back is a socket to the target.
import { ConnectionError, FtpsError } from '../errors.js';
import { whenConnected, type ConnectRequest, type SocketConnect } from './connect.js';
import { httpConnect } from './http-connect.js';
import { socks5Connect } from './socks5.js';

/** A parsed `proxy` option. */
export interface ProxySpec {
  protocol: 'socks5' | 'http';
  host: string;
  port: number;
  credentials?: { username: string; password: string } | undefined;
}

/**
 * Parses `socks5://[user:pass@]host:port` (also `socks5h://`: the proxy always resolves the name)
 * and `http://[user:pass@]host:port` (HTTP CONNECT). Throws TypeError naming the option.
 */
export function parseProxyUrl(value: string | URL): ProxySpec {
  let url: URL;
  try {
    url = typeof value === 'string' ? new URL(value) : value;
  } catch (err) {
    throw new TypeError(`Option "proxy" is not a URL: ${String(value)}`, { cause: err });
  }
  const protocol =
    url.protocol === 'socks5:' || url.protocol === 'socks5h:'
      ? 'socks5'
      : url.protocol === 'http:'
        ? 'http'
        : undefined;
  if (protocol === undefined)
    throw new TypeError(`Option "proxy" must be a socks5:// or http:// URL, got ${url.protocol}`);
  if (url.pathname !== '' && url.pathname !== '/') throw new TypeError('Option "proxy" must not have a path');
  const port = url.port === '' ? (protocol === 'socks5' ? 1080 : 8080) : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new TypeError('Option "proxy" needs a host');
  const spec: ProxySpec = { protocol, host, port };
  if (url.username !== '' || url.password !== '') {
    spec.credentials = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  return spec;
}

/** Where a proxy is, for messages: never the credentials. */
export function describeProxy(proxy: ProxySpec): string {
  return `${proxy.protocol} proxy ${proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host}:${proxy.port}`;
}

/** A connector that reaches every target through `proxy`, the proxy itself through `base`. */
export function proxyConnector(proxy: ProxySpec, base: SocketConnect): SocketConnect {
  const name = describeProxy(proxy);
  return async (request: ConnectRequest) => {
    let socket;
    try {
      socket = await whenConnected(await base({ ...request, host: proxy.host, port: proxy.port }), request.signal);
    } catch (err) {
      if (err instanceof FtpsError || request.signal.aborted) throw err;
      throw new ConnectionError(`${name} unreachable: ${(err as Error).message}`, { cause: err });
    }
    try {
      const open = proxy.protocol === 'socks5' ? socks5Connect : httpConnect;
      await open(socket, request.host, request.port, proxy.credentials, request.signal, name);
      return socket;
    } catch (err) {
      socket.destroy();
      throw err;
    }
  };
}
