// Active-mode commands (RFC 959 PORT, RFC 2428 EPRT). Pure: the caller supplies the address.
import { InvalidArgumentError } from '../errors.js';

// The caller passes socket addresses (already valid); these only tell the families apart.
const isIPv4 = (a: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(a) && a.split('.').every((n) => Number(n) <= 255);
const isIPv6 = (a: string): boolean => a.includes(':') && /^[0-9a-f:.]+$/i.test(a);

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as the plain IPv4 address; other addresses unchanged. */
export function plainAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

/** `EPRT |1|1.2.3.4|5678|` or `EPRT |2|::1|5678|`. */
export function eprtCommand(address: string, port: number): string {
  const host = plainAddress(address);
  const family = isIPv4(host) ? 1 : isIPv6(host) ? 2 : 0;
  if (family === 0) throw new InvalidArgumentError(`Not an IP address for EPRT: ${JSON.stringify(address)}`);
  return `EPRT |${family}|${host}|${port}|`;
}

/** `PORT h1,h2,h3,h4,p1,p2` (IPv4 only); undefined for an IPv6 address, which PORT cannot name. */
export function portCommand(address: string, port: number): string | undefined {
  const host = plainAddress(address);
  if (!isIPv4(host)) return undefined;
  return `PORT ${host.split('.').join(',')},${Math.floor(port / 256)},${port % 256}`;
}
