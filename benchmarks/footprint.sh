#!/usr/bin/env bash
# Footprint benchmark for `hupd run` with the agent-fleet example configuration.
#
#   benchmarks/footprint.sh [--idle SECONDS] [--changes N] [--no-build] [--keep]
#
# Measures, in one invocation (so the figures can be compared as ratios):
#   1. start -> first successful poll (event=daemon.ready), 5 fresh starts, file source
#   2. VmRSS / VmHWM after an idle period (default 60 s), file source
#   3. CPU time (utime+stime) over that idle period
#   4. push-to-action latency, file source (inotify)
#   5. push-to-action latency, fake CloudFormation endpoint on 127.0.0.1 (poll-seconds = 1)
#
# Safety: every process it starts is recorded and stopped by pid; all network traffic goes to
# 127.0.0.1 (the fake CloudFormation from the test tree; instance metadata pointed at a closed
# loopback port); credentials are static fakes. Nothing is written outside a mktemp folder
# (and daemon/target when it builds). See benchmarks/README.md.
set -eEu

export LC_ALL=C
trap 'echo "footprint.sh: FAILED: unexpected error (status $?) at line $LINENO" >&2' ERR

usage() {
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
  echo "  --idle SECONDS  idle window for RSS and CPU (default 60)"
  echo "  --changes N     metadata changes per latency measurement (default 20)"
  echo "  --no-build      never run Maven; fail if the jars are missing"
  echo "  --keep          keep the temp folder (logs, configs, latencies) and print its path"
}

idle=60
changes=20
build=yes
keep=no
starts=5
while [ "$#" -gt 0 ]; do
  case "$1" in
    --idle) idle="${2-}"; shift ;;
    --idle=*) idle="${1#*=}" ;;
    --changes) changes="${2-}"; shift ;;
    --changes=*) changes="${1#*=}" ;;
    --no-build) build=no ;;
    --keep) keep=yes ;;
    -h | --help) usage; exit 0 ;;
    *) echo "footprint.sh: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
  esac
  shift
done
case "$idle" in '' | *[!0-9]*) echo "footprint.sh: --idle needs whole seconds, got '$idle'" >&2; exit 64 ;; esac
case "$changes" in '' | *[!0-9]*) echo "footprint.sh: --changes needs a number, got '$changes'" >&2; exit 64 ;; esac
if [ "$changes" -lt 1 ]; then echo "footprint.sh: --changes must be at least 1" >&2; exit 64; fi

# Time limits (seconds) for every wait.
READY_TIMEOUT=30
STOP_TIMEOUT=20
FAKE_TIMEOUT=30
FILE_CHANGE_TIMEOUT=10
CFN_CHANGE_TIMEOUT=15

# Targets (informational).
TARGET_FIRST_POLL_MS=1500
TARGET_RSS_KIB=$((96 * 1024))
TARGET_FILE_LATENCY_MS=1000

repo=$(cd "$(dirname "$0")/.." && pwd)
example="$repo/examples/agent-fleet"
jar="$repo/daemon/target/hupd.jar"
fake_class="$repo/daemon/target/test-classes/dev/hupd/testing/FakeCloudFormation.class"

say() { printf '[footprint] %s\n' "$*" >&2; }
die() {
  printf 'footprint.sh: FAILED: %s\n' "$*" >&2
  exit 1
}

# shellcheck source=benchmarks/lib.sh
. "$repo/benchmarks/lib.sh"

# ---------------------------------------------------------------- environment (loopback only)

bench_loopback_env

# ---------------------------------------------------------------- temp folder, process cleanup

bench_workdir hupd-bench

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  bench_stop_started
  bench_release
  exit "$rc"
}
bench_traps

bench_init_pause

# ---------------------------------------------------------------- build

bench_build "$fake_class" "fake CloudFormation"

# ---------------------------------------------------------------- fixture (copies only)

mkdir -p "$work/bin" "$work/md-file" "$work/md-fake"
cp "$example/bin/cfn-init" "$work/bin/cfn-init" # its .state/ goes beside the copy, in $work
chmod 755 "$work/bin/cfn-init"
template="$work/AgentLaunchTemplate.template.json"
cp "$example/metadata/AgentLaunchTemplate.json" "$template"
grep -q '"agent.pool": "linux-large"' "$template" ||
  die "examples/agent-fleet/metadata/AgentLaunchTemplate.json has no \"agent.pool\": \"linux-large\""
cp "$template" "$work/md-file/AgentLaunchTemplate.json"
cp "$template" "$work/md-fake/AgentLaunchTemplate.json"
effect="$work/effect.json"

write_cfn_dir() { # write_cfn_dir DIR URL
  local dir=$1 url=$2
  bench_cfn_dir "$dir" "$url"
  # The capabilities hook writes the new value to a file the benchmark polls ('%%' is '%').
  sed "s|^action=.*|action=printf '%%s' \"\$CFN_NEW_METADATA\" > '$effect'|" \
    "$example/cfn/hooks.d/bamboo-capabilities.conf" >"$dir/hooks.d/bamboo-capabilities.conf"
  grep -q "^action=printf '%%s' \"\$CFN_NEW_METADATA\" > '$effect'\$" "$dir/hooks.d/bamboo-capabilities.conf" ||
    die "could not replace the action in the copy of bamboo-capabilities.conf"
}
write_cfn_dir "$work/cfn-file" "http://127.0.0.1:1/" # unused by the file source; loopback anyway

write_settings() { # write_settings FILE STATE-DIR SOURCE [extra lines...]
  local file=$1 state=$2 source=$3
  shift 3
  {
    echo "[hupd]"
    echo "source = $source"
    echo "state-dir = $state"
    echo "imds-endpoint = http://127.0.0.1:1"
    echo "import-cfn-hup-state = none"
    for line in "$@"; do echo "$line"; done
  } >"$file"
}

# ---------------------------------------------------------------- helpers

hupd_pid=""
spawn_us=0
start_hupd() { # start_hupd CFN-DIR SETTINGS LOG
  rm -f "$3"
  spawn_hupd "$3" run --config "$1" --settings "$2"
}

# wait_effect VALUE TIMEOUT PID: polls the effect file every 10 ms until it holds "VALUE"
wait_effect() {
  local value=$1 limit=$2 pid=$3 deadline content
  deadline=$(($(now_us) + limit * 1000000))
  while :; do
    content=""
    if [ -f "$effect" ]; then IFS= read -r -d '' content <"$effect" || true; fi
    case "$content" in *"\"$value\""*) effect_us=$(now_us); return 0 ;; esac
    if ! kill -0 "$pid" 2>/dev/null; then
      die "hupd (pid $pid) exited while waiting for agent.pool=$value"
    fi
    if [ "$(now_us)" -ge "$deadline" ]; then
      die "timed out after ${limit}s waiting for the hook to write agent.pool=$value to $effect"
    fi
    pause 10
  done
}

# push_changes LABEL METADATA-DIR COUNT TIMEOUT PID MAX-RANDOM-GAP-MS: writes COUNT new
# agent.pool values atomically (temp file + mv) and appends each latency in ms to $work/LABEL.ms
push_changes() {
  local label=$1 dir=$2 count=$3 limit=$4 pid=$5 gap=$6 i value t0
  : >"$work/$label.ms"
  for i in $(seq 1 "$count"); do
    value="bench-$label-$i"
    sed "s/\"agent.pool\": \"linux-large\"/\"agent.pool\": \"$value\"/" "$template" >"$work/next.json"
    pause $((50 + RANDOM % gap)) # random phase relative to the daemon's poll schedule
    t0=$(now_us)
    mv -f "$work/next.json" "$dir/AgentLaunchTemplate.json"
    wait_effect "$value" "$limit" "$pid"
    echo $(((effect_us - t0) / 1000)) >>"$work/$label.ms"
  done
}

verdict() { # verdict VALUE LIMIT
  if [ "$1" -le "$2" ]; then echo PASS; else echo MISS; fi
}

# ---------------------------------------------------------------- 1. start -> first successful poll

# Warm the page cache (JDK, jars) with one untimed JVM start, so run 1 is not a cold-disk outlier.
"$repo/hupd" --version >/dev/null 2>&1 || die "'./hupd --version' failed; is Java 17 on PATH?"

say "1/5 start -> first successful poll: $starts fresh starts (file source)"
: >"$work/start.ms"
: >"$work/started.ms"
: >"$work/firstpass.ms"
for run in $(seq 1 "$starts"); do
  settings="$work/hupd-file-$run.conf"
  write_settings "$settings" "$work/state-file-$run" "file:$work/md-file"
  rm -f "$effect"
  start_hupd "$work/cfn-file" "$settings" "$work/hupd-file-$run.log"
  wait_log "$work/hupd-file-$run.log" "event=daemon.started" "$READY_TIMEOUT" "$hupd_pid"
  started_us=$(log_time_us "$found_line")
  wait_log "$work/hupd-file-$run.log" "event=daemon.ready" "$READY_TIMEOUT" "$hupd_pid"
  ready_us=$(log_time_us "$found_line")
  first_pass=${found_line##*first_pass_ms=}
  first_pass=${first_pass%% *}
  echo $(((ready_us - spawn_us) / 1000)) >>"$work/start.ms"
  echo $(((started_us - spawn_us) / 1000)) >>"$work/started.ms"
  echo "$first_pass" >>"$work/firstpass.ms"
  say "    run $run: ready after $(((ready_us - spawn_us) / 1000)) ms (daemon.started at $(((started_us - spawn_us) / 1000)) ms, first pass ${first_pass} ms)"
  if [ "$run" -lt "$starts" ]; then stop_hupd "$work/hupd-file-$run.log"; fi
done
read -r start_med _ start_max _ < <(stats "$work/start.ms")
read -r started_med _ _ _ < <(stats "$work/started.ms")
read -r firstpass_med _ _ _ < <(stats "$work/firstpass.ms")
wait_effect "linux-large" "$FILE_CHANGE_TIMEOUT" "$hupd_pid" # post.add of the last start
read_proc "$hupd_pid"
ready_cpu_ticks=$cpu_ticks
ready_rss_kib=$rss_kib

# ---------------------------------------------------------------- 2+3. idle RSS and CPU

say "2-3/5 RSS and CPU over ${idle}s idle (the last start keeps running; no changes)"
idle_log="$work/hupd-file-$starts.log"
idle_window "$hupd_pid" "$idle" "$idle_log"
idle_rss_kib=$idle_rss
idle_hwm_kib=$idle_hwm
idle_cpu_s=$(cpu_s "$idle_cpu_ticks")
idle_cpu_pct=$(cpu_pct "$idle_cpu_ticks" "$idle_wall_us")

# ---------------------------------------------------------------- 4. latency, file source

say "4/5 push-to-action latency, file source: $changes changes"
push_changes file "$work/md-file" "$changes" "$FILE_CHANGE_TIMEOUT" "$hupd_pid" 200
read_proc "$hupd_pid"
after_file_rss_kib=$rss_kib
after_file_hwm_kib=$hwm_kib
stop_hupd "$idle_log"
read -r file_med file_p90 file_max _ < <(stats "$work/file.ms")

# ---------------------------------------------------------------- 5. latency, fake CloudFormation

say "5/5 push-to-action latency, fake CloudFormation on 127.0.0.1: $changes changes"
spawn_fake "$work/fake.out" "$work/fake.err" dev.hupd.testing.FakeCloudFormation \
  --port 0 --stack agents-stack --metadata-dir "$work/md-fake" --ignore-stdin
wait_log "$work/fake.out" "FakeCloudFormation listening on " "$FAKE_TIMEOUT" "$fake_pid"
fake_url=${found_line#FakeCloudFormation listening on }
case "$fake_url" in
  http://127.0.0.1:[0-9]*/) ;;
  *) die "the fake did not report a loopback URL: '$found_line'" ;;
esac
write_cfn_dir "$work/cfn-fake" "$fake_url"
settings="$work/hupd-cfn.conf"
write_settings "$settings" "$work/state-cfn" cloudformation "poll-seconds = 1" "first-poll-splay = 0"
rm -f "$effect"
cfn_log="$work/hupd-cfn.log"
start_hupd "$work/cfn-fake" "$settings" "$cfn_log"
wait_log "$cfn_log" "event=daemon.ready" "$READY_TIMEOUT" "$hupd_pid"
cfn_ready_ms=$((($(log_time_us "$found_line") - spawn_us) / 1000))
grep -q "event=source.cloudformation .*endpoint=$fake_url" "$cfn_log" ||
  { tail -n 20 "$cfn_log" >&2; die "hupd did not report the fake endpoint $fake_url (its last log lines are above)"; }
wait_effect "linux-large" "$CFN_CHANGE_TIMEOUT" "$hupd_pid" # post.add on the first poll
push_changes cfn "$work/md-fake" "$changes" "$CFN_CHANGE_TIMEOUT" "$hupd_pid" 1000
read_proc "$hupd_pid"
after_cfn_rss_kib=$rss_kib
after_cfn_hwm_kib=$hwm_kib
after_cfn_threads=$threads
stop_hupd "$cfn_log"
read -r cfn_med cfn_p90 cfn_max _ < <(stats "$work/cfn.ms")
stop_fake
if grep -q "event=source.retry\|event=source.failed" "$cfn_log"; then
  say "note: hupd logged read retries/failures against the fake (see figures with care)"
fi

# ---------------------------------------------------------------- report

bench_header "hupd footprint benchmark"
echo "jvm:     flags from ./hupd: $(grep -o -- ' -X[^ ]*' "$repo/hupd" | tr -d '\n' | cut -c2-)"
echo
printf '%-58s %-30s %-10s %s\n' "figure" "value" "target" ""
printf '%-58s %-30s %-10s %s\n' "------" "-----" "------" ""
row() { printf '%-58s %-30s %-10s %s\n' "$1" "$2" "$3" "$4"; }
row "1. start -> first successful poll (n=$starts), median" "$start_med ms" "<= 1.5 s" "$(verdict "$start_med" $TARGET_FIRST_POLL_MS)"
row "   start -> first successful poll, max" "$start_max ms" "<= 1.5 s" "$(verdict "$start_max" $TARGET_FIRST_POLL_MS)"
row "   of which start -> daemon.started, median" "$started_med ms" "" ""
row "   of which first pass (first_pass_ms), median" "$firstpass_med ms" "" ""
row "   RSS at ready / CPU from spawn to ready" "$(mib "$ready_rss_kib") / $(cpu_s "$ready_cpu_ticks") s" "" ""
row "2. VmRSS after ${idle} s idle (file source)" "$(mib "$idle_rss_kib")" "<= 96 MiB" "$(verdict "$idle_rss_kib" $TARGET_RSS_KIB)"
row "   VmHWM (peak RSS) after idle" "$(mib "$idle_hwm_kib")" "" ""
row "   threads after idle" "$idle_threads" "" ""
row "3. CPU over ${idle} s idle" "${idle_cpu_s} CPU-s (${idle_cpu_pct}% of 1 core)" "" ""
row "4. push-to-action, file source (n=$changes), median" "$file_med ms" "<= 1 s" "$(verdict "$file_med" $TARGET_FILE_LATENCY_MS)"
row "   p90" "$file_p90 ms" "<= 1 s" "$(verdict "$file_p90" $TARGET_FILE_LATENCY_MS)"
row "   max" "$file_max ms" "<= 1 s" "$(verdict "$file_max" $TARGET_FILE_LATENCY_MS)"
row "   VmRSS / VmHWM after the file changes" "$(mib "$after_file_rss_kib") / $(mib "$after_file_hwm_kib")" "" ""
row "5. push-to-action, fake CloudFormation (n=$changes), median" "$cfn_med ms" "" ""
row "   p90" "$cfn_p90 ms" "" ""
row "   max" "$cfn_max ms" "" ""
row "   start -> first poll, CloudFormation source (n=1)" "$cfn_ready_ms ms" "" ""
row "   VmRSS / VmHWM after the changes" "$(mib "$after_cfn_rss_kib") / $(mib "$after_cfn_hwm_kib")" "" ""
row "   threads" "$after_cfn_threads" "" ""
echo
echo "Latency = metadata file renamed into place -> hook's output file holds the new value (polled every 10 ms)."
echo "Row 5 includes hupd's poll period (poll-seconds = 1, +-10 % jitter) and the fake's 200 ms re-read of its"
echo "metadata folder, so ~0.6 s on average is expected from those alone; changes are written at random phases."
echo "Targets are informational; figures from one machine are noisy."
