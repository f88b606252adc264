import { ProtocolError } from '../errors.js';

/**
 * 257 reply (PWD/MKD): the path between the first pair of quotes, a doubled quote standing for
 * one (RFC 959 Appendix II). Throws ProtocolError when there is no quoted path or it is empty.
 */
export function parsePwdReply(text: string): string {
  const open = text.indexOf('"');
  if (open !== -1) {
    let path = '';
    for (let i = open + 1; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '"') {
        path += ch;
      } else if (text[i + 1] === '"') {
        path += '"';
        i++;
      } else {
        if (path === '') break;
        if (path.includes('\0')) throw new ProtocolError(`NUL in 257 path: ${JSON.stringify(text)}`);
        return path;
      }
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
