import { ProtocolError } from '../errors.js';
import { parseSize } from './listing/types.js';

/** The byte count of a 213 reply to SIZE: digits only ("0x1F", "1e3" or nothing are protocol errors). */
export function parseSizeReply(text: string): number {
  const size = parseSize(text.trim());
  if (size === undefined) throw new ProtocolError(`Bad SIZE reply: ${text}`);
  return size;
}
