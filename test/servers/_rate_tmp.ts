import { startRealServer, type ServerKind, type TlsMode, type TlsVersion } from './real.js';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
const [kind, mode, v] = process.argv.slice(2) as [ServerKind, TlsMode, TlsVersion];
const s = await startRealServer({ kind, mode, tlsVersion: v });
fs.writeFileSync('/tmp/up256', Buffer.alloc(256 << 10, 7));
let fail = 0; const codes: string[] = [];
for (let i = 0; i < 20; i++) {
  try { execFileSync('curl', ['-sS', ...(mode === 'explicit' ? ['--ssl-reqd'] : []), '--cacert', s.caFile, '-u', 'ftpsuser:ftpspass', '-T', '/tmp/up256', `${mode === 'implicit' ? 'ftps' : 'ftp'}://127.0.0.1:${s.port}/u${i}`], { stdio: ['ignore', 'ignore', 'pipe'] }); }
  catch (e) { fail++; codes.push(String((e as { stderr: Buffer }).stderr).trim()); }
}
console.log(kind, mode, v, `failed ${fail}/20`, [...new Set(codes)].join(' | '));
await s.stop();
