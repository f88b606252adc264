import { ProtocolError } from '../errors.js';

// Six numbers of at most three digits, not part of a longer run of digits or numbers.
const NUM = String.raw`(?<!\d)(\d{1,3})(?!\d)`;
const SEP = String.raw`\s*,\s*`;
const PASV = new RegExp(
  `(?=\\d)(?<!\\d\\s*,\\s*)${NUM}${SEP}${NUM}${SEP}${NUM}${SEP}${NUM}${SEP}${NUM}${SEP}${NUM}(?!\\s*,\\s*\\d)`,
);
// (|||port|) with any delimiter in 33–126, the same one four times (RFC 2428).
const EPSV = /\(([\x21-\x7e])\1\1(\d{1,5})\1\)/;

/**
 * 227 reply: six comma-separated numbers anywhere in the text, with or without parentheses.
 * The host is returned as sent; callers should connect to the control host instead by default.
 */
export function parsePasvReply(text: string): { host: string; port: number } {
  const m = PASV.exec(text);
  if (m === null) throw new ProtocolError(`No address in PASV reply: ${JSON.stringify(text)}`);
  const n = m.slice(1, 7).map(Number);
  if (n.some((v) => v > 255)) throw new ProtocolError(`PASV number out of range: ${JSON.stringify(text)}`);
  const [a, b, c, d, p1, p2] = n as [number, number, number, number, number, number];
  const port = p1 * 256 + p2;
  if (port < 1) throw new ProtocolError(`PASV port out of range: ${JSON.stringify(text)}`);
  return { host: `${a}.${b}.${c}.${d}`, port };
}

/** 229 reply: the port from "(<d><d><d>port<d>)". */
export function parseEpsvReply(text: string): number {
  const m = EPSV.exec(text);
  if (m === null) throw new ProtocolError(`No port in EPSV reply: ${JSON.stringify(text)}`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new ProtocolError(`EPSV port out of range: ${JSON.stringify(text)}`);
  return port;
}
