#!/bin/sh
# Builds hupd-<version>-<release>.noarch.rpm with rpmbuild from the jars `mvn package` left in
# daemon/target (hupd.jar, lib/). Called by the Maven profile `rpm` (daemon/pom.xml) and by
# rpm/check.sh (for the N+1 release of the upgrade test). Prints the RPM's path last.
#
#   rpm/build.sh [--version MAVEN_VERSION] [--release N] [--target DIR] [--out DIR] [--conf F]
#
# --version  Maven's version (default: read from daemon/target/hupd.jar's manifest); '-' becomes
#            '~' (0.1.0-SNAPSHOT -> 0.1.0~SNAPSHOT, which sorts before the 0.1.0 release)
# --release  RPM release (default 1)
# --target   the folder holding hupd.jar and lib/ (default: daemon/target)
# --out      where the RPM goes (default: <target>/rpm)
# --conf     the default /etc/hupd/hupd.conf to package (default: rpm/hupd.conf; check.sh
#            packages a changed one in N+1 to see the edited file kept and .rpmnew written)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
version=
release=1
target="$repo/daemon/target"
out=
conf="$repo/rpm/hupd.conf"
while [ $# -gt 0 ]; do
  case $1 in
    --version) version=$2; shift 2 ;;
    --release) release=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --conf) conf=$2; shift 2 ;;
    *) echo "rpm/build.sh: unknown argument: $1" >&2; exit 64 ;;
  esac
done
[ -n "$out" ] || out="$target/rpm"
command -v rpmbuild >/dev/null 2>&1 || {
  echo "rpm/build.sh: rpmbuild not found (apt-get install -y rpm)" >&2
  exit 1
}
[ -f "$target/hupd.jar" ] && [ -d "$target/lib" ] || {
  echo "rpm/build.sh: $target/hupd.jar or lib/ missing: run mvn -B -DskipTests package first" >&2
  exit 1
}
if [ -z "$version" ]; then
  # `hupd --version` prints "hupd <version>".
  version=$("${JAVA:-java}" -jar "$target/hupd.jar" --version 2>/dev/null | sed -n 's/^hupd //p')
fi
[ -n "$version" ] || { echo "rpm/build.sh: no version (use --version)" >&2; exit 1; }
rpm_version=$(printf '%s' "$version" | tr '-' '~')
case $release in
  *[!0-9A-Za-z._]* | '') echo "rpm/build.sh: bad release: $release" >&2; exit 64 ;;
esac

work="$out/build-$release"
rm -rf "$work"
mkdir -p "$work/stage" "$out"
cp "$target/hupd.jar" "$work/stage/"
cp -r "$target/lib" "$work/stage/lib"
cp "$repo/rpm/hupd" "$repo/systemd/hupd.service" "$repo/README.md" "$work/stage/"
cp "$conf" "$work/stage/hupd.conf"

rpm="$out/hupd-$rpm_version-$release.noarch.rpm"
rm -f "$rpm"
# Debian's rpm prints "... use alien ..." on stderr even on success: drop that line only.
status=0
rpmbuild -bb --quiet \
  --define "_topdir $work/top" \
  --define "_rpmdir $out" \
  --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
  --define "packager hupd maintainers" \
  --define "hupd_version $rpm_version" \
  --define "hupd_release $release" \
  --define "hupd_stage $work/stage" \
  "$repo/rpm/hupd.spec" >"$work/rpmbuild.log" 2>&1 || status=$?
grep -v 'alien' "$work/rpmbuild.log" >&2 || :
[ "$status" -eq 0 ] || { echo "rpm/build.sh: rpmbuild failed (exit $status)" >&2; exit 1; }
[ -f "$rpm" ] || { echo "rpm/build.sh: rpmbuild did not produce $rpm" >&2; exit 1; }
rm -rf "$work"
echo "$rpm"
