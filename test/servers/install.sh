#!/usr/bin/env bash
# Install real FTP servers for interop tests (Debian 12, run as root). Idempotent.
#   - vsftpd:    installed normally with apt (never left running)
#   - proftpd:   proftpd-core + proftpd-mod-crypto extracted into /opt/ftps-client-servers
#   - pure-ftpd: extracted into /opt/ftps-client-servers
# (the three packages conflict through "Provides: ftp-server", so only vsftpd is apt-installed)
# Also creates the system user ftpsuser / ftpspass used by vsftpd (PAM login).
set -euo pipefail

PREFIX=/opt/ftps-client-servers
FTP_USER=ftpsuser
FTP_PASS=ftpspass
POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=/usr/sbin/policy-rc.d.ftps-client-backup

log() { printf '[install.sh] %s\n' "$*"; }
die() { printf '[install.sh] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root: sudo bash $0"
command -v apt-get >/dev/null || die "apt-get not found (Debian/Ubuntu only)"

export DEBIAN_FRONTEND=noninteractive
START=$(date +%s)

# --- keep apt from starting daemons -----------------------------------------------------------
restore_policy() {
  if [ -e "$POLICY_BACKUP" ]; then
    mv -f "$POLICY_BACKUP" "$POLICY"
  elif [ -e "$POLICY" ] && grep -q 'ftps-client install.sh' "$POLICY" 2>/dev/null; then
    rm -f "$POLICY"
  fi
}
if [ -e "$POLICY" ] && ! grep -q 'ftps-client install.sh' "$POLICY" 2>/dev/null; then
  [ -e "$POLICY_BACKUP" ] || mv -f "$POLICY" "$POLICY_BACKUP"
fi
printf '#!/bin/sh\n# ftps-client install.sh: temporary, keeps apt from starting daemons\nexit 101\n' >"$POLICY"
chmod 0755 "$POLICY"
TMPDIR_DL=""
cleanup() {
  local rc=$?
  restore_policy
  if [ -n "$TMPDIR_DL" ]; then rm -rf "$TMPDIR_DL"; fi
  exit "$rc"
}
trap cleanup EXIT

# --- apt ---------------------------------------------------------------------------------------
# Shared libraries that the extracted proftpd/pure-ftpd binaries need but do not get through apt.
EXTRA_LIBS=(libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23 libssl3 libcap2 libpam0g libwrap0)
# Real proxies for the proxy interop tests (started by the tests on loopback, never as services).
PROXY_PKGS=(dante-server tinyproxy)
# tmux: the real-terminal test of the CLI's progress bars (test/cli/tmux.test.ts).
APT_PKGS=(vsftpd openssl curl ca-certificates tmux "${EXTRA_LIBS[@]}" "${PROXY_PKGS[@]}")
# WAN benchmark contender (lftp pget) and the early-data-TLS fallback server (stock pyftpdlib).
APT_PKGS+=(lftp python3-pyftpdlib python3-openssl)

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
need_download=0
[ -x "$PREFIX/usr/sbin/proftpd" ] && [ -f "$PREFIX/usr/lib/proftpd/mod_tls.so" ] && [ -x "$PREFIX/usr/sbin/pure-ftpd" ] && [ -x "$PREFIX/usr/bin/pure-pw" ] || need_download=1

if [ "${#missing[@]}" -gt 0 ] || [ "$need_download" -eq 1 ]; then
  log "apt-get update"
  apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install -y ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "apt packages already installed: ${APT_PKGS[*]}"
fi

# --- proftpd + pure-ftpd into a private prefix --------------------------------------------------
if [ "$need_download" -eq 1 ]; then
  TMPDIR_DL=$(mktemp -d /tmp/ftps-client-debs.XXXXXX)
  chmod 0777 "$TMPDIR_DL"   # apt-get download runs as _apt
  log "apt-get download proftpd-core proftpd-mod-crypto pure-ftpd (in $TMPDIR_DL)"
  (cd "$TMPDIR_DL" && apt-get download -qq proftpd-core proftpd-mod-crypto pure-ftpd)
  mkdir -p "$PREFIX"
  for deb in "$TMPDIR_DL"/*.deb; do
    log "dpkg-deb -x $(basename "$deb") $PREFIX"
    dpkg-deb -x "$deb" "$PREFIX"
  done
else
  log "proftpd and pure-ftpd already extracted in $PREFIX"
fi

# --- shared libraries ---------------------------------------------------------------------------
check_ldd() {
  local f="$1" out
  out=$(LD_LIBRARY_PATH="$PREFIX/usr/lib/x86_64-linux-gnu:$PREFIX/usr/lib" ldd "$f" 2>&1 || true)
  if printf '%s\n' "$out" | grep -q 'not found'; then
    printf '%s\n' "$out" | grep 'not found' | sed "s|^|  $f: |" >&2
    return 1
  fi
}
ldd_ok=1
for f in "$PREFIX/usr/sbin/proftpd" "$PREFIX/usr/lib/proftpd/mod_tls.so" "$PREFIX/usr/sbin/pure-ftpd" "$PREFIX/usr/bin/pure-pw" /usr/sbin/vsftpd; do
  [ -e "$f" ] || die "missing $f after extraction"
  check_ldd "$f" || ldd_ok=0
done
[ "$ldd_ok" -eq 1 ] || die "shared libraries missing (see above): add their packages to EXTRA_LIBS"
log "ldd: all shared libraries resolved"

# --- stock vsftpd must not run -------------------------------------------------------------------
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now vsftpd >/dev/null 2>&1 || true
fi
if pids=$(pgrep -x vsftpd 2>/dev/null); then
  for pid in $pids; do
    # only kill the stock daemon (started with /etc/vsftpd.conf or no argument)
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    case "$args" in
      *"/etc/vsftpd.conf"*|"/usr/sbin/vsftpd "|"vsftpd ") log "stopping stock vsftpd (pid $pid)"; kill "$pid" 2>/dev/null || true ;;
    esac
  done
fi

# --- user for vsftpd (PAM) ---------------------------------------------------------------------
if ! id "$FTP_USER" >/dev/null 2>&1; then
  log "creating system user $FTP_USER"
  useradd --system --create-home --home-dir "/home/$FTP_USER" --shell /bin/bash "$FTP_USER"
else
  log "user $FTP_USER exists"
fi
[ "$(getent passwd "$FTP_USER" | cut -d: -f7)" = /bin/bash ] || usermod --shell /bin/bash "$FTP_USER"
echo "$FTP_USER:$FTP_PASS" | chpasswd
grep -qx /bin/bash /etc/shells || echo /bin/bash >>/etc/shells
if [ -f /etc/ftpusers ] && grep -qx "$FTP_USER" /etc/ftpusers; then
  sed -i "/^${FTP_USER}\$/d" /etc/ftpusers
fi
# vsftpd's secure_chroot_dir (default /var/run/vsftpd/empty) must exist
mkdir -p /var/run/vsftpd/empty

# --- versions ----------------------------------------------------------------------------------
log "vsftpd:    $(dpkg-query -W -f='${Version}' vsftpd)"
log "proftpd:   $("$PREFIX/usr/sbin/proftpd" -v 2>&1 | head -1)"
log "pure-ftpd: $("$PREFIX/usr/sbin/pure-ftpd" --help 2>&1 | head -1 || true)"
log "done in $(( $(date +%s) - START )) s"
