#!/usr/bin/env bash
# Called by `npm test`: installs the real FTP servers for the interop tests when they are missing.
# Needs root (or sudo). Without either, the interop tests skip, except under FTPS_INTEROP_REQUIRED=1
# (CI), where they fail.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ -x /usr/sbin/vsftpd ] && [ -x /opt/ftps-client-servers/usr/sbin/proftpd ] && [ -x /opt/ftps-client-servers/usr/sbin/pure-ftpd ] && id ftpsuser >/dev/null 2>&1 \
  && /usr/bin/python3 -c 'import pyftpdlib.handlers, OpenSSL' >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  bash "$here/install.sh"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo bash "$here/install.sh"
else
  echo "[ensure.sh] real FTP servers missing and no root: interop tests will skip (run: sudo bash test/servers/install.sh)" >&2
fi
