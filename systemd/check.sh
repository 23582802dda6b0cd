#!/bin/sh
# CI check of the systemd unit: `systemd-analyze verify` must print nothing at all (it exits 0
# on typos such as an unknown key or a bad Type=, so any output fails the check), then
# `systemd-analyze security --offline=yes` prints the exposure table and score; an exposure
# above MAX_EXPOSURE (default: the current 8.4) fails too, so hardening cannot silently regress.
#
#   systemd/check.sh [UNIT_FILE]      (default: systemd/hupd.service)
#
# verify checks that ExecStart=/ExecReload= binaries exist: it runs against a scratch root
# holding a copy of this host's system units, the unit, /bin/sh (ExecReload) and a stub
# /usr/bin/hupd (or the real launcher when HUPD_LAUNCHER names one, e.g. from an RPM scratch root).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
unit=${1:-"$here/hupd.service"}
max=${MAX_EXPOSURE:-8.4}
command -v systemd-analyze >/dev/null 2>&1 || {
  echo "systemd/check.sh: systemd-analyze not found (apt-get install -y systemd)" >&2
  exit 1
}
name=$(basename "$unit")
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/usr/lib/systemd"
ln -s usr/bin "$root/bin"
units=/usr/lib/systemd/system
[ -d "$units" ] || units=/lib/systemd/system
cp -a "$units" "$root/usr/lib/systemd/system"
cp "$unit" "$root/usr/lib/systemd/system/$name"
# ExecReload= runs /bin/sh (its built-in kill); verify only checks that the file is executable.
cp -L /bin/sh "$root/usr/bin/sh"
if [ -n "${HUPD_LAUNCHER:-}" ]; then
  cp "$HUPD_LAUNCHER" "$root/usr/bin/hupd"
else
  printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/hupd"
fi
chmod 0755 "$root/usr/bin/hupd"

out=$(systemd-analyze verify --man=no --root="$root" "$name" 2>&1) || {
  echo "FAIL: systemd-analyze verify $name exited non-zero:"
  echo "$out"
  exit 1
}
if [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify $name printed (any output fails):"
  echo "$out"
  exit 1
fi
echo "OK: systemd-analyze verify $name: no output"

status=0
systemd-analyze security --offline=yes --threshold=100 "$unit" 2>&1 || status=$?
score=$(systemd-analyze security --offline=yes "$unit" 2>&1 \
  | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { echo "FAIL: no exposure score printed (exit $status)"; exit 1; }
if awk -v s="$score" -v m="$max" 'BEGIN { exit !(s > m) }'; then
  echo "FAIL: exposure $score is above $max (MAX_EXPOSURE)"
  exit 1
fi
echo "OK: exposure $score (limit $max)"
