#!/bin/sh
# The hupd RPM and its unit under a real systemd: systemd 252 (Debian bookworm) runs as PID 1 in a
# Docker container, the RPM is installed with rpm(8) so that its scriptlets talk to that systemd,
# and hupd runs as hupd.service on its local-file source. Run by SystemdContainerIT in
# `mvn verify`; needs root, dockerd (.ci/docker-up), rpm/rpmbuild and, the first time only,
# debootstrap and Debian's package mirror (.ci/setup installs debootstrap).
#
#   systemd/container-check.sh [RPM]    (default: the newest daemon/target/rpm/hupd-*.noarch.rpm)
#
# How: the image hupd-test/systemd-bookworm:1 is built once, when missing (debootstrap
# --variant=minbase of bookworm with systemd, dbus and rpm, then `docker import`); nothing is
# pulled from a registry. One container runs /sbin/init with the host's JDK 17 bind-mounted
# read-only, a noexec tmpfs /tmp (as on hardened hosts: the unit must keep Netty's epoll library
# loadable) and no network at all (--network none: hupd reads metadata from a local folder, every
# address in its configuration is loopback). A systemd preset enables hupd.service, so the RPM's
# %post `preset` enables it; release N+1 (built here with rpm/build.sh, a changed default
# hupd.conf) is the upgrade. Checks, each an OK: line or FAIL: and exit 1:
#   a. the unit stays "activating" while the first pass cannot read the metadata (invalid JSON),
#      and becomes "active" only after hupd's READY=1 once it can; StatusText is hupd's STATUS=
#   b. `systemctl reload` makes the running process re-read /etc/hupd/hupd.conf
#   c. a drop-in WatchdogSec=4s: WATCHDOG=1 keeps it alive; a SIGSTOPped JVM is killed for the
#      watchdog and restarted (Restart=on-failure)
#   d. `systemctl stop` ends in Result=success, exit status 0, hupd's stop log line
#   e. `rpm -U` to N+1 keeps it enabled, restarts it, keeps the edited hupd.conf and the state
#   f. `rpm -e` stops and disables it and removes the unit, leaving the state folder
# MEASURE: lines (informational): image build time, idle RSS under systemd, start and stop times.
#
# Safety: no traffic leaves this machine except debootstrap's downloads from Debian's mirror
# (the one in /etc/apt/sources.list.d/debian.sources; HUPD_DEBIAN_MIRROR overrides it). Only the
# image built here is run. The container (hupd-systemd-check-PID) is removed on every exit path by
# a trap, and, should this script be killed outright, powers itself off after
# HUPD_CHECK_LIFETIME seconds (default 900) and is removed by --rm. Nothing else on the machine
# (other containers, images, processes) is touched. Every wait is bounded.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
image=hupd-test/systemd-bookworm:1
name="hupd-systemd-check-$$"
# The host's JDK, mounted at the same path (the launcher looks for /usr/lib/jvm/java-17-openjdk*).
jdk=${HUPD_CHECK_JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
jdk_conf=/etc/java-17-openjdk
lifetime=${HUPD_CHECK_LIFETIME:-900}

rpmfile=${1:-}
if [ -z "$rpmfile" ]; then
  # shellcheck disable=SC2012
  rpmfile=$(ls -t "$repo"/daemon/target/rpm/hupd-*.noarch.rpm 2>/dev/null | head -1)
fi
[ -n "$rpmfile" ] && [ -f "$rpmfile" ] || {
  echo "FAIL: no RPM found: build it with mvn -B -DskipTests package (needs /usr/bin/rpmbuild)"
  exit 1
}
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (docker, debootstrap)"; exit 1; }
for tool in docker rpm rpmbuild; do
  command -v "$tool" >/dev/null 2>&1 || { echo "FAIL: $tool not found (run .ci/setup)"; exit 1; }
done
docker info >/dev/null 2>&1 || { echo "FAIL: dockerd is not running (run .ci/docker-up)"; exit 1; }
[ -x "$jdk/bin/java" ] && [ -d "$jdk_conf" ] || {
  echo "FAIL: $jdk or $jdk_conf missing (apt-get install -y openjdk-17-jdk-headless)"
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/hupd-container-check.XXXXXX")
root=
started=no
failed=no
cleanup() {
  status=$?
  trap - EXIT INT TERM HUP
  if [ "$status" -ne 0 ] && [ "$failed" = no ]; then
    echo "FAIL: stopped by an unexpected error or signal (exit $status)"
  fi
  if [ "$status" -ne 0 ] && [ "$started" = yes ]; then
    echo "---- journalctl -u hupd (last 60 lines) ----"
    docker exec "$name" journalctl -u hupd --no-pager -n 60 2>&1 || :
    echo "---- systemctl status hupd ----"
    docker exec "$name" systemctl status hupd --no-pager 2>&1 || :
  fi
  docker rm -f "$name" >/dev/null 2>&1 || :
  rm -rf "$work"
  [ -z "$root" ] || rm -rf "$root"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

fail() {
  failed=yes
  echo "FAIL: $*"
  exit 1
}
now_ms() { date +%s%3N; }
# Debian's rpm warns "... use Alien instead! / However assuming you know what you are doing..."
quiet_alien() { grep -v -i -e 'alien' -e 'assuming you know what you are doing' || :; }
# cx CMD...: a command in the container; sh_in SCRIPT: a shell script there.
cx() { docker exec "$name" "$@"; }
sh_in() { docker exec "$name" sh -c "$1"; }
prop() { cx systemctl show -p "$1" --value hupd.service; }
# until_true SECONDS WHAT SCRIPT: runs the shell SCRIPT (on this host) every 0.2 s until it
# succeeds; fails naming WHAT after SECONDS.
until_true() {
  limit=$1
  what=$2
  end=$(($(now_ms) + limit * 1000))
  until eval "$3" >/dev/null 2>&1; do
    [ "$(now_ms)" -lt "$end" ] || fail "$what: not within ${limit}s"
    sleep 0.2
  done
}
# mark: remembers the journal's position; since_mark: hupd's journal lines after it.
mark() {
  cursor=$(cx journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p')
  [ -n "$cursor" ] || fail "journalctl printed no cursor"
}
since_mark() { cx journalctl -u hupd.service --no-pager -o cat --after-cursor="$cursor"; }
journal_has() { since_mark | grep -q -- "$1"; }
# rpm_in ARGS...: rpm in the container; fails on a non-zero exit or a scriptlet warning.
rpm_in() {
  st=0
  cx rpm "$@" >"$work/rpm.out" 2>&1 || st=$?
  quiet_alien <"$work/rpm.out" >"$work/rpm.msg"
  [ "$st" -eq 0 ] || fail "rpm $* exited $st: $(cat "$work/rpm.msg")"
  if grep -qi 'scriptlet' "$work/rpm.msg"; then fail "rpm $*: $(cat "$work/rpm.msg")"; fi
  cat "$work/rpm.msg"
}

echo "== $rpmfile"

# ---- the image: built once ----------------------------------------------------------------
if ! docker image inspect "$image" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null 2>&1 \
    || fail "debootstrap not found (run .ci/setup: apt-get install -y debootstrap)"
  mirror=${HUPD_DEBIAN_MIRROR:-}
  if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # The first URIs: line that is not the security archive.
    mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
      /etc/apt/sources.list.d/debian.sources | grep -v security | head -1) || :
  fi
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  echo "building $image: debootstrap bookworm from $mirror"
  t0=$(now_ms)
  root=$(mktemp -d "${TMPDIR:-/var/tmp}/hupd-systemd-root.XXXXXX")
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,rpm bookworm "$root" \
    "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log"
    fail "debootstrap failed (log above)"
  }
  # No package caches in the image; an empty machine-id makes each container boot with its own.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/*
  : >"$root/etc/machine-id"
  tar -C "$root" -c . | docker import --change 'CMD ["/sbin/init"]' - "$image" >/dev/null
  rm -rf "$root"
  root=
  echo "MEASURE: built $image (debootstrap + docker import) in $((($(now_ms) - t0) / 1000)) s"
fi

# ---- release N+1: the same jars, release + 1, a changed default hupd.conf ------------------
next_rpm=$("$repo/rpm/build-next.sh" "$rpmfile" "$work/next" | tail -1)
[ -f "$next_rpm" ] || fail "N+1 build failed"
version=$(rpm -qp --qf '%{VERSION}' "$next_rpm" 2>/dev/null)
next=$(rpm -qp --qf '%{RELEASE}' "$next_rpm" 2>/dev/null)

# ---- the container ------------------------------------------------------------------------
# Docker's --tmpfs mounts are noexec: /tmp here is like a hardened host's.
docker run -d --rm --name "$name" --network none --stop-signal SIGRTMIN+3 \
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
  --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
  -v "$jdk:$jdk:ro" -v "$jdk_conf:$jdk_conf:ro" "$image" /sbin/init >/dev/null
started=yes
until_true 60 "systemd in $name running" \
  'cx systemctl is-system-running | grep -qx -e running -e degraded'
# Should this script be SIGKILLed (no trap runs), the container powers off and --rm removes it.
cx systemd-run -q --unit=hupd-check-lifetime --on-active="$lifetime" \
  /usr/bin/systemctl poweroff >/dev/null 2>&1 || fail "could not arm the container's lifetime"
echo "OK: systemd $(cx systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p') is PID 1 in $name ($(cx systemctl is-system-running))"

docker cp "$rpmfile" "$name:/root/hupd-N.rpm"
docker cp "$next_rpm" "$name:/root/hupd-N1.rpm"
# Debian's rpm database does not know the Java runtime the RPM requires (the host's JDK is
# bind-mounted instead), hence --nodeps on every rpm call.
sh_in 'mkdir -p /etc/systemd/system-preset &&
  echo "enable hupd.service" >/etc/systemd/system-preset/50-hupd-test.preset'
rpm_in -i --nodeps /root/hupd-N.rpm
[ "$(cx systemctl is-enabled hupd.service 2>&1)" = enabled ] \
  || fail "not enabled after install: $(cx systemctl is-enabled hupd.service 2>&1)"
cx test -L /etc/systemd/system/multi-user.target.wants/hupd.service \
  || fail "no multi-user.target.wants/hupd.service symlink"
[ "$(prop ActiveState)" = inactive ] && [ "$(prop MainPID)" = 0 ] \
  || fail "the install started hupd: $(prop ActiveState), MainPID $(prop MainPID)"
echo "OK: install: %post preset enabled hupd.service (multi-user.target.wants) and did not start it"

# ---- the test configuration ---------------------------------------------------------------
# A hook writes the value it saw to a marker file; metadata comes from a local folder; every
# address is loopback (the container has no network anyway).
sh_in 'mkdir -p /etc/cfn/hooks.d /srv/hupd-test/meta /srv/hupd-test/meta2
cat >/etc/cfn/cfn-hup.conf <<EOF
[main]
stack=hupd-container-check
region=eu-west-1
interval=1
EOF
cat >/etc/cfn/hooks.d/marker.conf <<EOF
[marker]
triggers=post.add,post.update
path=Resources.Agent.Metadata.Marker
action=echo "\$CFN_NEW_METADATA" >/srv/hupd-test/marker.tmp && mv /srv/hupd-test/marker.tmp /srv/hupd-test/marker
EOF
cat >>/etc/hupd/hupd.conf <<EOF
# systemd/container-check.sh
source = file:/srv/hupd-test/meta
poll-seconds = 5
import-cfn-hup-state = none
imds-endpoint = http://127.0.0.1:1
status-listen = 127.0.0.1:9779
EOF
echo "{ not json" >/srv/hupd-test/meta/Agent.json'
cx hupd check >"$work/check.out" 2>&1 || fail "hupd check: $(cat "$work/check.out")"

# ---- a. active only after READY=1 ---------------------------------------------------------
mark
cx systemctl start --no-block hupd.service
t0=$(now_ms)
until_true 30 "the first pass failing on the invalid metadata" \
  'journal_has "event=source.failed resource=Agent code=InvalidJson"'
pid=$(prop MainPID)
# While the metadata stays unreadable: several seconds (and passes) "activating", the JVM running.
while [ $(($(now_ms) - t0)) -lt 6000 ]; do
  state=$(prop ActiveState)
  [ "$state" = activating ] || fail "$state (not activating) while the metadata is unreadable"
  [ "$(prop MainPID)" = "$pid" ] && [ "$pid" -gt 0 ] || fail "MainPID $(prop MainPID) (was $pid)"
  sleep 0.5
done
held=$((($(now_ms) - t0) / 1000))
sh_in 'echo "{\"Marker\": \"one\"}" >/srv/hupd-test/Agent.json.new &&
  mv /srv/hupd-test/Agent.json.new /srv/hupd-test/meta/Agent.json'
until_true 30 "active after the metadata was fixed" '[ "$(prop ActiveState)" = active ]'
status_text=$(prop StatusText)
[ "$(prop MainPID)" = "$pid" ] || fail "MainPID changed: $(prop MainPID), was $pid"
since_mark >"$work/a.log"
# hupd logs event=daemon.ready, then sends READY=1: systemd's "active" must not be earlier (same
# kernel clock; journal order is not used, as journald may interleave the two streams either way).
ready_line=$(grep 'event=daemon.ready' "$work/a.log" | head -1)
[ -n "$ready_line" ] || fail "no event=daemon.ready in the journal"
ready_ms=$(date -u -d "$(echo "$ready_line" | cut -d' ' -f1)" +%s%3N)
active_enter=$(cx systemctl show --timestamp=us+utc -p ActiveEnterTimestamp --value hupd.service)
active_ms=$(date -u -d "$active_enter" +%s%3N)
[ "$active_ms" -ge "$ready_ms" ] \
  || fail "active at $active_enter, before hupd's event=daemon.ready: $ready_line"
[ "$(cx cat /srv/hupd-test/marker)" = one ] || fail "hook marker: $(cx cat /srv/hupd-test/marker 2>&1)"
echo "$status_text" | grep -q -e '^Ready: first pass done, 1 actions$' -e '^Last pass ' \
  || fail "StatusText is not hupd's STATUS=: '$status_text'"
echo "OK: a. activating for ${held}s (MainPID $pid) while the metadata was invalid JSON; active $((active_ms - ready_ms)) ms after event=daemon.ready (READY=1), hook marker written; StatusText=$status_text"
cx grep -q ' /tmp tmpfs [^ ]*noexec' /proc/mounts || fail "/tmp is not noexec in the container"
grep -q 'event=systemd.notify socket=' "$work/a.log" || fail "no event=systemd.notify"
echo "OK: a. /tmp is noexec, yet Netty's epoll library loaded (the launcher's io.netty.native.workdir=\$STATE_DIRECTORY): event=systemd.notify"

# idle RSS: about 10 s after ready
active_at=$(now_ms)
sleep 10
rss=$(cx sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$pid/status")
echo "MEASURE: idle RSS of the hupd JVM under systemd (VmRSS, ~$((($(now_ms) - active_at) / 1000)) s after active): $rss"

# ---- b. reload re-reads hupd.conf ---------------------------------------------------------
mark
sh_in 'echo "{\"Marker\": \"two\"}" >/srv/hupd-test/meta2/Agent.json &&
  sed -i "s#^source = file:/srv/hupd-test/meta\$#source = file:/srv/hupd-test/meta2#" /etc/hupd/hupd.conf &&
  grep -qx "source = file:/srv/hupd-test/meta2" /etc/hupd/hupd.conf'
cx systemctl reload hupd.service || fail "systemctl reload hupd exited non-zero"
until_true 30 "event=config.reloaded with the new source" \
  'journal_has "event=config.reloaded hooks=1 source=\"file path=/srv/hupd-test/meta2\""'
until_true 30 "the hook seeing the new source's value" '[ "$(cx cat /srv/hupd-test/marker)" = two ]'
until_true 30 "active after the reload" '[ "$(prop ActiveState)" = active ]'
[ "$(prop MainPID)" = "$pid" ] || fail "reload changed MainPID: $(prop MainPID), was $pid"
journal_has '^Reloaded hupd.service' || fail "systemd logged no Reloaded"
if journal_has 'event=config.reload-rejected'; then fail "the reload was rejected"; fi
echo "OK: b. systemctl reload: same MainPID $pid re-read hupd.conf (event=config.reloaded source=/srv/hupd-test/meta2, hook ran with its value), active again"

# ---- c. watchdog ---------------------------------------------------------------------------
# TimeoutAbortSec is short because a stopped JVM cannot act on SIGABRT; LimitCORE=0 keeps the
# aborted JVM from writing a core file.
sh_in 'mkdir -p /etc/systemd/system/hupd.service.d &&
  printf "[Service]\nWatchdogSec=4s\nTimeoutAbortSec=3s\nLimitCORE=0\n" \
    >/etc/systemd/system/hupd.service.d/watchdog.conf && systemctl daemon-reload'
mark
cx systemctl restart hupd.service || fail "systemctl restart hupd exited non-zero"
[ "$(prop WatchdogUSec)" = 4s ] || fail "WatchdogUSec=$(prop WatchdogUSec) (drop-in not applied)"
pid=$(prop MainPID)
restarts=$(prop NRestarts)
t0=$(now_ms)
while [ $(($(now_ms) - t0)) -lt 13000 ]; do # more than three WatchdogSec periods
  [ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" = "$pid" ] \
    || fail "not kept alive by WATCHDOG=1: $(prop ActiveState), MainPID $(prop MainPID) (was $pid)"
  sleep 0.5
done
journal_has 'event=systemd.notify socket=.* watchdog_every_ms=2000' \
  || fail "hupd did not ping every WatchdogSec/2"
if journal_has 'Watchdog timeout'; then fail "watchdog fired while hupd was pinging"; fi
echo "OK: c. WatchdogSec=4s: WATCHDOG=1 every 2 s kept MainPID $pid active for $((($(now_ms) - t0) / 1000))s"
sh_in "kill -STOP $pid"
until_true 30 "a watchdog timeout" 'journal_has "hupd.service: Watchdog timeout"'
until_true 40 "a restart with a new MainPID, active" \
  '[ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ]'
new_pid=$(prop MainPID)
cx test ! -e "/proc/$pid" || fail "the stopped JVM $pid is still there"
journal_has "Failed with result 'watchdog'" || fail "systemd did not fail it for the watchdog"
[ "$(prop NRestarts)" -gt "$restarts" ] || fail "NRestarts did not grow: $(prop NRestarts)"
cx rm /etc/systemd/system/hupd.service.d/watchdog.conf
cx systemctl daemon-reload
echo "OK: c. SIGSTOP of $pid: systemd killed it for the watchdog (Failed with result 'watchdog') and Restart=on-failure started MainPID $new_pid, active; drop-in removed"
pid=$new_pid

# ---- d. clean stop ------------------------------------------------------------------------
mark
t0=$(now_ms)
cx systemctl stop hupd.service || fail "systemctl stop hupd exited non-zero"
stop_ms=$(($(now_ms) - t0))
result="$(prop Result) $(prop ExecMainCode) $(prop ExecMainStatus)"
# ExecMainCode is the waitid() si_code: 1 = CLD_EXITED (exited normally, not killed).
[ "$result" = "success 1 0" ] || fail "after stop: Result ExecMainCode ExecMainStatus = $result"
[ "$(prop ActiveState)" = inactive ] || fail "after stop: $(prop ActiveState)"
until_true 10 "hupd's stop log line" 'journal_has "event=daemon.stopped exit=0"'
journal_has 'event=daemon.stopping signal=SIGTERM' || fail "no event=daemon.stopping signal=SIGTERM"
cx test ! -e "/proc/$pid" || fail "$pid still runs after stop"
echo "OK: d. systemctl stop: Result=success, exited with status 0 (event=daemon.stopped exit=0)"
echo "MEASURE: systemctl stop took ${stop_ms} ms (TimeoutStopSec=$(prop TimeoutStopUSec))"

# ---- e. upgrade ---------------------------------------------------------------------------
t0=$(now_ms)
cx systemctl start hupd.service || fail "systemctl start hupd exited non-zero"
start_ms=$(($(now_ms) - t0))
[ "$(prop ActiveState)" = active ] || fail "not active after systemctl start: $(prop ActiveState)"
echo "MEASURE: systemctl start to active (READY=1) took ${start_ms} ms"
pid=$(prop MainPID)
conf_before=$(cx sha256sum /etc/hupd/hupd.conf)
cx grep -q '"marker|Resources.Agent.Metadata.Marker" : "two"' /var/lib/hupd/state.json \
  || fail "state.json lacks the hook's value: $(cx cat /var/lib/hupd/state.json 2>&1)"
mark
rpm_in -U --nodeps /root/hupd-N1.rpm
[ "$(cx systemctl is-enabled hupd.service 2>&1)" = enabled ] || fail "not enabled after the upgrade"
until_true 60 "active with a new MainPID after the upgrade" \
  '[ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ]'
journal_has 'event=daemon.stopped exit=0' || fail "the old process did not stop cleanly"
[ "$(cx sha256sum /etc/hupd/hupd.conf)" = "$conf_before" ] || fail "the upgrade changed hupd.conf"
cx cat /etc/hupd/hupd.conf.rpmnew >"$work/rpmnew" 2>/dev/null || fail "no hupd.conf.rpmnew"
cmp -s "$work/rpmnew" "$work/next/hupd-next.conf" || fail "hupd.conf.rpmnew is not N+1's default"
cx grep -q '"marker|Resources.Agent.Metadata.Marker" : "two"' /var/lib/hupd/state.json \
  || fail "the upgrade lost the state"
installed=$(cx rpm -q hupd 2>/dev/null | quiet_alien)
[ "$installed" = "hupd-$version-$next.noarch" ] || fail "rpm -q hupd: $installed"
echo "OK: e. rpm -U to $installed: still enabled, try-restarted (MainPID $pid -> $(prop MainPID)), active, edited hupd.conf kept (.rpmnew written), state kept"
pid=$(prop MainPID)

# ---- f. erase -----------------------------------------------------------------------------
rpm_in -e --nodeps hupd
state=$(prop ActiveState)
[ "$state" = inactive ] || fail "after erase: $state"
enabled=$(cx systemctl is-enabled hupd.service 2>&1) || :
[ "$enabled" != enabled ] || fail "still enabled after erase"
cx test ! -e /etc/systemd/system/multi-user.target.wants/hupd.service \
  || fail "the wants symlink is still there"
cx test ! -e /usr/lib/systemd/system/hupd.service || fail "the unit file is still there"
[ "$(prop LoadState)" = not-found ] || fail "systemd still knows the unit: $(prop LoadState)"
cx test ! -e "/proc/$pid" || fail "hupd ($pid) still runs after erase"
cx test -f /var/lib/hupd/state.json || fail "the erase removed /var/lib/hupd/state.json"
echo "OK: f. rpm -e: stopped (process $pid gone), disabled (no wants symlink), unit file gone, /var/lib/hupd/state.json kept"

echo "systemd/container-check.sh: all checks passed"
