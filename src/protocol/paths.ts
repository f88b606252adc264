import { ProtocolError } from '../errors.js';

/**
 * 257 reply (PWD/MKD): the path between the first pair of quotes, a doubled quote standing for
 * one (RFC 959 Appendix II). Throws ProtocolError when there is no quoted path or it is empty.
 */
export function parsePwdReply(text: string): string {
  const open = text.indexOf('"');
  if (open !== -1) {
    // Slices between quotes, joined once: appending char by char was quadratic on long paths.
    const parts: string[] = [];
    let from = open + 1;
    for (;;) {
      const quote = text.indexOf('"', from);
      if (quote === -1) break;
      parts.push(text.slice(from, quote));
      if (text[quote + 1] === '"') {
        parts.push('"');
        from = quote + 2;
        continue;
      }
      const path = parts.join('');
      if (path === '') break;
      if (path.includes('\0')) throw new ProtocolError(`NUL in 257 path: ${JSON.stringify(text)}`);
      return path;
    }
  }
  throw new ProtocolError(`No quoted path in 257 reply: ${JSON.stringify(text)}`);
}

/**
 * POSIX-style join of a remote folder and a name, with exactly one "/" between them. No
 * normalization: ".." stays as it is. An empty side yields the other.
 */
export function joinRemotePath(dir: string, name: string): string {
  if (dir === '') return name;
  if (name === '') return dir;
  return `${dir.replace(/\/+$/, '')}/${name.replace(/^\/+/, '')}`;
}
