#!/bin/sh
# CI checks of the hupd RPM (run by RpmPackageIT in `mvn verify`, after the `rpm` profile built
# it in `package`). Needs rpm, rpmlint and busybox-static (.ci/setup installs them) and root
# (rpm --root chroots to run the scriptlets). Never touches this machine's own rpm database or
# files: everything happens in scratch roots under a temporary folder.
#
#   rpm/check.sh [RPM]        (default: the newest daemon/target/rpm/hupd-*.noarch.rpm)
#
# 1. rpmlint (filters in rpm/hupd.rpmlintrc): no errors; warnings are listed.
# 2. rpm -qpil / -qpc / --qf modes / -qpR / --scripts: the expected files, modes, config file,
#    runtime requirement and scriptlets.
# 3. A scratch root where systemd "runs" (busybox /bin/sh, a systemctl stub that logs its
#    arguments, /run/systemd/system): install N, edit /etc/hupd/hupd.conf, add state, upgrade to
#    N+1 (release + 1, with a changed default config), erase. Checks the systemctl calls of each
#    step, the edited config kept (.rpmnew written, .rpmsave on erase), the unit and state kept
#    over the upgrade, the files gone and the state kept after the erase.
# 4. The same lifecycle in a root without systemctl and in one whose systemctl fails (systemd
#    not running): every step exits 0 and no scriptlet fails.
# 5. Measures: RPM size, installed size, `hupd --version` run from the scratch root's files.
# Lines starting with OK:/FAIL:/MEASURE: are what the test asserts on.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
rpmfile=${1:-}
if [ -z "$rpmfile" ]; then
  # shellcheck disable=SC2012
  rpmfile=$(ls -t "$repo"/daemon/target/rpm/hupd-*.noarch.rpm 2>/dev/null | head -1)
fi
[ -n "$rpmfile" ] && [ -f "$rpmfile" ] || {
  echo "FAIL: no RPM found: build it with mvn -B -DskipTests package (needs /usr/bin/rpmbuild)"
  exit 1
}
for tool in rpm rpmlint rpmbuild; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "FAIL: $tool not found (run .ci/setup: apt-get install -y rpm rpmlint)"
    exit 1
  }
done
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "FAIL: $busybox not found (apt-get install -y busybox-static)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "FAIL: rpm --root needs root (it chroots for scriptlets)"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/hupd-rpm-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# Debian's rpm warns "... use Alien instead! / However assuming you know what you are doing..."
# when it installs or erases: keep everything else.
quiet_alien() { grep -v -i -e 'alien' -e 'assuming you know what you are doing' || :; }

echo "== $rpmfile"

# ---- 1. rpmlint ---------------------------------------------------------------------------
lint=$(rpmlint -r "$repo/rpm/hupd.rpmlintrc" "$rpmfile" 2>&1) || :
echo "$lint" | grep -v 'W: jar-not-indexed' | grep -E ': [EW]: |checked;' || :
echo "$lint" | grep -c 'W: jar-not-indexed' | sed 's/^/(and jar-not-indexed warnings: /; s/$/)/'
errors=$(echo "$lint" | sed -n 's/.* \([0-9][0-9]*\) errors*,.*/\1/p')
warnings=$(echo "$lint" | sed -n 's/.* \([0-9][0-9]*\) warnings*,.*/\1/p')
[ -n "$errors" ] || fail "rpmlint printed no summary:
$lint"
[ "$errors" -eq 0 ] || fail "rpmlint: $errors error(s)"
echo "OK: rpmlint: 0 errors, $warnings warnings"

# ---- 2. queries ---------------------------------------------------------------------------
q() { rpm -qp "$@" "$rpmfile" 2>&1 | quiet_alien; }
q -il
files=$(q -l | grep -v '^/usr/share/hupd/lib/.*\.jar$')
expected="/etc/hupd
/etc/hupd/hupd.conf
/usr/bin/hupd
/usr/lib/systemd/system/hupd.service
/usr/share/doc/hupd
/usr/share/doc/hupd/README.md
/usr/share/hupd
/usr/share/hupd/hupd.jar
/usr/share/hupd/lib
/var/lib/hupd"
[ "$files" = "$expected" ] || fail "file list differs; expected (besides lib/*.jar):
$expected
got:
$files"
jars=$(q -l | grep -c '^/usr/share/hupd/lib/.*\.jar$') || :
[ "$jars" -ge 1 ] || fail "no jars under /usr/share/hupd/lib"
echo "OK: files: launcher, hupd.jar + $jars jars in lib/, config, unit, doc, state folder"
[ "$(q -c)" = "/etc/hupd/hupd.conf" ] || fail "config files: $(q -c)"
modes=$(q --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]' \
  | grep -v '/lib/.*\.jar$')
echo "$modes"
echo "$modes" | grep -qx 'drwx------ root:root  /var/lib/hupd' || fail "/var/lib/hupd is not 0700 root"
echo "$modes" | grep -qx -- '-rwxr-xr-x root:root  /usr/bin/hupd' || fail "/usr/bin/hupd mode"
echo "$modes" | grep -qx -- '-rw-r--r-- root:root cn /etc/hupd/hupd.conf' \
  || fail "/etc/hupd/hupd.conf is not %config(noreplace) 0644"
echo "$modes" | grep -qx -- '-rw-r--r-- root:root  /usr/lib/systemd/system/hupd.service' \
  || fail "the unit is not a plain 0644 file"
echo "OK: modes: /var/lib/hupd 0700, /etc/hupd/hupd.conf %config(noreplace), unit not %config"
q -R | grep -q 'java-headless >= 1:17' || fail "no Java runtime requirement: $(q -R)"
echo "OK: requires: $(q -R | grep java-headless)"
scripts=$(q --scripts)
echo "$scripts"
for want in 'postinstall scriptlet' 'systemctl --no-reload preset hupd.service' \
  'preuninstall scriptlet' 'systemctl --no-reload disable --now hupd.service' \
  'postuninstall scriptlet' 'systemctl --no-block try-restart hupd.service' 'systemctl daemon-reload'; do
  echo "$scripts" | grep -qF -- "$want" || fail "scriptlets lack: $want"
done
echo "OK: scriptlets: post preset (first install), preun disable --now (erase), postun try-restart (upgrade), daemon-reload"

# ---- N+1: the same jars, release + 1, a changed default config ----------------------------
next_rpm=$("$repo/rpm/build-next.sh" "$rpmfile" "$work/next" | tail -1)
[ -f "$next_rpm" ] || fail "N+1 build failed"
version=$(rpm -qp --qf '%{VERSION}' "$next_rpm" 2>/dev/null)
next=$(rpm -qp --qf '%{RELEASE}' "$next_rpm" 2>/dev/null)
echo "OK: built N+1: $(basename "$next_rpm")"

# ---- 3./4. scratch roots ------------------------------------------------------------------
# mkroot DIR MODE: busybox as /bin/sh; MODE running: a systemctl stub logging to
# /var/log/systemctl.calls and /run/systemd/system; absent: no systemctl; offline: a systemctl
# that fails as on a host not booted with systemd.
mkroot() {
  r=$1
  mkdir -p "$r/usr/bin" "$r/usr/sbin" "$r/etc" "$r/dev" "$r/tmp" "$r/var/log" "$r/run"
  ln -s usr/bin "$r/bin"
  ln -s usr/sbin "$r/sbin"
  cp "$busybox" "$r/usr/bin/busybox"
  for a in sh cat echo mkdir rm ls test; do ln -s busybox "$r/usr/bin/$a"; done
  mknod -m 0666 "$r/dev/null" c 1 3 2>/dev/null || : >"$r/dev/null"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
  echo 'root:x:0:' >"$r/etc/group"
  case $2 in
    running)
      mkdir -p "$r/run/systemd/system"
      printf '#!/bin/sh\necho "$*" >>/var/log/systemctl.calls\nexit 0\n' >"$r/usr/bin/systemctl"
      chmod 0755 "$r/usr/bin/systemctl"
      ;;
    offline)
      printf '#!/bin/sh\necho "System has not been booted with systemd as init system (PID 1)." >&2\nexit 1\n' \
        >"$r/usr/bin/systemctl"
      chmod 0755 "$r/usr/bin/systemctl"
      ;;
  esac
}
# rpmr ROOT ARGS...: rpm in the root; fails on a non-zero exit or any scriptlet warning.
rpmr() {
  r=$1
  shift
  st=0
  rpm --root "$r" --dbpath /var/lib/rpm "$@" >"$work/rpm.out" 2>&1 || st=$?
  quiet_alien <"$work/rpm.out" >"$work/rpm.msg"
  [ "$st" -eq 0 ] || fail "rpm $* exited $st: $(cat "$work/rpm.msg")"
  if grep -qi 'scriptlet' "$work/rpm.msg"; then fail "rpm $*: $(cat "$work/rpm.msg")"; fi
  cat "$work/rpm.msg"
}
calls() { cat "$1/var/log/systemctl.calls" 2>/dev/null || :; }
resetcalls() { rm -f "$1/var/log/systemctl.calls"; }
present() { for f in "$@"; do [ -e "$R$f" ] || fail "$f missing in $R"; done; }
absent() { for f in "$@"; do [ ! -e "$R$f" ] || fail "$f still there in $R"; done; }

R="$work/root-running"
mkroot "$R" running
rpmr "$R" -i --nodeps "$rpmfile"
present /usr/bin/hupd /usr/share/hupd/hupd.jar /usr/share/hupd/lib /etc/hupd/hupd.conf \
  /usr/lib/systemd/system/hupd.service /var/lib/hupd /usr/share/doc/hupd/README.md
[ "$(stat -c %a "$R/var/lib/hupd")" = 700 ] || fail "/var/lib/hupd not 0700 after install"
[ "$(calls "$R")" = "daemon-reload
--no-reload preset hupd.service" ] || fail "install called systemctl: $(calls "$R")"
echo "OK: install: files in place, systemctl daemon-reload + preset hupd.service"
rpmr "$R" -V --nodeps hupd
echo "OK: rpm -V: clean"

# measurements (before the upgrade, on release N's files)
size=$(stat -c %s "$rpmfile")
isize=$(q --qf '%{SIZE}')
echo "MEASURE: rpm file $(basename "$rpmfile"): $size bytes ($((size / 1024)) KiB)"
echo "MEASURE: installed size (rpm -qpi Size): $isize bytes ($((isize / 1024)) KiB)"
host_java=${JAVA:-$(command -v java)}
ver=$(JAVA="$host_java" timeout 60 "$R/usr/bin/hupd" --version 2>&1) \
  || fail "$R/usr/bin/hupd --version: $ver"
echo "MEASURE: $R/usr/bin/hupd --version (JAVA=$host_java): $ver"
echo "OK: the installed launcher runs: $ver"

# the operator edits the config; hupd has written state
echo "# edited by the operator" >>"$R/etc/hupd/hupd.conf"
echo "poll-seconds = 60" >>"$R/etc/hupd/hupd.conf"
edited=$(cat "$R/etc/hupd/hupd.conf")
echo '{"hooks":{}}' >"$R/var/lib/hupd/state.json"
chmod 0600 "$R/var/lib/hupd/state.json"
resetcalls "$R"
rpmr "$R" -U --nodeps "$next_rpm"
[ "$(cat "$R/etc/hupd/hupd.conf")" = "$edited" ] || fail "upgrade changed the edited config"
[ -f "$R/etc/hupd/hupd.conf.rpmnew" ] || fail "upgrade wrote no hupd.conf.rpmnew"
cmp -s "$R/etc/hupd/hupd.conf.rpmnew" "$work/next/hupd-next.conf" || fail ".rpmnew is not N+1's default"
cmp -s "$R/usr/lib/systemd/system/hupd.service" "$repo/systemd/hupd.service" \
  || fail "the unit is missing or changed after the upgrade"
present /usr/bin/hupd /usr/share/hupd/hupd.jar /var/lib/hupd/state.json
[ "$(stat -c %a "$R/var/lib/hupd")" = 700 ] || fail "/var/lib/hupd not 0700 after upgrade"
[ "$(rpm --root "$R" --dbpath /var/lib/rpm -q --qf '%{RELEASE}' hupd 2>/dev/null)" = "$next" ] \
  || fail "installed release is not $next"
c=$(calls "$R")
echo "$c" | grep -qx -- '--no-block try-restart hupd.service' || fail "upgrade did not try-restart --no-block: $c"
echo "$c" | grep -q 'disable\|preset\|stop' && fail "upgrade disabled, stopped or re-preset hupd: $c"
echo "OK: upgrade to release $next: edited hupd.conf kept, hupd.conf.rpmnew written, unit and state kept; systemctl: $(echo "$c" | tr '\n' ';')"

resetcalls "$R"
rpmr "$R" -e hupd
absent /usr/bin/hupd /usr/share/hupd /usr/lib/systemd/system/hupd.service /usr/share/doc/hupd
present /var/lib/hupd/state.json /etc/hupd/hupd.conf.rpmsave
[ "$(cat "$R/etc/hupd/hupd.conf.rpmsave")" = "$edited" ] || fail "the edited config was not saved"
c=$(calls "$R")
echo "$c" | grep -qx -- '--no-reload disable --now hupd.service' || fail "erase did not disable --now: $c"
echo "$c" | grep -q 'try-restart' && fail "erase tried to restart: $c"
echo "OK: erase: files gone, state kept (/var/lib/hupd/state.json), edited config saved as hupd.conf.rpmsave; systemctl: $(echo "$c" | tr '\n' ';')"

for mode in absent offline; do
  R="$work/root-$mode"
  mkroot "$R" "$mode"
  rpmr "$R" -i --nodeps "$rpmfile"
  rpmr "$R" -U --nodeps "$next_rpm"
  present /usr/bin/hupd /usr/lib/systemd/system/hupd.service /var/lib/hupd
  rpmr "$R" -e hupd
  absent /usr/bin/hupd /usr/lib/systemd/system/hupd.service
  case $mode in
    absent) echo "OK: systemctl absent: install, upgrade, erase succeed, no scriptlet failed" ;;
    offline) echo "OK: systemd not running: install, upgrade, erase succeed, no scriptlet failed" ;;
  esac
done

echo "rpm/check.sh: all checks passed"
