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

bench_workdir hupd-bamboo-bench
agent_homes=""
fake_pid=""


cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  bench_stop_started "$fake_pid" # hupd first, the fake master last
  stop_agents
  [ -z "$fake_pid" ] || stop_pid "$fake_pid" 10 2>/dev/null || true
  bench_release
  exit "$rc"
}
bench_traps

bench_init_pause

# ---------------------------------------------------------------- build

bench_build "$fake_class" "fake Bamboo"
cp="$repo/daemon/target/test-classes:$repo/daemon/target/classes:$repo/daemon/target/lib/*"

# ---------------------------------------------------------------- fixture (copies only)

mkdir -p "$work/bin" "$work/metadata"
cp "$example/bin/cfn-init" "$work/bin/cfn-init" # on PATH for the (never firing) reloader hook
chmod 755 "$work/bin/cfn-init"
cp "$example/metadata/AgentLaunchTemplate.json" "$work/metadata/AgentLaunchTemplate.json"
bench_cfn_dir "$work/cfn" "http://127.0.0.1:1/"

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
  spawn_hupd "$2" run --config "$work/cfn" --settings "$1"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 == 0) print "-"; else printf "%.2f\n", b / a }'; }

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
idle_window "$hupd_pid" "$idle" "$log"
plain_rss=$idle_rss plain_hwm=$idle_hwm plain_threads=$idle_threads
plain_cpu=$idle_cpu_ticks plain_wall=$idle_wall_us
stop_hupd "$log"
grep -q "event=bamboo" "$log" && die "the run without bamboo-url logged Bamboo events"

# ---------------------------------------------------------------- B. with Bamboo

say "B. with Bamboo: the fake master on 127.0.0.1, $starts fresh starts (each a first boot), online, then ${idle}s idle"
spawn_fake "$work/fake.out" "$work/fake.err" dev.hupd.testing.FakeBamboo \
  --port 0 --print-port --manual-approval --ignore-stdin
wait_log "$work/fake.out" "" "$FAKE_TIMEOUT" "$fake_pid"
port=$found_line
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
idle_window "$hupd_pid" "$idle" "$log"
bamboo_rss=$idle_rss bamboo_hwm=$idle_hwm bamboo_threads=$idle_threads
bamboo_cpu=$idle_cpu_ticks bamboo_wall=$idle_wall_us
polls=$(curl -sS --max-time 5 --noproxy '*' "$master/_fake/requests" | grep -o '"GET /agent[^"]*":[0-9]*' | tr '\n' ' ' || true)
stop_hupd "$log"
stop_agents
stop_fake
fake_pid=""

# ---------------------------------------------------------------- report

read -r plain_ready_med _ plain_ready_max _ < <(stats "$work/ready-plain.ms")
read -r bamboo_ready_med _ bamboo_ready_max _ < <(stats "$work/ready-bamboo.ms")
read -r online_med _ _ _ < <(stats "$work/online-bamboo.ms")
bench_header "hupd Bamboo footprint"
echo "run:     --idle $idle --starts $starts --bamboo-poll $bamboo_poll; file source, examples/agent-fleet hooks"
echo
row() { printf '%-46s %-18s %-18s %s\n' "$1" "$2" "$3" "$4"; }
row "figure" "without Bamboo" "with Bamboo" "with / without"
row "------" "--------------" "-----------" "--------------"
row "start -> ready (n=$starts), median" "$plain_ready_med ms" "$bamboo_ready_med ms" "$(ratio "$plain_ready_med" "$bamboo_ready_med")"
row "start -> ready, max" "$plain_ready_max ms" "$bamboo_ready_max ms" "$(ratio "$plain_ready_max" "$bamboo_ready_max")"
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
