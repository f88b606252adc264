#!/usr/bin/env bash
# Publish check: packs the package, checks the tarball's contents, installs it into two scratch projects
# (ESM and CommonJS TypeScript, module nodenext), type-checks them against the shipped types and runs
# the README quick start, `require('ftps-client')`, examples/testing.test.ts and the fault-free examples (all of
# examples/ type-checked there) against ftps-client/testing.
# Needs a build (dist/). Uses the repo's TypeScript and @types/node; the tarball's dependencies come from npm.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$repo/.tmp/pack-check
rm -rf "$work" && mkdir -p "$work"

tarball=$work/$(npm pack --silent --pack-destination "$work" | tail -1)
echo "== $(basename "$tarball"): $(tar tzf "$tarball" | wc -l) files, $(du -k "$tarball" | cut -f1) KiB"
files=$(tar tzf "$tarball")
for need in dist/index.js dist/index.d.ts dist/testing/index.js dist/testing/index.d.ts dist/testing/certs.js \
            docs/testing.md docs/errors.md docs/api/README.md docs/api/ftps-client/README.md \
            docs/api/ftps-client/testing/README.md README.md LICENSE package.json; do
  grep -qx "package/$need" <<<"$files" || { echo "missing from the tarball: $need"; exit 1; }
done
if bad=$(grep -E '^package/(test|bench|examples|src|\.ci)/|\.test\.|fixtures|\.(key|pem)$' <<<"$files"); then
  echo "must not be in the tarball:"; echo "$bad"; exit 1
fi

tsc() { node "$repo/node_modules/typescript/bin/tsc" "$@"; }
scratch() {   # scratch NAME TYPE: a project with the tarball installed
  local dir=$work/$1
  mkdir -p "$dir" && cd "$dir"
  printf '{ "name": "scratch-%s", "private": true, "type": "%s" }\n' "$1" "$2" > package.json
  npm install --silent --no-audit --no-fund "$tarball"
  cat > tsconfig.json <<JSON
{ "compilerOptions": { "target": "ES2022", "module": "nodenext", "moduleResolution": "nodenext",
  "lib": ["ES2023", "esnext.disposable"], "strict": true, "outDir": "out", "skipLibCheck": false,
  "types": ["node"], "typeRoots": ["$repo/node_modules/@types"] }, "include": ["*.ts", "*.mts", "*.cts"] }
JSON
}

echo "== ESM project: README quick start, and examples/ copied in as they are, against ftps-client/testing"
scratch esm module
cp "$repo"/examples/*.ts .
# The examples that need no scripted fault (the others' set-ups are in test/helpers/run-example.ts),
# each against a fresh test server, as a user would run them: FTPS_URL and FTPS_CA.
cat > run-examples.ts <<'TS'
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { startTestServer } from 'ftps-client/testing';

for (const name of ['demo', 'pool', 'mirror', 'object-storage']) {
  await using server = await startTestServer();
  writeFileSync('ca.pem', server.ca);
  const env = { ...process.env, FTPS_URL: server.url, FTPS_CA: 'ca.pem' };
  await promisify(execFile)(process.execPath, [`out/${name}.js`], { env, timeout: 60_000 }).catch((err: { stdout?: string; stderr?: string }) => {
    throw new Error(`examples/${name}.ts failed in a fresh project:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  });
  await server.waitForIdle();
  console.log(`examples/${name}.ts OK`);
}
TS
cat > quickstart.ts <<'TS'
import { writeFileSync, readFileSync } from 'node:fs';
import { FtpsClient } from 'ftps-client';
import { startTestServer } from 'ftps-client/testing';

await using server = await startTestServer({ files: { '/backups/.keep': '' } });
writeFileSync('./backup.tar.gz', 'backup bytes');
{
  await using client = await FtpsClient.connect(server.connectOptions);
  await client.upload('./backup.tar.gz', '/backups/backup.tar.gz');
  for (const entry of await client.list('/backups')) console.log(entry.type, entry.name, entry.size);
  await client.download('/backups/backup.tar.gz', './restored.tar.gz');
}
if (readFileSync('./restored.tar.gz', 'utf8') !== 'backup bytes') throw new Error('restored copy differs');
await server.waitForIdle();
console.log('quick start OK');
TS
tsc -p .
node out/quickstart.js
node --test out/testing.test.js
node out/run-examples.js

echo "== CommonJS project: require('ftps-client') and its types"
scratch cjs commonjs
cat > main.ts <<'TS'
import { FtpsClient, FtpsError, TlsError } from 'ftps-client';
import { startTestServer } from 'ftps-client/testing';

async function main(): Promise<void> {
  const server = await startTestServer({ mode: 'implicit', files: { '/a.txt': 'hello' } });
  const client = await FtpsClient.connect(server.connectOptions);
  const size: number = await client.size('/a.txt');
  await client.close();
  await server.stop();
  if (size !== 5) throw new Error(`size ${size}`);
  if (!(new TlsError('x') instanceof FtpsError)) throw new Error('instanceof');
  console.log('require() OK:', typeof require('ftps-client').FtpsClient);
}
main().catch((err) => { console.error(err); process.exit(1); });
TS
tsc -p .
grep -q "require(\"ftps-client\")" out/main.js || { echo "not compiled to require()"; exit 1; }
node out/main.js
echo "== pack check passed"
