// Ways to deliver one byte fixture: whole, in two chunks split at every offset, and one byte at a time.
export interface Chunking {
  label: string;
  chunks: Buffer[];
}

export function chunkings(bytes: Buffer): Chunking[] {
  const out: Chunking[] = [{ label: 'whole', chunks: [bytes] }];
  for (let i = 1; i < bytes.length; i++) {
    out.push({ label: `split at ${i}`, chunks: [bytes.subarray(0, i), bytes.subarray(i)] });
  }
  out.push({ label: 'bytewise', chunks: [...bytes].map((b) => Buffer.from([b])) });
  return out;
}

/** Feeds chunks to `push`, collecting every result in order. */
export function feedAll<T>(chunks: Buffer[], push: (chunk: Buffer) => T[]): T[] {
  const out: T[] = [];
  for (const c of chunks) out.push(...push(c));
  return out;
}
