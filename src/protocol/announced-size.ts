// The size a server announces in the 1xx reply to RETR, e.g. vsftpd and proftpd:
// "150 Opening BINARY mode data connection for f.bin (1048576 bytes)." Pure; no I/O.

/** Up to 15 digits keeps the value a safe integer. */
const ANNOUNCED = /\((\d{1,15}) bytes?\)/gi;

/** The byte count announced in a 1xx reply's text, if any (the last "(N bytes)"); undefined otherwise. */
export function parseAnnouncedSize(text: string): number | undefined {
  let size: number | undefined;
  for (const match of text.matchAll(ANNOUNCED)) size = Number(match[1]);
  return size;
}
