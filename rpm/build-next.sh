#!/bin/sh
# Builds release N+1 of an RPM for the upgrade checks (rpm/check.sh, systemd/container-check.sh):
# the same version and jars, release + 1 (or ".1" appended to a non-numeric release), and a
# default /etc/hupd/hupd.conf with one added comment line, so that an upgrade over an edited
# config has to keep the edit and write .rpmnew. Prints the new RPM's path as its last line.
#
#   rpm/build-next.sh RPM OUT-DIR
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
[ "$#" -eq 2 ] || { echo "usage: rpm/build-next.sh RPM OUT-DIR" >&2; exit 64; }
rpmfile=$1 out=$2
version=$(rpm -qp --qf '%{VERSION}' "$rpmfile" 2>/dev/null)
release=$(rpm -qp --qf '%{RELEASE}' "$rpmfile" 2>/dev/null)
case $release in
  *[!0-9]*) next="$release.1" ;;
  *) next=$((release + 1)) ;;
esac
mkdir -p "$out"
cp "$repo/rpm/hupd.conf" "$out/hupd-next.conf"
echo "# (release $next: a changed default, to see the edited file kept and .rpmnew written)" \
  >>"$out/hupd-next.conf"
"$repo/rpm/build.sh" --version "$version" --release "$next" --out "$out" --conf "$out/hupd-next.conf"
