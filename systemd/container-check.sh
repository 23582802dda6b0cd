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
# hupd.conf) is the upgrade (and N again, with --oldpackage, a downgrade through the same
# scriptlets). N+1 is built from this repository's packaging files, so the unit's values (h) are
# checked on the RPM under test, before any upgrade. hupd's hooks are a marker writer and /srv/hupd-test/slow NAME SECONDS, an action
# that writes NAME.start, sleeps and writes NAME.end. The checks run in one container, each an
# OK: line or FAIL: (with the journal and `systemctl status`) and exit 1; the unit's behaviours
# first, so that a broken unit is caught by the behaviour it breaks where it breaks one:
#   a. the unit stays "activating" while the first pass cannot read the metadata (invalid JSON),
#      and becomes "active" only after hupd's READY=1 once it can; StatusText is hupd's STATUS=;
#      Netty's epoll library loads although /tmp is noexec
#   b. `systemctl reload` makes the running process re-read /etc/hupd/hupd.conf; an invalid one
#      is rejected: same process, active again, StatusText "reload rejected", the old
#      configuration still applies changes; fixed and reloaded: "configuration reloaded"
#   c. a drop-in setting HUPD_JAVA_OPTS keeps the noexec-/tmp fix (READY, event=systemd.notify)
#   d. an invalid hupd.conf at start: `systemctl start` fails, exit status 78, "failed", and
#      RestartPreventExitStatus keeps it from being restarted past RestartSec; the journal names
#      the file and the key
#   e. with a drop-in TimeoutStartSec=6s, a first pass whose action runs 12 s: the same process
#      stays "activating" and turns "active" after the action (EXTEND_TIMEOUT_USEC), no start
#      timeout, no restart
#   f. a drop-in WatchdogSec=4s: WATCHDOG=1 keeps it alive when idle and through a pass of two
#      5 s actions; a SIGSTOPped JVM is killed for the watchdog and restarted (Restart=on-failure)
#   g. `systemctl stop` ends in Result=success, exit status 0, hupd's stop log line; with an 8 s
#      action running, that action is not killed (KillMode=mixed, hupd's stop-timeout) and the
#      stop still ends in success once it is done
#   h. the installed unit's values (systemctl show, no drop-ins): Type=notify, NotifyAccess=main,
#      WatchdogSec=35min, TimeoutStartSec=5min, TimeoutStopSec=12min, KillMode=mixed,
#      Restart=on-failure, RestartSec=5s, RestartPreventExitStatus 78 and 64, SuccessExitStatus 143
#   i. `rpm -U` to N+1 keeps it enabled, restarts it, keeps the edited hupd.conf and the state;
#      an upgrade while it is stopped leaves it stopped, one while it is disabled leaves it disabled
#   j. `rpm -e` stops and disables it and removes the unit, leaving the state folder
# MEASURE: lines (informational): image build time, idle RSS under systemd, start and stop times,
# the long first pass and the stop with an action running. A run takes about two minutes.
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
# sctl ARGS...: a systemctl call that waits (start, stop, restart), bounded: exit 124 after 90 s.
sctl() { cx timeout 90 systemctl "$@"; }
# put FILE: writes this script's stdin to FILE in the container.
put() { docker exec -i "$name" sh -c 'cat >"$1"' put "$1"; }
# meta JSON: the metadata of resource Agent in hupd's file source, replaced atomically.
meta() {
  printf '%s\n' "$1" | put /srv/hupd-test/Agent.json.new
  cx mv /srv/hupd-test/Agent.json.new "$metadir/Agent.json"
}
metadir=/srv/hupd-test/meta
# stamp NAME: what /srv/hupd-test/slow wrote to NAME (epoch milliseconds), empty if nothing.
stamp() { cx cat "/srv/hupd-test/$1" 2>/dev/null || :; }
# ms_at TIMESTAMP: a systemd timestamp (systemctl show --timestamp=us+utc) in epoch milliseconds.
ms_at() { date -u -d "$1" +%s%3N; }
prop_ms() { ms_at "$(cx systemctl show --timestamp=us+utc -p "$1" --value hupd.service)"; }
# no_jobs: systemd's job queue is empty (a --no-block job from a scriptlet has run).
no_jobs() { [ -z "$(cx systemctl list-jobs --no-legend 2>/dev/null)" ]; }
dropins=/etc/systemd/system/hupd.service.d
# dropin NAME TEXT: a drop-in /etc/systemd/system/hupd.service.d/NAME.conf with [Service] TEXT,
# then daemon-reload; undrop NAME removes it.
dropin() {
  cx mkdir -p "$dropins"
  printf '[Service]\n%s\n' "$2" | put "$dropins/$1.conf"
  cx systemctl daemon-reload
}
undrop() {
  cx rm "$dropins/$1.conf"
  cx systemctl daemon-reload
}
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
# until_status SECONDS TEXT: StatusText becomes TEXT within SECONDS (polled: a pass's STATUS= may
# replace a READY=1's 10 s later); fails with the last StatusText seen.
until_status() {
  end=$(($(now_ms) + $1 * 1000))
  until [ "$(prop StatusText)" = "$2" ]; do
    [ "$(now_ms)" -lt "$end" ] || fail "StatusText '$(prop StatusText)', not '$2' within ${1}s"
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
# The marker hook writes the value it saw to a file; the other hooks run /srv/hupd-test/slow
# (NAME.start, a sleep, NAME.end, each stamp in epoch milliseconds; same kernel clock as this
# host). Metadata comes from a local folder; every address is loopback (the container has no
# network anyway). Hook actions are ConfigParser values: no " ;" in them (a comment there).
cx mkdir -p /etc/cfn/hooks.d /srv/hupd-test/meta /srv/hupd-test/meta2
put /etc/cfn/cfn-hup.conf <<'EOF'
[main]
stack=hupd-container-check
region=eu-west-1
interval=1
EOF
put /etc/cfn/hooks.d/marker.conf <<'EOF'
[marker]
triggers=post.add,post.update
path=Resources.Agent.Metadata.Marker
action=echo "$CFN_NEW_METADATA" >/srv/hupd-test/marker.tmp && mv /srv/hupd-test/marker.tmp /srv/hupd-test/marker
EOF
put /srv/hupd-test/slow <<'EOF'
#!/bin/sh
# slow NAME SECONDS
date +%s%3N >"/srv/hupd-test/$1.start"
sleep "$2"
date +%s%3N >"/srv/hupd-test/$1.end"
EOF
cx chmod 0755 /srv/hupd-test/slow
# first: the long first pass (e); slow-a and slow-b: one change, two actions in one pass (f);
# linger: the action a stop waits for (g).
put /etc/cfn/hooks.d/slow.conf <<'EOF'
[first]
triggers=post.add,post.update
path=Resources.Agent.Metadata.First
action=/srv/hupd-test/slow first 12

[slow-a]
triggers=post.add,post.update
path=Resources.Agent.Metadata.Slow
action=/srv/hupd-test/slow slow-a 5

[slow-b]
triggers=post.add,post.update
path=Resources.Agent.Metadata.Slow
action=/srv/hupd-test/slow slow-b 5

[linger]
triggers=post.add,post.update
path=Resources.Agent.Metadata.Linger
action=/srv/hupd-test/slow linger 8
EOF
docker exec -i "$name" sh -c 'cat >>/etc/hupd/hupd.conf' <<'EOF'
# systemd/container-check.sh
source = file:/srv/hupd-test/meta
poll-seconds = 5
import-cfn-hup-state = none
imds-endpoint = http://127.0.0.1:1
status-listen = 127.0.0.1:9779
EOF
echo "{ not json" | put /srv/hupd-test/meta/Agent.json
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
meta '{"Marker": "one"}'
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
active_ms=$(ms_at "$active_enter")
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

# ---- b. reload re-reads hupd.conf; an invalid one is rejected -------------------------------
mark
metadir=/srv/hupd-test/meta2
meta '{"Marker": "two"}'
cx sed -i 's#^source = file:/srv/hupd-test/meta$#source = file:/srv/hupd-test/meta2#' /etc/hupd/hupd.conf
cx grep -qx "source = file:/srv/hupd-test/meta2" /etc/hupd/hupd.conf || fail "sed on hupd.conf"
cx systemctl reload hupd.service || fail "systemctl reload hupd exited non-zero"
until_true 30 "event=config.reloaded with the new source" \
  'journal_has "event=config.reloaded hooks=5 source=\"file path=/srv/hupd-test/meta2\""'
until_true 30 "the hook seeing the new source's value" '[ "$(cx cat /srv/hupd-test/marker)" = two ]'
until_true 30 "active after the reload" '[ "$(prop ActiveState)" = active ]'
[ "$(prop MainPID)" = "$pid" ] || fail "reload changed MainPID: $(prop MainPID), was $pid"
journal_has '^Reloaded hupd.service' || fail "systemd logged no Reloaded"
if journal_has 'event=config.reload-rejected'; then fail "the reload was rejected"; fi
echo "OK: b. systemctl reload: same MainPID $pid re-read hupd.conf (event=config.reloaded source=/srv/hupd-test/meta2, hook ran with its value), active again"

# An unknown key: hupd refuses the file and keeps running on the previous configuration.
cx cp /etc/hupd/hupd.conf /root/hupd.conf.good
mark
cx sh -c 'echo "no-such-key = 1" >>/etc/hupd/hupd.conf'
cx systemctl reload hupd.service || fail "systemctl reload hupd (invalid hupd.conf) exited non-zero"
until_true 30 "event=config.reload-rejected" 'journal_has "event=config.reload-rejected"'
until_status 9 "Ready: reload rejected (invalid configuration, see the log); previous configuration kept"
until_true 30 "active after the rejected reload" '[ "$(prop ActiveState)" = active ]'
[ "$(prop MainPID)" = "$pid" ] || fail "the rejected reload changed MainPID: $(prop MainPID), was $pid"
journal_has 'event=config.invalid problem="/etc/hupd/hupd.conf:[0-9]*: \[hupd\] no-such-key: unknown key' \
  || fail "the journal does not name hupd.conf and no-such-key"
if journal_has 'event=config.reloaded'; then fail "the invalid hupd.conf was swapped in"; fi
meta '{"Marker": "three"}'
until_true 30 "the kept configuration applying a change (marker three)" \
  '[ "$(cx cat /srv/hupd-test/marker)" = three ]'
[ "$(prop MainPID)" = "$pid" ] && [ "$(prop ActiveState)" = active ] \
  || fail "after the rejected reload: $(prop ActiveState), MainPID $(prop MainPID) (was $pid)"
echo "OK: b. systemctl reload with an unknown key in hupd.conf: rejected (event=config.reload-rejected, the journal names the file and key), same MainPID $pid, active, StatusText=Ready: reload rejected ...; the previous configuration still applied a change"
cx cp /root/hupd.conf.good /etc/hupd/hupd.conf
mark
cx systemctl reload hupd.service || fail "systemctl reload hupd (restored hupd.conf) exited non-zero"
until_true 30 "event=config.reloaded after the fix" 'journal_has "event=config.reloaded hooks=5"'
until_status 9 "Ready: configuration reloaded"
until_true 30 "active after the reload" '[ "$(prop ActiveState)" = active ]'
[ "$(prop MainPID)" = "$pid" ] || fail "reload changed MainPID: $(prop MainPID), was $pid"
echo "OK: b. hupd.conf fixed, systemctl reload: event=config.reloaded, StatusText=Ready: configuration reloaded, same MainPID $pid"

# ---- c. a drop-in's HUPD_JAVA_OPTS keeps the noexec-/tmp fix ----------------------------------
dropin java-opts 'Environment=HUPD_JAVA_OPTS=-Xmx80m'
mark
sctl restart hupd.service || fail "systemctl restart hupd with HUPD_JAVA_OPTS=-Xmx80m failed"
[ "$(prop ActiveState)" = active ] || fail "not active with HUPD_JAVA_OPTS set: $(prop ActiveState)"
pid=$(prop MainPID)
cmdline=$(cx sh -c "tr '\0' ' ' </proc/$pid/cmdline")
case $cmdline in
  *-Dio.netty.native.workdir=/var/lib/hupd*-Xmx80m*) ;;
  *) fail "the JVM's command line lacks the workdir or the drop-in's option: $cmdline" ;;
esac
journal_has 'event=systemd.notify socket=' || fail "no event=systemd.notify with HUPD_JAVA_OPTS set"
undrop java-opts
echo "OK: c. a drop-in Environment=HUPD_JAVA_OPTS=-Xmx80m: active (READY=1), event=systemd.notify, the JVM has -Xmx80m and -Dio.netty.native.workdir=/var/lib/hupd; drop-in removed"

# ---- d. invalid configuration at start: exit 78, not restarted -----------------------------
sctl stop hupd.service || fail "systemctl stop hupd exited non-zero"
cx cp /etc/hupd/hupd.conf /root/hupd.conf.good
cx sh -c 'echo "stop-timeout = soon" >>/etc/hupd/hupd.conf'
mark
st=0
sctl start hupd.service >"$work/start.out" 2>&1 || st=$?
[ "$st" -ne 124 ] || fail "systemctl start with an invalid hupd.conf did not return within 90 s"
[ "$st" -ne 0 ] || fail "systemctl start succeeded with an invalid hupd.conf"
# A restart would show as SubState=auto-restart (waiting RestartSec) or a new start.
until_true 15 "the start failing" \
  '[ "$(prop ActiveState)" = failed ] || [ "$(prop SubState)" = auto-restart ]'
[ "$(prop ActiveState)" = failed ] \
  || fail "exit $(prop ExecMainStatus) is to be restarted: $(prop ActiveState) ($(prop SubState))"
result="$(prop Result) $(prop ExecMainCode) $(prop ExecMainStatus)"
[ "$result" = "exit-code 1 78" ] || fail "Result ExecMainCode ExecMainStatus = $result, not exit-code 1 78"
restart_sec=$(prop RestartUSec)
echo "$restart_sec" | grep -qx '[0-9]*s' || fail "RestartUSec=$restart_sec: not whole seconds"
restarts=$(prop NRestarts)
hold=$((${restart_sec%s} + 3))
t0=$(now_ms)
while [ $(($(now_ms) - t0)) -lt $((hold * 1000)) ]; do
  [ "$(prop ActiveState)" = failed ] && [ "$(prop NRestarts)" = "$restarts" ] \
    || fail "restarted after exit 78: $(prop ActiveState), NRestarts $(prop NRestarts) (was $restarts)"
  sleep 0.5
done
if journal_has 'Scheduled restart job'; then fail "systemd scheduled a restart after exit 78"; fi
journal_has 'event=config.invalid problem="/etc/hupd/hupd.conf:[0-9]*: \[hupd\] stop-timeout: not a duration' \
  || fail "the journal does not name hupd.conf and stop-timeout"
cx cp /root/hupd.conf.good /etc/hupd/hupd.conf
cx systemctl reset-failed hupd.service
[ "$(prop ActiveState)" = inactive ] || fail "after reset-failed: $(prop ActiveState)"
echo "OK: d. an invalid hupd.conf (stop-timeout = soon): systemctl start failed, exit status 78, failed and not restarted for ${hold}s (RestartSec=$restart_sec, NRestarts $restarts), the journal names /etc/hupd/hupd.conf and stop-timeout; restored, reset-failed"

# ---- e. a first pass longer than TimeoutStartSec --------------------------------------------
dropin timeout-start 'TimeoutStartSec=6s'
[ "$(prop TimeoutStartUSec)" = 6s ] || fail "TimeoutStartUSec=$(prop TimeoutStartUSec) (drop-in not applied)"
meta '{"Marker": "three", "First": "f1"}'
mark
cx systemctl start --no-block hupd.service
t0=$(now_ms)
pid=
restarts=
# The same process "activating" (never deactivating, failed or restarted) until "active".
while :; do
  state=$(prop ActiveState)
  p=$(prop MainPID)
  if [ -z "$pid" ] && [ "$p" -gt 0 ]; then
    pid=$p
    restarts=$(prop NRestarts)
  fi
  [ -z "$pid" ] || [ "$p" = "$pid" ] || fail "MainPID $p (was $pid) during the long first pass"
  case $state in
    active) break ;;
    activating) ;;
    inactive) [ -z "$pid" ] || fail "inactive during the long first pass" ;;
    *) fail "$state ($(prop SubState)) during the long first pass" ;;
  esac
  [ $(($(now_ms) - t0)) -lt 60000 ] || fail "not active within 60 s of the long first pass"
  sleep 0.3
done
[ -n "$(stamp first.end)" ] || fail "active before the first pass's 12 s action ended"
start_ms=$(prop_ms ExecMainStartTimestamp)
active_ms=$(prop_ms ActiveEnterTimestamp)
activating=$((active_ms - start_ms))
# The premise: the start really lasted longer than TimeoutStartSec.
[ "$activating" -gt 6000 ] || fail "activating only ${activating} ms: not longer than TimeoutStartSec"
[ "$(prop NRestarts)" = "$restarts" ] || fail "NRestarts $(prop NRestarts) (was $restarts)"
if since_mark | grep -qi 'start operation timed out'; then fail "systemd's start timeout fired"; fi
if journal_has 'Scheduled restart job'; then fail "systemd restarted hupd"; fi
journal_has 'hook=first event=action.succeeded' || fail "the first pass's action did not succeed"
first_pass=$(since_mark | sed -n 's/.*event=daemon.ready first_pass_ms=\([0-9]*\).*/\1/p' | head -1)
undrop timeout-start
echo "OK: e. TimeoutStartSec=6s and a 12 s action in the first pass: MainPID $pid activating for ${activating} ms, then active after the action ended; no start timeout, NRestarts unchanged (EXTEND_TIMEOUT_USEC); drop-in removed"
echo "MEASURE: the long first pass took ${first_pass} ms (event=daemon.ready first_pass_ms)"

# ---- f. watchdog ---------------------------------------------------------------------------
# TimeoutAbortSec is short because a stopped JVM cannot act on SIGABRT; LimitCORE=0 keeps the
# aborted JVM from writing a core file.
dropin watchdog "$(printf 'WatchdogSec=4s\nTimeoutAbortSec=3s\nLimitCORE=0')"
mark
sctl restart hupd.service || fail "systemctl restart hupd exited non-zero"
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
echo "OK: f. WatchdogSec=4s: WATCHDOG=1 every 2 s kept MainPID $pid active for $((($(now_ms) - t0) / 1000))s"

# One change, two 5 s actions in one pass: the pass outlasts WatchdogSec.
mark
meta '{"Marker": "three", "First": "f1", "Slow": "s1"}'
t0=$(now_ms)
until [ -n "$(stamp slow-b.end)" ]; do
  [ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" = "$pid" ] \
    || fail "during a pass of two 5 s actions: $(prop ActiveState), MainPID $(prop MainPID) (was $pid)"
  [ $(($(now_ms) - t0)) -lt 40000 ] || fail "the two 5 s actions did not end within 40 s"
  sleep 0.3
done
a_start=$(stamp slow-a.start) a_end=$(stamp slow-a.end) b_start=$(stamp slow-b.start)
b_end=$(stamp slow-b.end)
[ -n "$a_end" ] && [ "$b_start" -ge "$a_end" ] || fail "slow-a ($a_start-$a_end) did not end before slow-b ($b_start-$b_end)"
[ $((b_end - a_start)) -gt 4000 ] || fail "the two actions took only $((b_end - a_start)) ms"
until_true 10 "both actions recorded as succeeded" \
  'journal_has "hook=slow-a event=action.succeeded" && journal_has "hook=slow-b event=action.succeeded"'
[ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" = "$pid" ] \
  || fail "after the pass of two actions: $(prop ActiveState), MainPID $(prop MainPID) (was $pid)"
if journal_has 'Watchdog timeout'; then fail "watchdog fired during the pass of two actions"; fi
[ "$(prop NRestarts)" = "$restarts" ] || fail "NRestarts $(prop NRestarts) (was $restarts)"
# Recorded before the SIGSTOP below, or the restarted process would run slow-b again.
until_true 10 "slow-b's value in state.json" \
  'cx grep -q "\"slow-b|Resources.Agent.Metadata.Slow\" : \"s1\"" /var/lib/hupd/state.json'
echo "OK: f. WatchdogSec=4s and one pass of two 5 s actions ($((b_end - a_start)) ms): both succeeded, same MainPID $pid, no watchdog timeout, NRestarts unchanged"

sh_in "kill -STOP $pid"
until_true 30 "a watchdog timeout" 'journal_has "hupd.service: Watchdog timeout"'
until_true 40 "a restart with a new MainPID, active" \
  '[ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ]'
new_pid=$(prop MainPID)
cx test ! -e "/proc/$pid" || fail "the stopped JVM $pid is still there"
journal_has "Failed with result 'watchdog'" || fail "systemd did not fail it for the watchdog"
[ "$(prop NRestarts)" -gt "$restarts" ] || fail "NRestarts did not grow: $(prop NRestarts)"
undrop watchdog
echo "OK: f. SIGSTOP of $pid: systemd killed it for the watchdog (Failed with result 'watchdog') and Restart=on-failure started MainPID $new_pid, active; drop-in removed"
pid=$new_pid

# ---- g. clean stop; a stop while an action runs ---------------------------------------------
mark
t0=$(now_ms)
sctl stop hupd.service || fail "systemctl stop hupd exited non-zero"
stop_ms=$(($(now_ms) - t0))
result="$(prop Result) $(prop ExecMainCode) $(prop ExecMainStatus)"
# ExecMainCode is the waitid() si_code: 1 = CLD_EXITED (exited normally, not killed).
[ "$result" = "success 1 0" ] || fail "after stop: Result ExecMainCode ExecMainStatus = $result"
[ "$(prop ActiveState)" = inactive ] || fail "after stop: $(prop ActiveState)"
until_true 10 "hupd's stop log line" 'journal_has "event=daemon.stopped exit=0"'
journal_has 'event=daemon.stopping signal=SIGTERM' || fail "no event=daemon.stopping signal=SIGTERM"
cx test ! -e "/proc/$pid" || fail "$pid still runs after stop"
echo "OK: g. systemctl stop: Result=success, exited with status 0 (event=daemon.stopped exit=0)"
echo "MEASURE: systemctl stop took ${stop_ms} ms (TimeoutStopSec=$(prop TimeoutStopUSec))"

sctl start hupd.service || fail "systemctl start hupd exited non-zero"
pid=$(prop MainPID)
meta '{"Marker": "three", "First": "f1", "Slow": "s1", "Linger": "l1"}'
until_true 20 "the 8 s action starting" '[ -n "$(stamp linger.start)" ]'
mark
t0=$(now_ms)
# Bounded well below stop-timeout (60 s): hupd must exit once the action is done.
st=0
cx timeout 30 systemctl stop hupd.service || st=$?
[ "$st" -ne 124 ] || fail "systemctl stop with an 8 s action running did not end within 30 s"
[ "$st" -eq 0 ] || fail "systemctl stop hupd (an action running) exited $st"
stop_ms=$(($(now_ms) - t0))
linger_end=$(stamp linger.end)
[ -n "$linger_end" ] || fail "the running action was killed by the stop (no linger.end)"
# The premise: the action was still running when the stop began.
[ "$linger_end" -gt "$t0" ] || fail "the action had ended before the stop ($linger_end <= $t0)"
result="$(prop Result) $(prop ExecMainCode) $(prop ExecMainStatus)"
[ "$result" = "success 1 0" ] || fail "after stop (an action running): Result ExecMainCode ExecMainStatus = $result"
until_true 10 "hupd's stop log line" 'journal_has "event=daemon.stopped exit=0"'
journal_has 'event=daemon.stopping signal=SIGTERM action_grace=' || fail "no event=daemon.stopping with action_grace"
journal_has 'hook=linger event=action.succeeded' || fail "the action did not succeed"
cx test ! -e "/proc/$pid" || fail "$pid still runs after stop"
echo "OK: g. systemctl stop while an 8 s action ran: the action was not killed (linger.end written $((linger_end - t0)) ms after the stop began, hook=linger event=action.succeeded), Result=success, exited with status 0"
echo "MEASURE: systemctl stop with the action running took ${stop_ms} ms"

# ---- h. the shipped unit's values ------------------------------------------------------------
[ -z "$(prop DropInPaths)" ] || fail "drop-ins left: $(prop DropInPaths)"
# Debian's merged /usr: systemd may name /usr/lib/systemd/system as /lib/systemd/system.
case $(prop FragmentPath) in
  /usr/lib/systemd/system/hupd.service | /lib/systemd/system/hupd.service) ;;
  *) fail "FragmentPath=$(prop FragmentPath), not the RPM's unit" ;;
esac
cx systemctl show -p Type -p NotifyAccess -p WatchdogUSec -p TimeoutStartUSec -p TimeoutStopUSec \
  -p KillMode -p Restart -p RestartUSec -p RestartPreventExitStatus -p SuccessExitStatus \
  hupd.service >"$work/unit.show"
# value KEY: KEY's value in that output.
value() { sed -n "s/^$1=//p" "$work/unit.show"; }
for kv in Type=notify NotifyAccess=main WatchdogUSec=35min TimeoutStartUSec=5min \
  TimeoutStopUSec=12min KillMode=mixed Restart=on-failure RestartUSec=5s; do
  [ "$(value "${kv%%=*}")" = "${kv#*=}" ] \
    || fail "the shipped unit has ${kv%%=*}=$(value "${kv%%=*}"), expected ${kv#*=}"
done
for kv in RestartPreventExitStatus=78 RestartPreventExitStatus=64 SuccessExitStatus=143; do
  echo " $(value "${kv%%=*}") " | grep -q " ${kv#*=} " \
    || fail "the shipped unit's ${kv%%=*} ('$(value "${kv%%=*}")') lacks ${kv#*=}"
done
echo "OK: h. the installed unit (no drop-ins): $(tr '\n' ' ' <"$work/unit.show" | sed 's/ $//')"

# ---- i. upgrades ----------------------------------------------------------------------------
t0=$(now_ms)
sctl start hupd.service || fail "systemctl start hupd exited non-zero"
start_ms=$(($(now_ms) - t0))
[ "$(prop ActiveState)" = active ] || fail "not active after systemctl start: $(prop ActiveState)"
echo "MEASURE: systemctl start to active (READY=1) took ${start_ms} ms"
pid=$(prop MainPID)
conf_before=$(cx sha256sum /etc/hupd/hupd.conf)
cx grep -q '"marker|Resources.Agent.Metadata.Marker" : "three"' /var/lib/hupd/state.json \
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
cx grep -q '"marker|Resources.Agent.Metadata.Marker" : "three"' /var/lib/hupd/state.json \
  || fail "the upgrade lost the state"
installed=$(cx rpm -q hupd 2>/dev/null | quiet_alien)
[ "$installed" = "hupd-$version-$next.noarch" ] || fail "rpm -q hupd: $installed"
echo "OK: i. rpm -U to $installed: still enabled, try-restarted (MainPID $pid -> $(prop MainPID)), active, edited hupd.conf kept (.rpmnew written), state kept"

# In an upgrade the new package's %post and the old one's %postun run; N+1 is built from this
# repository, so each case goes in the direction that runs the RPM under test's scriptlet.
# Disabled (and stopped), back to N (--oldpackage, N's %post): not enabled again, although the
# preset says "enable".
sctl stop hupd.service || fail "systemctl stop hupd exited non-zero"
cx systemctl disable -q hupd.service
[ "$(cx systemctl is-enabled hupd.service 2>&1)" = disabled ] || fail "systemctl disable hupd"
mark
rpm_in -U --oldpackage --nodeps /root/hupd-N.rpm
until_true 30 "systemd's job queue empty after the upgrade" no_jobs
enabled=$(cx systemctl is-enabled hupd.service 2>&1) || :
[ "$enabled" = disabled ] || fail "an upgrade while disabled left it $enabled"
cx test ! -e /etc/systemd/system/multi-user.target.wants/hupd.service \
  || fail "an upgrade while disabled re-created the wants symlink"
[ "$(prop ActiveState)" = inactive ] || fail "an upgrade while disabled and stopped: $(prop ActiveState)"
echo "OK: i. rpm -U --oldpackage to $(cx rpm -q hupd 2>/dev/null | quiet_alien) while disabled: still disabled (no wants symlink), still inactive"

# Stopped (enabled), to N+1 (N's %postun): not started.
cx systemctl enable -q hupd.service
mark
rpm_in -U --nodeps /root/hupd-N1.rpm
until_true 30 "systemd's job queue empty after the upgrade" no_jobs
[ "$(prop ActiveState)" = inactive ] && [ "$(prop MainPID)" = 0 ] \
  || fail "an upgrade while stopped started hupd: $(prop ActiveState), MainPID $(prop MainPID)"
if journal_has '^Start'; then fail "an upgrade while stopped started hupd: $(since_mark | grep '^Start')"; fi
[ "$(cx systemctl is-enabled hupd.service 2>&1)" = enabled ] || fail "not enabled after the upgrade"
echo "OK: i. rpm -U to $(cx rpm -q hupd 2>/dev/null | quiet_alien) while stopped: still inactive, still enabled"

# ---- j. erase -----------------------------------------------------------------------------
sctl start hupd.service || fail "systemctl start hupd exited non-zero"
pid=$(prop MainPID)
[ "$(prop ActiveState)" = active ] && [ "$pid" -gt 0 ] || fail "not active before the erase"
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
echo "OK: j. rpm -e: stopped (process $pid gone), disabled (no wants symlink), unit file gone, /var/lib/hupd/state.json kept"

echo "systemd/container-check.sh: all checks passed"
