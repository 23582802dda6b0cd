#!/usr/bin/env bash
# What hupd costs as the RPM installs it: the package unpacked into a temp root and run through
# its own launcher (ROOT/usr/bin/hupd, the shipped JVM flags), from lean to everything enabled.
#
#   benchmarks/installed-footprint.sh [--idle SECONDS] [--starts N] [--rpm FILE] [--env K=V]...
#                                     [--watchdog SECONDS] [--no-build] [--keep]
#
# Configurations, in one invocation (so the figures can be compared as ratios to A):
#   A  file source, status-listen = off, no NOTIFY_SOCKET (the earlier baseline)
#   B  file source, status server on 127.0.0.1, NOTIFY_SOCKET + WATCHDOG_USEC (what the systemd
#      unit runs on a file-source host; a small notify listener stands in for systemd)
#   C  everything: source = cloudformation (fake), one toolchain image from the local registry
#      (pulled, verified, activated), fleet rollout over the fake SSM with this agent as canary,
#      Bamboo (fake master, fake agent), status server, NOTIFY_SOCKET + WATCHDOG_USEC
# For each: N fresh starts (fresh state folder) -> ready, then one idle window on the last start:
# VmRSS/VmHWM, RssAnon/RssFile/RssShmem, Pss (smaps_rollup), threads, CPU time. Only hupd's JVM
# is measured. HUPD_BENCH_EXTRA_OPTS (JVM options) and --env K=V (environment) apply to every
# configuration and are printed in the header.
#
# Safety: loopback only (fakes on 127.0.0.1, instance metadata pointed at a closed loopback port,
# static fake credentials) and the local docker socket; every process it starts is recorded and
# stopped by pid (the fake agents by their script's stop); every image, tag and container it causes
# carries a per-run name or label and is removed at the end. See benchmarks/README.md.
set -eEu

export LC_ALL=C
trap 'echo "installed-footprint.sh: FAILED: unexpected error (status $?) at line $LINENO" >&2' ERR

usage() {
  sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//'
  echo "  --idle SECONDS  idle window for RSS and CPU, per configuration (default 30)"
  echo "  --starts N      fresh starts per configuration (default 3)"
  echo "  --rpm FILE      the package to unpack (default: newest daemon/target/rpm/hupd-*.noarch.rpm)"
  echo "  --env K=V       also put K=V in hupd's environment, every configuration (repeatable)"
  echo "  --watchdog SEC  WATCHDOG_USEC for B and C, in seconds (default: the unit's WatchdogSec)"
  echo "  --no-build      never run Maven; fail if the package, jars or test classes are missing"
  echo "  --keep          keep the temp folder (unpacked root, logs, configs) and print its path"
  echo "Environment: HUPD_BENCH_EXTRA_OPTS  JVM options appended to the launcher's, every configuration"
}

idle=30
starts=3
rpm_file=""
build=yes
keep=no
watchdog_s=""
extra_env=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --idle) idle="${2-}"; shift ;;
    --idle=*) idle="${1#*=}" ;;
    --starts) starts="${2-}"; shift ;;
    --starts=*) starts="${1#*=}" ;;
    --rpm) rpm_file="${2-}"; shift ;;
    --rpm=*) rpm_file="${1#*=}" ;;
    --env) extra_env+=("${2-}"); shift ;;
    --env=*) extra_env+=("${1#*=}") ;;
    --watchdog) watchdog_s="${2-}"; shift ;;
    --watchdog=*) watchdog_s="${1#*=}" ;;
    --no-build) build=no ;;
    --keep) keep=yes ;;
    -h | --help) usage; exit 0 ;;
    *) echo "installed-footprint.sh: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
  esac
  shift
done
bad_arg() { echo "installed-footprint.sh: $*" >&2; exit 64; }
case "$idle" in '' | *[!0-9]*) bad_arg "--idle needs whole seconds, got '$idle'" ;; esac
case "$starts" in '' | *[!0-9]* | 0) bad_arg "--starts needs a number >= 1, got '$starts'" ;; esac
case "$watchdog_s" in *[!0-9]* | 0*) bad_arg "--watchdog needs whole seconds >= 1, got '$watchdog_s'" ;; esac
for kv in "${extra_env[@]}"; do
  case "$kv" in [A-Za-z_]*=*) ;; *) bad_arg "--env needs NAME=VALUE, got '$kv'" ;; esac
  k=${kv%%=*}
  case "$k" in *[!A-Za-z0-9_]*) bad_arg "--env: '$k' is not a variable name" ;; esac
  # Nothing that could point hupd away from loopback or change what is being compared.
  case "$k" in
    AWS_* | *[Pp][Rr][Oo][Xx][Yy]* | NOTIFY_SOCKET | WATCHDOG_* | HUPD_* | DOCKER_* | PATH | JAVA)
      bad_arg "--env $k is not allowed (the benchmark sets it; JVM options go in HUPD_BENCH_EXTRA_OPTS)"
      ;;
  esac
done

# Time limits (seconds) for every wait.
READY_TIMEOUT=30        # spawn -> ready, A and B; a fake -> its ready line
READY_TIMEOUT_FULL=90   # spawn -> ready, C (registers a revision over the paced fake SSM)
TOOLCHAIN_TIMEOUT=90    # spawn -> toolchain activated (pull + verify)
ONLINE_TIMEOUT=120      # spawn -> Bamboo agent online (about one bamboo-poll, 30 s)
STOP_TIMEOUT=20         # SIGTERM -> exit
AGENT_STOP_TIMEOUT=20   # a fake agent's `bamboo-agent.sh stop`
DOCKER_CMD_TIMEOUT=120  # one docker / curl command
FOREIGN_TIMEOUT=60      # other runs' verify containers -> gone

TARGET_FULL_RSS_KIB=$((64 * 1024)) # goal: idle RSS <= 64 MiB with everything enabled (informational)
REGISTRY=127.0.0.1:5000
BASE_IMAGE=hupd-test/busybox:1

repo=$(cd "$(dirname "$0")/.." && pwd)
example="$repo/examples/agent-fleet"
jar="$repo/daemon/target/hupd.jar"
fake_class="$repo/daemon/target/test-classes/dev/hupd/testing/FakeSsm.class"
python=${PYTHON:-python3}

say() { printf '[installed-footprint] %s\n' "$*" >&2; }
die() {
  printf 'installed-footprint.sh: FAILED: %s\n' "$*" >&2
  exit 1
}

# shellcheck source=benchmarks/lib.sh
. "$repo/benchmarks/lib.sh"

# ---------------------------------------------------------------- environment (loopback only)

bench_loopback_env
unset HUPD_HOME NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID LISTEN_FDS LISTEN_PID 2>/dev/null || true
extra_opts=${HUPD_BENCH_EXTRA_OPTS-}
# The docker CLI used here: the local socket only, no user configuration (no credential helpers).
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH 2>/dev/null || true
export DOCKER_HOST=unix:///var/run/docker.sock
# A fake agent whose master is gone exits on its own after 20 s.
export FAKE_AGENT_HEARTBEAT_MS=1000 FAKE_AGENT_GIVE_UP_MS=20000
command -v "$python" >/dev/null 2>&1 || die "$python not found (the notify listener needs it; set PYTHON=...)"
command -v rpm2cpio >/dev/null 2>&1 && command -v cpio >/dev/null 2>&1 || die "rpm2cpio and cpio are needed to unpack the RPM"

# ---------------------------------------------------------------- temp folder, cleanup

bench_workdir hupd-ifp
mkdir -p "$work/docker-cli"
export DOCKER_CONFIG="$work/docker-cli"
run=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
case "$run" in [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;; *) die "could not make a run id" ;; esac
tool="hfp$run"                      # the toolchain's name (label dev.hupd.verify=<name> on its verify containers)
bench_repo="$REGISTRY/hupd-fp-$run" # where its image is pushed
agent_homes=""
hupd_pid=""
docker_touched=no
pushed_refs=() # what was pushed to the local registry (REGISTRY/REPO@DIGEST), removed at the end
left_containers="-"
left_images="-"
hupd_left_containers="-"

dk() { timeout "$DOCKER_CMD_TIMEOUT" docker "$@"; }


# Removes what this run caused in Docker: verify containers of our toolchain (hupd removes them
# itself; any left are counted), hupd's tags <toolchain-repository>/<tool>:* of each start, the image
# (label dev.hupd.bench=<run>, reference 127.0.0.1:5000/hupd-fp-<run>/*) and the pushed manifest.
docker_cleanup() {
  [ "$docker_touched" = yes ] || return 0
  bench_docker_cleanup "hfp$run*/*" "$tool"
  hupd_left_containers=$verify_left
  docker_touched=cleaned
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$hupd_pid" ]; then stop_pid "$hupd_pid" 10 2>/dev/null || true; forget_pid "$hupd_pid"; fi
  stop_agents
  bench_stop_started # the fakes and the notify listener
  docker_cleanup || true
  bench_release
  exit "$rc"
}
bench_traps

bench_init_pause

# ---------------------------------------------------------------- build, package, unpack

bench_build "$fake_class" "fake SSM, CloudFormation and Bamboo"
cp="$repo/daemon/target/test-classes:$repo/daemon/target/classes:$repo/daemon/target/lib/*"

newest_rpm() { ls -t "$repo"/daemon/target/rpm/hupd-*.noarch.rpm 2>/dev/null | head -n 1 || true; }
if [ -z "$rpm_file" ]; then
  rpm_file=$(newest_rpm)
  if [ -z "$rpm_file" ]; then
    [ "$build" = yes ] || die "--no-build, but there is no daemon/target/rpm/hupd-*.noarch.rpm"
    command -v rpmbuild >/dev/null 2>&1 || die "no RPM in daemon/target/rpm and no rpmbuild to make one (apt-get install rpm)"
    say "building the RPM: ${MVN:-mvn} -B -q -DskipTests package"
    (cd "$repo" && ${MVN:-mvn} -B -q -DskipTests package) >"$work/build.log" 2>&1 ||
      { cat "$work/build.log" >&2; die "mvn package failed"; }
    rpm_file=$(newest_rpm)
    [ -n "$rpm_file" ] || die "mvn package wrote no daemon/target/rpm/hupd-*.noarch.rpm"
  fi
fi
[ -f "$rpm_file" ] || die "no such RPM: $rpm_file"
rpm_file=$(cd "$(dirname "$rpm_file")" && pwd)/$(basename "$rpm_file")

root="$work/root"
mkdir -p "$root"
(cd "$root" && rpm2cpio "$rpm_file" | cpio -idm --quiet) || die "could not unpack $rpm_file with rpm2cpio | cpio"
hupd_bin="$root/usr/bin/hupd"
unit="$root/usr/lib/systemd/system/hupd.service"
[ -x "$hupd_bin" ] && [ -f "$root/usr/share/hupd/hupd.jar" ] || die "$rpm_file has no usr/bin/hupd or usr/share/hupd/hupd.jar"
[ -f "$unit" ] || die "$rpm_file has no usr/lib/systemd/system/hupd.service"
rpm_same_jar=no
if [ -f "$jar" ] && cmp -s "$jar" "$root/usr/share/hupd/hupd.jar"; then rpm_same_jar=yes; fi
[ "$rpm_same_jar" = yes ] || say "note: the RPM's hupd.jar differs from daemon/target/hupd.jar (an older package?); measuring the package"

# HUPD_JAVA_OPTS as the unit sets it (Environment=HUPD_JAVA_OPTS=..., if any), then
# HUPD_BENCH_EXTRA_OPTS. The unit's StateDirectory= becomes STATE_DIRECTORY=$work/var-lib-hupd,
# where the launcher puts Netty's native library when NOTIFY_SOCKET is set, as under systemd.
unit_opts=$(sed -n 's/^Environment=HUPD_JAVA_OPTS=//p' "$unit" | tail -n 1)
netty_dir="$work/var-lib-hupd"
mkdir -m 0700 "$netty_dir"
java_opts=$unit_opts
if [ -n "$extra_opts" ]; then java_opts="${java_opts:+$java_opts }$extra_opts"; fi

# WATCHDOG_USEC as systemd derives it from the unit's WatchdogSec (or --watchdog).
unit_watchdog=$(sed -n 's/^WatchdogSec=//p' "$unit" | tail -n 1)
if [ -z "$watchdog_s" ]; then
  case "$unit_watchdog" in
    [0-9]*min) watchdog_s=$((${unit_watchdog%min} * 60)) ;;
    [0-9]*h) watchdog_s=$((${unit_watchdog%h} * 3600)) ;;
    [0-9]*s) watchdog_s=${unit_watchdog%s} ;;
    [0-9]*) watchdog_s=$unit_watchdog ;;
    *) die "cannot read WatchdogSec='$unit_watchdog' from the unit; pass --watchdog SECONDS" ;;
  esac
  case "$watchdog_s" in '' | *[!0-9]*) die "cannot read WatchdogSec='$unit_watchdog' from the unit; pass --watchdog SECONDS" ;; esac
  watchdog_from="the unit's WatchdogSec=$unit_watchdog"
else
  watchdog_from="--watchdog $watchdog_s"
fi
watchdog_usec=$((watchdog_s * 1000000))

# ---------------------------------------------------------------- fixture (copies only)

mkdir -p "$work/bin" "$work/md-file"
cp "$example/bin/cfn-init" "$work/bin/cfn-init" # on PATH for the (never firing) reloader hook
chmod 755 "$work/bin/cfn-init"
cp "$example/metadata/AgentLaunchTemplate.json" "$work/md-file/AgentLaunchTemplate.json"
bench_cfn_dir "$work/cfn-file" "http://127.0.0.1:1/" # unused by the file source; loopback anyway

write_settings() { # write_settings FILE [lines...]: [hupd] with the loopback-only keys first
  local file=$1 line
  shift
  {
    echo "[hupd]"
    echo "imds-endpoint = http://127.0.0.1:1"
    echo "import-cfn-hup-state = none"
    echo "first-poll-splay = 0"
    for line in "$@"; do echo "$line"; done
  } >"$file"
}

# ---------------------------------------------------------------- the notify listener

# Stands in for systemd's notify socket: one line per datagram, "<receive time, µs> <sender pid>
# <text, newlines as \n>", the pid from SCM_CREDENTIALS (as systemd checks NotifyAccess=main).
# Exits by itself when the benchmark's shell is gone.
cat >"$work/notify-listener.py" <<'PY'
import os, signal, socket, struct, sys, time
sock_path, out_path = sys.argv[1], sys.argv[2]
parent = os.getppid()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sock_path)
s.settimeout(1.0)
creds = struct.calcsize("3i")
with open(out_path, "a", buffering=1) as out:
    out.write("%d 0 listening\n" % (time.time_ns() // 1000))
    while True:
        try:
            data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(creds))
        except socket.timeout:
            if os.getppid() != parent:
                sys.exit(0)
            continue
        now = time.time_ns() // 1000
        pid = 0
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("3i", payload[:creds])[0]
        text = data.decode("utf-8", "replace").replace("\\", "\\\\").replace("\n", "\\n")
        out.write("%d %d %s\n" % (now, pid, text))
PY
notify_sock="$work/notify.sock"
notify_log="$work/notify.log"
: >"$notify_log"
"$python" "$work/notify-listener.py" "$notify_sock" "$notify_log" </dev/null >"$work/notify.out" 2>&1 &
notify_pid=$!
started_pids="$started_pids $notify_pid"
wait_log "$notify_log" " listening" "$READY_TIMEOUT" "$notify_pid"
[ -S "$notify_sock" ] || die "the notify listener did not create $notify_sock"

# ---------------------------------------------------------------- helpers

# spawn_installed LOG NOTIFY(yes|no) ARGS...: `ROOT/usr/bin/hupd ARGS...` in the background, with
# HUPD_JAVA_OPTS as the unit's, the --env additions and, with NOTIFY=yes, NOTIFY_SOCKET,
# WATCHDOG_USEC and WATCHDOG_PID (the subshell's pid, which the launcher's exec makes the JVM's).
spawn_installed() {
  local log=$1 notify=$2
  shift 2
  : >"$log"
  spawn_us=$(now_us)
  (
    export HUPD_JAVA_OPTS="$java_opts"
    for kv in "${extra_env[@]}"; do export "${kv?}"; done
    if [ "$notify" = yes ]; then
      export NOTIFY_SOCKET="$notify_sock" WATCHDOG_USEC="$watchdog_usec" WATCHDOG_PID="$BASHPID"
      export STATE_DIRECTORY="$netty_dir"
    fi
    PATH="$work/bin:$PATH" exec "$hupd_bin" "$@"
  ) </dev/null >>"$log" 2>&1 &
  hupd_pid=$!
  started_pids="$started_pids $hupd_pid"
}

read_pss() { # read_pss PID: sets pss pss_anon pss_file (smaps_rollup, KiB; empty when unreadable); the Rss split comes from read_proc
  local key val rest
  pss="" pss_anon="" pss_file=""
  if [ -r /proc/"$1"/smaps_rollup ]; then
    while read -r key val rest; do
      case "$key" in
        Pss:) pss=$val ;;
        Pss_Anon:) pss_anon=$val ;;
        Pss_File:) pss_file=$val ;;
      esac
    done </proc/"$1"/smaps_rollup
  fi
}

log_ms() { # log_ms LINE: a hupd log line's timestamp - spawn, in ms
  echo $((($(log_time_us "$1") - spawn_us) / 1000))
}
notify_ms() { # notify_ms LINE: a notify-log line's receive time - spawn, in ms
  echo $(((${1%% *} - spawn_us) / 1000))
}

jvm_args=""
note_jvm() { # the launcher's java command line, once (from the running JVM)
  [ -z "$jvm_args" ] || return 0
  jvm_args=$(ps -o args= -p "$hupd_pid" 2>/dev/null || true)
  [ -n "$jvm_args" ] || jvm_args=$(tr '\0' ' ' <"/proc/$hupd_pid/cmdline")
  jvm_exe=$(readlink "/proc/$hupd_pid/exe" || echo "?")
}

# ready_figures CFG NOTIFY: waits for ready (READY=1 from this pid with NOTIFY=yes, else the
# daemon.ready log line) and for the daemon.ready line; appends to $work/CFG.ready / .logready;
# reads RSS at ready into $work/CFG.readyrss.
ready_figures() {
  local cfg=$1 notify=$2 limit=$READY_TIMEOUT
  [ "$cfg" != C ] || limit=$READY_TIMEOUT_FULL
  if [ "$notify" = yes ]; then
    wait_log "$notify_log" " $hupd_pid READY=1" "$limit" "$hupd_pid"
    ready_ms=$(notify_ms "$found_line")
    read_proc "$hupd_pid"
    wait_log "$log" "event=daemon.ready" "$limit" "$hupd_pid"
    logready_ms=$(log_ms "$found_line")
  else
    wait_log "$log" "event=daemon.ready" "$limit" "$hupd_pid"
    read_proc "$hupd_pid"
    logready_ms=$(log_ms "$found_line")
    ready_ms=$logready_ms
  fi
  echo "$ready_ms" >>"$work/$cfg.ready"
  echo "$logready_ms" >>"$work/$cfg.logready"
  echo "$rss_kib" >>"$work/$cfg.readyrss"
  note_jvm
}

check_status_server() { # the status server must have bound a loopback address
  wait_log "$log" "event=status.listening " "$READY_TIMEOUT" "$hupd_pid"
  status_addr=${found_line#*event=status.listening address=}
  status_addr=${status_addr%% *}
  case "$status_addr" in 127.0.0.1:[0-9]*) ;; *) die "the status server listens on '$status_addr', not 127.0.0.1" ;; esac
}

# idle_figures CFG: the idle window on the running hupd, then every after-idle figure into cfg_*
idle_figures() {
  local cfg=$1
  idle_window "$hupd_pid" "$idle" "$log" # its last read_proc also sets rss_anon/rss_file/rss_shmem
  read_pss "$hupd_pid"
  eval "${cfg}_rss=\$idle_rss ${cfg}_hwm=\$idle_hwm ${cfg}_threads=\$idle_threads"
  eval "${cfg}_cpu=\$idle_cpu_ticks ${cfg}_wall=\$idle_wall_us"
  eval "${cfg}_anon=\$rss_anon ${cfg}_file=\$rss_file ${cfg}_shmem=\$rss_shmem"
  eval "${cfg}_pss=\$pss ${cfg}_pss_anon=\$pss_anon ${cfg}_pss_file=\$pss_file"
  read -r med _ max _ < <(stats "$work/$cfg.ready")
  eval "${cfg}_ready_med=\$med ${cfg}_ready_max=\$max"
  read -r med _ _ _ < <(stats "$work/$cfg.logready")
  eval "${cfg}_logready_med=\$med"
  read -r med _ _ _ < <(stats "$work/$cfg.readyrss")
  eval "${cfg}_readyrss=\$med"
  # notify datagrams from this process over its life
  eval "${cfg}_n_ready=$(grep -c "^[0-9]* $hupd_pid READY=1" "$notify_log" || true)"
  eval "${cfg}_n_watchdog=$(grep -c "^[0-9]* $hupd_pid WATCHDOG=1\$" "$notify_log" || true)"
  eval "${cfg}_n_status=$(grep -c "^[0-9]* $hupd_pid STATUS=" "$notify_log" || true)"
  eval "${cfg}_n_all=$(grep -c "^[0-9]* $hupd_pid " "$notify_log" || true)"
}

healthz() { # one GET /healthz on the status server, after the figures are taken
  curl -sS --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' "http://$status_addr/healthz" 2>/dev/null || echo "no answer"
}

# Warm the page cache (JDK, the package's jars) with one untimed start of the launcher.
hupd_version=$("$hupd_bin" --version 2>&1 | head -n 1) || die "'$hupd_bin --version' failed; is a Java 17+ runtime installed?"

# ---------------------------------------------------------------- A. lean

say "A. file source, status-listen = off, no NOTIFY_SOCKET: $starts fresh starts, then ${idle}s idle"
for n in $(seq 1 "$starts"); do
  write_settings "$work/A-$n.conf" "source = file:$work/md-file" "state-dir = $work/state-A-$n" "status-listen = off"
  log="$work/hupd-A-$n.log"
  spawn_installed "$log" no run --config "$work/cfn-file" --settings "$work/A-$n.conf"
  ready_figures A no
  say "    start $n: ready after $ready_ms ms (daemon.ready)"
  if [ "$n" -lt "$starts" ]; then stop_hupd "$log"; fi
done
idle_figures A
stop_hupd "$log"
grep -q "event=status.listening\|event=systemd.notify " "$log" && die "configuration A started the status server or notify"

# ---------------------------------------------------------------- B. the unit on a file-source host

say "B. file source, status server on 127.0.0.1, NOTIFY_SOCKET + WATCHDOG_USEC: $starts fresh starts, then ${idle}s idle"
for n in $(seq 1 "$starts"); do
  write_settings "$work/B-$n.conf" "source = file:$work/md-file" "state-dir = $work/state-B-$n" "status-listen = 127.0.0.1:0"
  log="$work/hupd-B-$n.log"
  spawn_installed "$log" yes run --config "$work/cfn-file" --settings "$work/B-$n.conf"
  ready_figures B yes
  say "    start $n: READY=1 after $ready_ms ms (daemon.ready at $logready_ms ms)"
  check_status_server
  if [ "$n" -lt "$starts" ]; then stop_hupd "$log"; fi
done
idle_figures B
B_healthz=$(healthz)
stop_hupd "$log"

# ---------------------------------------------------------------- C. everything enabled

say "C. everything enabled: setting up the fakes (CloudFormation, SSM, Bamboo) on 127.0.0.1"

# Docker: dockerd, the registry and the base image must be there already (.ci/docker-up);
# without them C runs without its toolchain.
toolchains=yes
toolchain_note=""
if ! timeout 20 docker info >/dev/null 2>&1; then
  toolchains=no toolchain_note="dockerd not reachable on /var/run/docker.sock"
elif ! curl -fsS --noproxy '*' --max-time 5 -o /dev/null "http://$REGISTRY/v2/" 2>/dev/null; then
  toolchains=no toolchain_note="no registry answers on http://$REGISTRY/v2/"
elif ! dk image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  toolchains=no toolchain_note="base image $BASE_IMAGE missing (.ci/docker-up makes it)"
fi

# hupd force-removes EVERY container labelled dev.hupd.verify (any value) in its first toolchain
# pass. On a shared dockerd those may be another run's: wait until there are none.
no_foreign_verify_containers() { # true once there are none, false if some are still there after FOREIGN_TIMEOUT
  local deadline count
  deadline=$(($(now_us) + FOREIGN_TIMEOUT * 1000000))
  while :; do
    count=$(dk ps -aq --filter label=dev.hupd.verify | wc -l)
    [ "$count" -gt 0 ] || return 0
    [ "$(now_us)" -lt "$deadline" ] || return 1
    say "waiting for $count verify container(s) of another hupd / test run to go away (hupd would remove them)"
    pause 2000
  done
}
if [ "$toolchains" = yes ] && ! no_foreign_verify_containers; then
  toolchains=no toolchain_note="other containers labelled dev.hupd.verify exist (hupd would remove them at start)"
fi

if [ "$toolchains" = yes ]; then
  say "    building and pushing one toolchain image $bench_repo/tool:v1 (FROM $BASE_IMAGE)"
  docker_touched=yes
  mkdir -p "$work/ctx"
  # The label makes the image unique to this run (no shared cache or id) and lets the cleanup find it.
  printf 'FROM %s\nLABEL dev.hupd.bench=%s\nRUN echo 1 > /version\n' "$BASE_IMAGE" "$run" >"$work/ctx/Dockerfile"
  dk build -q -t "$bench_repo/tool:v1" "$work/ctx" >>"$work/images.log" 2>&1 || { cat "$work/images.log" >&2; die "docker build failed"; }
  dk push "$bench_repo/tool:v1" >>"$work/images.log" 2>&1 || { cat "$work/images.log" >&2; die "docker push to $REGISTRY failed"; }
  image_ref=$(dk image inspect --format '{{index .RepoDigests 0}}' "$bench_repo/tool:v1")
  case "$image_ref" in "$bench_repo/tool@sha256:"[0-9a-f]*) ;; *) die "unexpected digest reference '$image_ref'" ;; esac
  pushed_refs+=("$image_ref")
  dk rmi "$bench_repo/tool:v1" >>"$work/images.log" 2>&1 || die "could not remove the local tag $bench_repo/tool:v1"
else
  say "    note: C runs WITHOUT its toolchain: $toolchain_note"
fi

# The stack metadata: the example's, with the toolchain manifest replaced by the one local image
# (or removed) and the rollout policy's health command made local.
mkdir -p "$work/md-cfn"
"$python" - "$work/md-file/AgentLaunchTemplate.json" "$work/md-cfn/AgentLaunchTemplate.json" "$toolchains" "$tool" "${image_ref-}" <<'PY'
import json, sys
src, dst, with_tools, name, image = sys.argv[1:6]
doc = json.load(open(src))
doc["Rollout"]["health"] = {"command": ["/bin/true"], "timeout": "60s"}
if with_tools == "yes":
    doc["Toolchains"] = {"keep": 2, "toolchains": [{
        "name": name, "image": image,
        "verify": {"command": ["cat", "/version"], "outputPattern": "^[0-9]+\\s*$",
                   "timeoutSeconds": 30, "memoryMb": 64},
        "capabilities": {"system.jdk.JDK 17 (docker)": image.split("@")[0]}}]}
else:
    doc.pop("Toolchains", None)
json.dump(doc, open(dst, "w"), indent=2)
PY

# The next start is a first boot too: it must pull and verify again. The image (with hupd's tags of
# the start before) is this run's only: its label is unique to the run.
forget_pulled_image() {
  local ids
  ids=$(dk images -q --no-trunc --filter "label=dev.hupd.bench=$run" | sort -u)
  # shellcheck disable=SC2086
  [ -z "$ids" ] || dk rmi -f $ids >/dev/null 2>&1 || die "could not remove the pulled toolchain image before the next start"
}

fake_ready() { # fake_ready OUT PREFIX: the fake's ready line must name a loopback URL; sets fake_url
  wait_log "$1" "$2" "$READY_TIMEOUT" "$fake_pid"
  fake_url=${found_line#"$2"}
  case "$fake_url" in http://127.0.0.1:[0-9]*) ;; *) die "the fake did not report a loopback URL: '$found_line'" ;; esac
}
spawn_fake "$work/cfn.out" "$work/cfn.err" dev.hupd.testing.FakeCloudFormation \
  --port 0 --stack agents-stack --metadata-dir "$work/md-cfn" --ignore-stdin
fake_ready "$work/cfn.out" "FakeCloudFormation listening on "
cfn_url=$fake_url
spawn_fake "$work/ssm.out" "$work/ssm.err" dev.hupd.testing.FakeSsm --port 0 --ignore-stdin
fake_ready "$work/ssm.out" "FakeSsm listening on "
ssm_url=$fake_url
spawn_fake "$work/bamboo.out" "$work/bamboo.err" dev.hupd.testing.FakeBamboo --port 0 --manual-approval --ignore-stdin
fake_ready "$work/bamboo.out" "FakeBamboo listening on "
master=$fake_url
say "    CloudFormation $cfn_url, SSM $ssm_url, Bamboo $master"
bench_cfn_dir "$work/cfn-cfn" "$cfn_url"
umask 077
printf 'test-token\n' >"$work/bamboo.token" # the fake master's built-in admin token
umask 022

say "C. everything enabled: $starts fresh starts (new state, fleet, agent home and name each), online, then ${idle}s idle"
for n in $(seq 1 "$starts"); do
  if [ "$toolchains" = yes ] && ! no_foreign_verify_containers; then
    die "containers labelled dev.hupd.verify appeared during the run (another hupd or test); not starting hupd, which would remove them"
  fi
  home="$work/agent-home-$n"
  "$java_cmd" -cp "$cp" dev.hupd.testing.FakeBambooAgent install "$home" "$master" "bench-agent-$n" 127.0.0.1 >/dev/null ||
    die "could not install the fake agent script"
  agent_homes="$agent_homes $home"
  tool_lines=()
  if [ "$toolchains" = yes ]; then
    tool_lines=("toolchains-path = Resources.AgentLaunchTemplate.Metadata.Toolchains"
      "toolchain-repository = hfp${run}s$n" "docker-config = none")
  fi
  write_settings "$work/C-$n.conf" "source = cloudformation" "state-dir = $work/state-C-$n" \
    "status-listen = 127.0.0.1:0" "${tool_lines[@]}" \
    "store = ssm" "ssm-url = $ssm_url" "ssm-region = eu-west-1" "fleet = fp${run}s$n" \
    "agent-id = bench-canary-$n" "roles = canary" "rollout-path = Resources.AgentLaunchTemplate.Metadata.Rollout" \
    "bamboo-url = $master" "bamboo-token = file:$work/bamboo.token" "bamboo-agent-home = $home" \
    "bamboo-agent-name = bench-agent-$n" "bamboo-agent-process = command:$home/bin/bamboo-agent.sh" \
    "bamboo-approve = on" "bamboo-docker-executable = /bin/sh"
  log="$work/hupd-C-$n.log"
  spawn_installed "$log" yes run --config "$work/cfn-cfn" --settings "$work/C-$n.conf"
  ready_figures C yes
  msg="READY=1 after $ready_ms ms (daemon.ready at $logready_ms ms)"
  check_status_server
  grep -q "event=source.cloudformation .*endpoint=$cfn_url" "$log" ||
    { tail -n 20 "$log" >&2; die "hupd did not log the fake CloudFormation $cfn_url as its endpoint"; }
  grep -q "event=daemon.started .*mode=fleet .*endpoint=${ssm_url%/}" "$log" ||
    { tail -n 20 "$log" >&2; die "hupd did not log fleet mode over the fake SSM $ssm_url"; }
  if [ "$toolchains" = yes ]; then
    wait_log "$log" "event=toolchain.activated name=$tool " "$TOOLCHAIN_TIMEOUT" "$hupd_pid"
    active_ms=$(log_ms "$found_line")
    echo "$active_ms" >>"$work/C.active"
    msg="$msg, toolchain active at $active_ms ms"
  fi
  if [ "$n" -lt "$starts" ]; then
    say "    start $n: $msg"
    stop_hupd "$log"
    stop_agents
    if [ "$toolchains" = yes ]; then forget_pulled_image; fi
  else
    wait_log "$log" "to=online" "$ONLINE_TIMEOUT" "$hupd_pid"
    online_ms=$(log_ms "$found_line")
    say "    start $n: $msg, Bamboo agent online at $online_ms ms"
  fi
done
idle_figures C
C_healthz=$(healthz)
C_applied=$(grep -o "event=daemon.ready agent=[^ ]* applied=[0-9]*" "$log" | head -n 1 | sed 's/.*applied=//')
C_problems=$(grep -c "event=source.retry\|event=source.failed\|event=toolchain.failed\|event=fleet.pass \| ERROR " "$log" || true)
C_store_retries=$(grep -c "event=store.retry " "$log" || true)
C_ready_status=$(grep "^[0-9]* $hupd_pid READY=1" "$notify_log" | head -n 1 | sed 's/.*STATUS=//')
stop_hupd "$log"
stop_agents

say "cleaning up: verify containers of $tool, hupd's tags hfp${run}s*/$tool:*, the image, the registry manifest"
if [ "$toolchains" = yes ]; then docker_cleanup; fi

# ---------------------------------------------------------------- report

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a + 0 == 0) print "-"; else printf "%.2f\n", b / a }'; }
mibv() { if [ -z "$1" ]; then echo "-"; else mib "$1"; fi; }
row() { printf '%-46s %-16s %-16s %-16s %-6s %s\n' "$1" "$2" "$3" "$4" "$5" "$6"; }
rrow() { # rrow LABEL FORMAT(mib|ms|n) VAR-SUFFIX: one figure for A, B, C with B/A and C/A
  local a b c f=$2
  eval "a=\${A_$3-} b=\${B_$3-} c=\${C_$3-}"
  case "$f" in
    mib) row "$1" "$(mibv "$a")" "$(mibv "$b")" "$(mibv "$c")" "$(ratio "$a" "$b")" "$(ratio "$a" "$c")" ;;
    ms) row "$1" "$a ms" "$b ms" "$c ms" "$(ratio "$a" "$b")" "$(ratio "$a" "$c")" ;;
    *) row "$1" "$a" "$b" "$c" "$(ratio "$a" "$b")" "$(ratio "$a" "$c")" ;;
  esac
}
short() { printf '%s' "$1" | sed "s|$work|\$work|g"; }

C_label="C everything"
[ "$toolchains" = yes ] || C_label="C (no toolchain)"
bench_header "hupd installed footprint"
echo "rpm:     $(basename "$rpm_file") ($(date -u -r "$rpm_file" +%Y-%m-%dT%H:%M:%SZ); its hupd.jar identical to daemon/target/hupd.jar: $rpm_same_jar)"
echo "hupd:    $hupd_version, run as \$work/root/usr/bin/hupd (the package's launcher)"
echo "jvm:     $jvm_exe"
echo "         $(short "$jvm_args")"
echo "HUPD_JAVA_OPTS: $(short "${java_opts:-none}")  (the unit's: '${unit_opts}'; with NOTIFY_SOCKET, STATE_DIRECTORY=\$work/var-lib-hupd)"
echo "extra JVM options (HUPD_BENCH_EXTRA_OPTS): ${extra_opts:-none}"
echo "extra environment (--env): ${extra_env[*]:-none}"
echo "notify (B, C): NOTIFY_SOCKET=\$work/notify.sock, WATCHDOG_USEC=$watchdog_usec ($watchdog_from), WATCHDOG_PID=<the JVM>"
echo "run:     --idle $idle --starts $starts; hooks and metadata of examples/agent-fleet; first-poll-splay = 0"
echo "  A  file source, status-listen = off, no NOTIFY_SOCKET"
echo "  B  file source, status server (127.0.0.1:0), NOTIFY_SOCKET + WATCHDOG_USEC"
if [ "$toolchains" = yes ]; then
  echo "  C  source = cloudformation (fake), 1 toolchain ($bench_repo/tool, pulled + verified), fleet over the"
else
  echo "  C  source = cloudformation (fake), NO toolchain ($toolchain_note), fleet over the"
fi
echo "     fake SSM (canary; new fleet each start), Bamboo (fake master + agent, bamboo-poll 30s),"
echo "     status server, NOTIFY_SOCKET + WATCHDOG_USEC; idle window starts once the agent is online"
echo
row "figure" "A lean" "B unit, file" "$C_label" "B/A" "C/A"
row "------" "------" "------------" "------------" "---" "---"
rrow "start -> ready (n=$starts), median *" ms ready_med
rrow "start -> ready, max" ms ready_max
rrow "start -> event=daemon.ready (log), median" ms logready_med
if [ "$toolchains" = yes ]; then
  read -r act_med _ _ _ < <(stats "$work/C.active")
  row "start -> toolchain active (n=$starts), median" "-" "-" "$act_med ms" "" ""
fi
row "start -> Bamboo agent online (n=1)" "-" "-" "$online_ms ms" "" ""
rrow "VmRSS at ready, median" mib readyrss
rrow "VmRSS after ${idle} s idle" mib rss
rrow "VmHWM after ${idle} s idle" mib hwm
rrow "  RssAnon (heap, metaspace, code, stacks)" mib anon
rrow "  RssFile (libjvm, CDS archive, lib/modules)" mib file
rrow "  RssShmem" mib shmem
rrow "Pss (smaps_rollup)" mib pss
rrow "  Pss_Anon" mib pss_anon
rrow "  Pss_File" mib pss_file
rrow "threads after idle" n threads
rrow "CPU over ${idle} s idle (ticks of 1/${clk_tck} s)" n cpu
row "CPU over ${idle} s idle (CPU-s)" "$(cpu_s "$A_cpu")" "$(cpu_s "$B_cpu")" "$(cpu_s "$C_cpu")" "" ""
row "CPU over ${idle} s idle (% of one core)" "$(cpu_pct "$A_cpu" "$A_wall")" "$(cpu_pct "$B_cpu" "$B_wall")" "$(cpu_pct "$C_cpu" "$C_wall")" "" ""
row "notify: READY / WATCHDOG / STATUS-only, all" "-" "$B_n_ready / $B_n_watchdog / $((B_n_all - B_n_ready - B_n_watchdog))" "$C_n_ready / $C_n_watchdog / $((C_n_all - C_n_ready - C_n_watchdog))" "" ""
row "GET /healthz after the figures (HTTP status)" "-" "$B_healthz" "$C_healthz" "" ""
echo
echo "* ready = READY=1 received on the notify socket (B, C; from the JVM's pid, SCM_CREDENTIALS), or"
echo "  hupd's event=daemon.ready log line (A). In C, READY=1 and daemon.ready come after the fleet agent's"
echo "  first tick, which registers revision 1 over the fake SSM (its 3 TPS Put quota: $C_store_retries store.retry lines"
echo "  in the last start's log) and may or may not switch to it already (hooks, toolchain pull + verify, agent"
echo "  start): compare 'toolchain active'. The Bamboo agent is online about one bamboo-poll later. Last start:"
echo "  daemon.ready applied=${C_applied:-?}, READY STATUS \"${C_ready_status:-?}\"; $C_problems lines of source"
echo "  retries/failures, toolchain failures, fleet.pass problems or ERROR."
if [ "$C_rss" -le "$TARGET_FULL_RSS_KIB" ]; then verdict=MET; else verdict=MISSED; fi
echo
echo "goal: idle RSS <= 64 MiB with everything enabled: $verdict (C: VmRSS $(mib "$C_rss"), of which RssAnon $(mib "$C_anon"),"
echo "      RssFile $(mib "$C_file"); Pss $(mibv "$C_pss"))$([ "$toolchains" = yes ] || echo "  -- C ran without its toolchain")"
echo
echo "earlier figures (benchmarks/earlier-figures.txt; other scripts and runs: compare with care):"
printf '  %-62s %-10s %-16s %s\n' "figure" "then" "this run" "source"
while IFS='|' read -r what value unit key source; do
  case "$what" in '' | '#'*) continue ;; esac
  now="-"
  case "$key" in
    [ABC].idle_rss) eval "k=\${${key%%.*}_rss}"; now="$(mib "$k") (${key%%.*})" ;;
    [ABC].ready) eval "k=\${${key%%.*}_ready_med}"; now="$k ms (${key%%.*})" ;;
  esac
  printf '  %-62s %-10s %-16s %s\n' "$what" "$value $unit" "$now" "$source"
done <"$repo/benchmarks/earlier-figures.txt"
echo
echo "Reading: VmRSS = RssAnon + RssFile + RssShmem. RssFile (libjvm.so, the JDK's CDS archive, lib/modules) is"
echo "page cache shared with every other JVM of that JDK on the host; RssAnon is this process's own (heap,"
echo "metaspace, code cache, stacks, malloc, and the pages of libjvm and the CDS archive the JVM wrote to)."
echo "Pss divides each shared page by the number of processes mapping it: Pss_File is small when other"
echo "processes map the same files (the fakes in C, and any other JVM of this JDK on the host), so it depends"
echo "on what else runs. Pss_Anon = RssAnon: the JVM shares no anonymous memory. Only hupd's JVM is measured."
echo "CPU is in ${clk_tck} Hz ticks: a few ticks per window is coarse. Ratios with a 0 base print '-'."
if [ "$toolchains" = yes ]; then
  echo "docker: verify containers (label dev.hupd.verify=$tool) that hupd left behind: $hupd_left_containers (the cleanup"
  echo "        removes any); after the cleanup: containers $left_containers, images/tags of this run $left_images"
else
  echo "docker: not used ($toolchain_note)"
fi
echo "One machine, one run: noisy. Targets are informational; the exit status only says every measurement completed."
