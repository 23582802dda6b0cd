#!/usr/bin/env bash
# What the Bamboo integration adds to `hupd run`: the same daemon, configuration and local
# metadata files (file source), measured without and with bamboo-url in one invocation, so the
# figures can be compared as ratios.
#
#   benchmarks/bamboo-footprint.sh [--idle SECONDS] [--starts N] [--bamboo-poll DURATION] [--no-build] [--keep]
#
# Measures, for each of the two configurations:
#   1. start -> first successful pass (event=daemon.ready), N fresh starts (fresh state, and with
#      Bamboo a fresh agent home and agent name, so each is a first boot)
#   2. with Bamboo: start -> agent online (approved, capabilities published, enabled)
#   3. VmRSS / VmHWM / threads after an idle window (default 60 s) that starts at ready (without)
#      or at online (with)
#   4. CPU time (utime+stime) of hupd's JVM over that window
#
# With Bamboo, the fake master from the test tree runs on 127.0.0.1 (manual approval on) and hupd
# starts a fake remote agent (FakeBambooAgent's bamboo-agent.sh, `command:` mode). Only hupd's
# JVM is measured, never the fakes. Safety: every process it starts is recorded and stopped by pid
# (the agents by their script's `stop`); all traffic goes to 127.0.0.1 (instance metadata pointed
# at a closed loopback port); nothing is written outside one mktemp folder (and daemon/target
# when it builds). See benchmarks/README.md.
set -eEu

export LC_ALL=C
trap 'echo "bamboo-footprint.sh: FAILED: unexpected error (status $?) at line $LINENO" >&2' ERR

usage() {
  sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//'
  echo "  --idle SECONDS          idle window for RSS and CPU (default 60)"
  echo "  --starts N              fresh starts per configuration for row 1 (default 3)"
  echo "  --bamboo-poll DURATION  hupd's bamboo-poll (default 30s, hupd's own default)"
  echo "  --no-build              never run Maven; fail if the jars or test classes are missing"
  echo "  --keep                  keep the temp folder (logs, configs) and print its path"
}

idle=60
starts=3
bamboo_poll=30s
build=yes
keep=no
while [ "$#" -gt 0 ]; do
  case "$1" in
    --idle) idle="${2-}"; shift ;;
    --idle=*) idle="${1#*=}" ;;
    --starts) starts="${2-}"; shift ;;
    --starts=*) starts="${1#*=}" ;;
    --bamboo-poll) bamboo_poll="${2-}"; shift ;;
    --bamboo-poll=*) bamboo_poll="${1#*=}" ;;
    --no-build) build=no ;;
    --keep) keep=yes ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bamboo-footprint.sh: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
  esac
  shift
done
case "$idle" in '' | *[!0-9]*) echo "bamboo-footprint.sh: --idle needs whole seconds, got '$idle'" >&2; exit 64 ;; esac
case "$starts" in '' | *[!0-9]* | 0) echo "bamboo-footprint.sh: --starts needs a number >= 1, got '$starts'" >&2; exit 64 ;; esac
case "$bamboo_poll" in [0-9]*s | [0-9]*m) ;; *) echo "bamboo-footprint.sh: --bamboo-poll needs e.g. 30s or 1m, got '$bamboo_poll'" >&2; exit 64 ;; esac

# Time limits (seconds) for every wait.
READY_TIMEOUT=30
STOP_TIMEOUT=20
FAKE_TIMEOUT=30
AGENT_STOP_TIMEOUT=20
poll_s=${bamboo_poll%[sm]}
case "$bamboo_poll" in *m) poll_s=$((poll_s * 60)) ;; esac
ONLINE_TIMEOUT=$((2 * poll_s + 60)) # a poll to see the agent, one more for approval, plus slack

repo=$(cd "$(dirname "$0")/.." && pwd)
example="$repo/examples/agent-fleet"
jar="$repo/daemon/target/hupd.jar"
fake_class="$repo/daemon/target/test-classes/dev/hupd/testing/FakeBamboo.class"

say() { printf '[bamboo-footprint] %s\n' "$*" >&2; }
die() {
  printf 'bamboo-footprint.sh: FAILED: %s\n' "$*" >&2
  exit 1
}

# shellcheck source=benchmarks/lib.sh
. "$repo/benchmarks/lib.sh"

bench_loopback_env
# A fake agent whose master is gone exits on its own after 20 s.
export FAKE_AGENT_HEARTBEAT_MS=1000 FAKE_AGENT_GIVE_UP_MS=20000

# ---------------------------------------------------------------- temp folder, process cleanup

work=$(mktemp -d "${TMPDIR:-/tmp}/hupd-bamboo-bench.XXXXXX")
export AWS_CONFIG_FILE="$work/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/no-aws-credentials"
started_pids=""
agent_homes=""
fake_pid=""

stop_agents() { # each installed agent by its script's stop (which kills only its own pid)
  local h
  for h in $agent_homes; do
    if [ -x "$h/bin/bamboo-agent.sh" ]; then
      timeout "$AGENT_STOP_TIMEOUT" "$h/bin/bamboo-agent.sh" stop >/dev/null 2>&1 || say "note: stopping the agent in $h failed"
    fi
  done
  agent_homes=""
}

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in $started_pids; do # hupd first, the fake master last
    [ "$p" = "$fake_pid" ] || stop_pid "$p" 10 2>/dev/null || true
  done
  stop_agents
  [ -z "$fake_pid" ] || stop_pid "$fake_pid" 10 2>/dev/null || true
  if [ -n "${pause_fd-}" ]; then exec {pause_fd}>&- || true; fi
  if [ "$keep" = yes ]; then
    say "kept $work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_init_pause

# ---------------------------------------------------------------- build

if stale "$jar" "$repo/pom.xml" "$repo/daemon/pom.xml" "$repo/daemon/src/main" || [ ! -d "$repo/daemon/target/lib" ] ||
  stale "$fake_class" "$repo/daemon/src/test"; then
  if [ "$build" = yes ]; then
    say "building: ${MVN:-mvn} -B -q -DskipTests package (compiles the test classes too)"
    (cd "$repo" && ${MVN:-mvn} -B -q -DskipTests package) >"$work/build.log" 2>&1 ||
      { cat "$work/build.log" >&2; die "mvn package failed"; }
  else
    [ -f "$jar" ] && [ -d "$repo/daemon/target/lib" ] && [ -f "$fake_class" ] ||
      die "--no-build, but $jar, daemon/target/lib or the test classes are missing"
    say "warning: --no-build with sources newer than the build output; measuring the old build"
  fi
fi
cp="$repo/daemon/target/test-classes:$repo/daemon/target/classes:$repo/daemon/target/lib/*"

# ---------------------------------------------------------------- fixture (copies only)

mkdir -p "$work/bin" "$work/metadata" "$work/cfn/hooks.d"
cp "$example/bin/cfn-init" "$work/bin/cfn-init" # on PATH for the (never firing) reloader hook
chmod 755 "$work/bin/cfn-init"
cp "$example/metadata/AgentLaunchTemplate.json" "$work/metadata/AgentLaunchTemplate.json"
{ grep -Ev '^(url|proxy|role|credential-file)[[:space:]]*[=:]' "$example/cfn/cfn-hup.conf"; echo "url=http://127.0.0.1:1/"; } >"$work/cfn/cfn-hup.conf"
cp "$example"/cfn/hooks.d/*.conf "$work/cfn/hooks.d/"

umask 077
printf 'test-token\n' >"$work/bamboo.token" # the fake master's built-in admin token
umask 022

write_settings() { # write_settings FILE STATE-DIR [extra lines...]
  local file=$1 state=$2
  shift 2
  {
    echo "[hupd]"
    echo "source = file:$work/metadata"
    echo "state-dir = $state"
    echo "imds-endpoint = http://127.0.0.1:1"
    echo "import-cfn-hup-state = none"
    for line in "$@"; do echo "$line"; done
  } >"$file"
}

# ---------------------------------------------------------------- helpers

hupd_pid=""
spawn_us=0
start_hupd() { # start_hupd SETTINGS LOG
  : >"$2"
  spawn_us=$(now_us)
  PATH="$work/bin:$PATH" "$repo/hupd" run --config "$work/cfn" --settings "$1" </dev/null >>"$2" 2>&1 &
  hupd_pid=$!
  started_pids="$started_pids $hupd_pid"
}

stop_hupd() { # stop_hupd LOG: SIGTERM, expect exit 0
  stop_pid "$hupd_pid" "$STOP_TIMEOUT"
  forget_pid "$hupd_pid"
  [ "$stopped_rc" = 0 ] || { tail -n 20 "$1" >&2; die "hupd (pid $hupd_pid) exited with '$stopped_rc' after SIGTERM, expected 0"; }
  hupd_pid=""
}

found_line=""
wait_log() { # wait_log FILE PATTERN TIMEOUT PID: polls every 20 ms; sets found_line
  local file=$1 pattern=$2 limit=$3 pid=$4 deadline line
  deadline=$(($(now_us) + limit * 1000000))
  while :; do
    line=$(grep -m1 -F -- "$pattern" "$file" 2>/dev/null || true)
    if [ -n "$line" ]; then found_line=$line; return 0; fi
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$file" >&2; die "process $pid exited before logging '$pattern'"; }
    [ "$(now_us)" -lt "$deadline" ] || { tail -n 20 "$file" >&2; die "timed out after ${limit}s waiting for '$pattern'"; }
    pause 20
  done
}

read_proc() { # read_proc PID: sets rss_kib hwm_kib threads cpu_ticks
  local key val rest stat fields
  rss_kib=0 hwm_kib=0 threads=0
  while read -r key val rest; do
    case "$key" in
      VmRSS:) rss_kib=$val ;;
      VmHWM:) hwm_kib=$val ;;
      Threads:) threads=$val ;;
    esac
  done </proc/"$1"/status
  read -r stat </proc/"$1"/stat
  read -r -a fields <<<"${stat##*) }"
  cpu_ticks=$((fields[11] + fields[12])) # utime + stime
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit }
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%d\n", m + 0.5 }'; }
maximum() { sort -n "$1" | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 == 0) print "-"; else printf "%.2f\n", b / a }'; }
clk_tck=$(getconf CLK_TCK)

idle_window() { # idle_window LOG: sets idle_rss idle_hwm idle_threads idle_cpu_ticks idle_wall_us
  local remaining=$idle cpu0 t0
  read_proc "$hupd_pid"
  cpu0=$cpu_ticks
  t0=$(now_us)
  while [ "$remaining" -gt 0 ]; do
    pause 1000
    remaining=$((remaining - 1))
    kill -0 "$hupd_pid" 2>/dev/null || { tail -n 20 "$1" >&2; die "hupd exited during the idle window"; }
  done
  idle_wall_us=$(($(now_us) - t0))
  read_proc "$hupd_pid"
  idle_rss=$rss_kib idle_hwm=$hwm_kib idle_threads=$threads idle_cpu_ticks=$((cpu_ticks - cpu0))
}
cpu_pct() { awk -v t="$1" -v hz="$clk_tck" -v w="$2" 'BEGIN { printf "%.3f", 100 * (t / hz) / (w / 1e6) }'; }
cpu_s() { awk -v t="$1" -v hz="$clk_tck" 'BEGIN { printf "%.2f", t / hz }'; }

# One start: measures spawn -> daemon.ready into $work/ready-LABEL.ms; sets ready_ms, log.
one_start() { # one_start LABEL RUN SETTINGS
  log="$work/hupd-$1-$2.log"
  start_hupd "$3" "$log"
  wait_log "$log" "event=daemon.ready" "$READY_TIMEOUT" "$hupd_pid"
  ready_ms=$((($(log_time_us "$found_line") - spawn_us) / 1000))
  echo "$ready_ms" >>"$work/ready-$1.ms"
}

"$repo/hupd" --version >/dev/null 2>&1 || die "'./hupd --version' failed; is Java 17 on PATH?"

# ---------------------------------------------------------------- A. without Bamboo

say "A. without Bamboo: $starts fresh starts, then ${idle}s idle"
: >"$work/ready-plain.ms"
for run in $(seq 1 "$starts"); do
  write_settings "$work/plain-$run.conf" "$work/state-plain-$run"
  one_start plain "$run" "$work/plain-$run.conf"
  say "    run $run: ready after $ready_ms ms"
  if [ "$run" -lt "$starts" ]; then stop_hupd "$log"; fi
done
read_proc "$hupd_pid"
plain_ready_rss=$rss_kib
idle_window "$log"
plain_rss=$idle_rss plain_hwm=$idle_hwm plain_threads=$idle_threads
plain_cpu=$idle_cpu_ticks plain_wall=$idle_wall_us
stop_hupd "$log"
grep -q "event=bamboo" "$log" && die "the run without bamboo-url logged Bamboo events"

# ---------------------------------------------------------------- B. with Bamboo

say "B. with Bamboo: the fake master on 127.0.0.1, $starts fresh starts (each a first boot), online, then ${idle}s idle"
"$java_cmd" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx128m -cp "$cp" dev.hupd.testing.FakeBamboo \
  --port 0 --print-port --manual-approval --ignore-stdin </dev/null >"$work/fake.out" 2>"$work/fake.err" &
fake_pid=$!
started_pids="$started_pids $fake_pid"
wait_log "$work/fake.out" "" "$FAKE_TIMEOUT" "$fake_pid"
port=$(head -n 1 "$work/fake.out")
case "$port" in '' | *[!0-9]*) die "the fake master printed '$port', not a port" ;; esac
master="http://127.0.0.1:$port/bamboo"
say "    fake master at $master (pid $fake_pid)"

: >"$work/ready-bamboo.ms"
: >"$work/online-bamboo.ms"
for run in $(seq 1 "$starts"); do
  home="$work/agent-home-$run"
  "$java_cmd" -cp "$cp" dev.hupd.testing.FakeBambooAgent install "$home" "$master" "bench-agent-$run" 127.0.0.1 >/dev/null ||
    die "could not install the fake agent script"
  agent_homes="$agent_homes $home"
  write_settings "$work/bamboo-$run.conf" "$work/state-bamboo-$run" \
    "bamboo-url = $master" \
    "bamboo-token = file:$work/bamboo.token" \
    "bamboo-agent-home = $home" \
    "bamboo-agent-name = bench-agent-$run" \
    "bamboo-agent-process = command:$home/bin/bamboo-agent.sh" \
    "bamboo-approve = on" \
    "bamboo-poll = $bamboo_poll" \
    "bamboo-docker-executable = /bin/sh"
  one_start bamboo "$run" "$work/bamboo-$run.conf"
  wait_log "$log" "to=online" "$ONLINE_TIMEOUT" "$hupd_pid"
  online_ms=$((($(log_time_us "$found_line") - spawn_us) / 1000))
  echo "$online_ms" >>"$work/online-bamboo.ms"
  say "    run $run: ready after $ready_ms ms, agent online after $online_ms ms"
  if [ "$run" -lt "$starts" ]; then
    stop_hupd "$log"
    stop_agents
  fi
done
read_proc "$hupd_pid"
bamboo_online_rss=$rss_kib
idle_window "$log"
bamboo_rss=$idle_rss bamboo_hwm=$idle_hwm bamboo_threads=$idle_threads
bamboo_cpu=$idle_cpu_ticks bamboo_wall=$idle_wall_us
polls=$(curl -sS --max-time 5 --noproxy '*' "$master/_fake/requests" | grep -o '"GET /agent[^"]*":[0-9]*' | tr '\n' ' ' || true)
stop_hupd "$log"
stop_agents
stop_pid "$fake_pid" "$STOP_TIMEOUT"
forget_pid "$fake_pid"
fake_pid=""

# ---------------------------------------------------------------- report

plain_ready_med=$(median "$work/ready-plain.ms")
bamboo_ready_med=$(median "$work/ready-bamboo.ms")
online_med=$(median "$work/online-bamboo.ms")
echo
echo "hupd Bamboo footprint  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(uname -sm), nproc=$(nproc), $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)"
echo "java:    $("$java_cmd" -version 2>&1 | head -n 1)"
echo "run:     --idle $idle --starts $starts --bamboo-poll $bamboo_poll; file source, examples/agent-fleet hooks"
echo
row() { printf '%-46s %-18s %-18s %s\n' "$1" "$2" "$3" "$4"; }
row "figure" "without Bamboo" "with Bamboo" "with / without"
row "------" "--------------" "-----------" "--------------"
row "start -> ready (n=$starts), median" "$plain_ready_med ms" "$bamboo_ready_med ms" "$(ratio "$plain_ready_med" "$bamboo_ready_med")"
row "start -> ready, max" "$(maximum "$work/ready-plain.ms") ms" "$(maximum "$work/ready-bamboo.ms") ms" "$(ratio "$(maximum "$work/ready-plain.ms")" "$(maximum "$work/ready-bamboo.ms")")"
row "start -> agent online (n=$starts), median" "-" "$online_med ms" ""
row "VmRSS at ready / at online" "$(mib "$plain_ready_rss")" "$(mib "$bamboo_online_rss")" "$(ratio "$plain_ready_rss" "$bamboo_online_rss")"
row "VmRSS after ${idle} s idle" "$(mib "$plain_rss")" "$(mib "$bamboo_rss")" "$(ratio "$plain_rss" "$bamboo_rss")"
row "VmHWM after ${idle} s idle" "$(mib "$plain_hwm")" "$(mib "$bamboo_hwm")" "$(ratio "$plain_hwm" "$bamboo_hwm")"
row "threads after idle" "$plain_threads" "$bamboo_threads" ""
row "CPU over ${idle} s idle (CPU-s)" "$(cpu_s "$plain_cpu")" "$(cpu_s "$bamboo_cpu")" "$(ratio "$plain_cpu" "$bamboo_cpu")"
row "CPU over ${idle} s idle (% of one core)" "$(cpu_pct "$plain_cpu" "$plain_wall")" "$(cpu_pct "$bamboo_cpu" "$bamboo_wall")" ""
echo
echo "RSS added by Bamboo after idle: $(mib $((bamboo_rss - plain_rss))) (HWM $(mib $((bamboo_hwm - plain_hwm))))."
echo "GET calls the fake master served, all $starts runs together: ${polls:-none counted}"
echo "Only hupd's JVM is measured (not the fake master or the fake agent). CPU is in $clk_tck Hz ticks; a ratio"
echo "with a 0 baseline prints '-'. One machine, one run: noisy."
