# Shared by the benchmark scripts; sourced, never run. The caller defines say() and die() before
# sourcing and calls bench_init_pause once its temp folder $work exists.

# Loopback only: static fake credentials, a fixed region, no instance metadata, profiles or
# proxies, and the JVM flags that ./hupd ships (HUPD_JAVA_OPTS is ignored while measuring).
bench_loopback_env() {
  export AWS_EC2_METADATA_DISABLED=true
  export AWS_REGION=eu-west-1
  export AWS_DEFAULT_REGION=eu-west-1
  export AWS_ACCESS_KEY_ID=AKIDBENCHONLY
  export AWS_SECRET_ACCESS_KEY=bench-secret-not-real
  export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1
  unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ROLE_ARN \
    AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDFORMATION \
    HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy 2>/dev/null || true
  export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
  if [ -n "${HUPD_JAVA_OPTS-}" ]; then
    say "note: ignoring HUPD_JAVA_OPTS='$HUPD_JAVA_OPTS' (measuring the shipped flags)"
  fi
  unset HUPD_JAVA_OPTS
  if [ -n "${JAVA_TOOL_OPTIONS-}${JDK_JAVA_OPTIONS-}" ]; then
    say "warning: JAVA_TOOL_OPTIONS/JDK_JAVA_OPTIONS are set and will change the figures"
  fi
  java_cmd=${JAVA:-java}
}

# Sub-second sleeps without forking: a read with a timeout on a FIFO nobody writes to.
bench_init_pause() {
  mkfifo "$work/pause.fifo"
  exec {pause_fd}<>"$work/pause.fifo"
}
pause() { # pause MILLISECONDS
  read -r -t "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))" -u "$pause_fd" _ || true
}
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

stop_pid() { # stop_pid PID TIMEOUT: SIGTERM, wait, SIGKILL; sets stopped_rc (exit status or "timeout")
  local pid=$1 limit=$2 waited=0
  stopped_rc=0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((limit * 20)) ]; do
      pause 50
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      stopped_rc=timeout
      return 0
    fi
  fi
  wait "$pid" 2>/dev/null || stopped_rc=$?
}
forget_pid() { # forget_pid PID: drop it from $started_pids
  local p kept=""
  for p in $started_pids; do [ "$p" = "$1" ] || kept="$kept $p"; done
  started_pids=$kept
}
stale() { # stale TARGET PATH...: true when TARGET is missing or older than a file under PATHs
  local target=$1
  shift
  [ -e "$target" ] || return 0
  [ -n "$(find "$@" -type f -newer "$target" -print -quit 2>/dev/null)" ]
}
log_time_us() { # log_time_us LINE: the ISO timestamp that starts a hupd log line, in µs
  date -d "${1%% *}" +%s%6N
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# ---------------------------------------------------------------- temp folder, cleanup, build
# These use the caller's globals: repo, example, jar, build (yes/no), keep (yes/no), work.

bench_workdir() { # bench_workdir PREFIX: sets work (a fresh mktemp folder), no AWS files, started_pids=""
  work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  export AWS_CONFIG_FILE="$work/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/no-aws-credentials"
  started_pids=""
}
bench_traps() { # the caller's cleanup() on EXIT; INT and TERM exit 130 / 143 through it
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
bench_stop_started() { # bench_stop_started [SKIP-PID]: every pid in $started_pids but SKIP-PID, 10 s each
  local p
  for p in $started_pids; do
    [ "$p" = "${1-}" ] || stop_pid "$p" 10 2>/dev/null || true
  done
}
bench_release() { # closes the pause FIFO; removes $work unless --keep
  if [ -n "${pause_fd-}" ]; then exec {pause_fd}>&- || true; fi
  if [ "$keep" = yes ]; then
    say "kept $work"
  else
    rm -rf "$work"
  fi
}

# bench_build FAKE-CLASS WHAT: builds the jars (mvn package) when main sources are newer, and the
# test classes (mvn test-compile) when FAKE-CLASS is older than the sources; with --no-build it
# only checks that they exist (WHAT names the fake in the message).
bench_build() {
  local fake_class=$1 what=$2 main_stale=no test_stale=no mvn=${MVN:-mvn}
  if stale "$jar" "$repo/pom.xml" "$repo/daemon/pom.xml" "$repo/daemon/src/main" || [ ! -d "$repo/daemon/target/lib" ]; then
    main_stale=yes
  fi
  if stale "$fake_class" "$repo/pom.xml" "$repo/daemon/pom.xml" "$repo/daemon/src"; then
    test_stale=yes
  fi
  if [ "$build" = yes ]; then
    if [ "$main_stale" = yes ]; then
      say "building: $mvn -B -q -DskipTests package"
      (cd "$repo" && $mvn -B -q -DskipTests package) >"$work/build.log" 2>&1 ||
        { cat "$work/build.log" >&2; die "mvn package failed"; }
    fi
    if [ "$main_stale" = yes ] || [ "$test_stale" = yes ]; then
      say "building: $mvn -B -q test-compile -pl daemon"
      (cd "$repo" && $mvn -B -q test-compile -pl daemon) >"$work/build.log" 2>&1 ||
        { cat "$work/build.log" >&2; die "mvn test-compile failed"; }
    fi
  else
    [ -f "$jar" ] && [ -d "$repo/daemon/target/lib" ] || die "--no-build, but $jar or daemon/target/lib is missing"
    [ -f "$fake_class" ] || die "--no-build, but the test classes ($what) are missing"
    if [ "$main_stale" = yes ] || [ "$test_stale" = yes ]; then
      say "warning: --no-build with sources newer than the build output; measuring the old build"
    fi
  fi
}

# bench_cfn_dir DIR URL: the example's cfn-hup.conf with only url = URL (loopback only; no
# proxy, role or credential file) and its hooks, into DIR and DIR/hooks.d
bench_cfn_dir() {
  local dir=$1 url=$2
  case "$url" in http://127.0.0.1:*) ;; *) die "refusing non-loopback url $url" ;; esac
  mkdir -p "$dir/hooks.d"
  { grep -Ev '^(url|proxy|role|credential-file)[[:space:]]*[=:]' "$example/cfn/cfn-hup.conf"; echo "url=$url"; } >"$dir/cfn-hup.conf"
  cp "$example"/cfn/hooks.d/*.conf "$dir/hooks.d/"
}

# ---------------------------------------------------------------- processes

# spawn_hupd LOG ARGS...: starts `./hupd ARGS...` (with $work/bin first on PATH, output to the
# emptied LOG) in the background; sets hupd_pid and spawn_us and records the pid.
spawn_hupd() {
  local log=$1
  shift
  : >"$log"
  spawn_us=$(now_us)
  PATH="$work/bin:$PATH" "$repo/hupd" "$@" </dev/null >>"$log" 2>&1 &
  hupd_pid=$!
  started_pids="$started_pids $hupd_pid"
}
stop_hupd() { # stop_hupd LOG: SIGTERM, expect exit 0
  stop_pid "$hupd_pid" "$STOP_TIMEOUT"
  forget_pid "$hupd_pid"
  [ "$stopped_rc" = 0 ] || { tail -n 20 "$1" >&2; die "hupd (pid $hupd_pid) exited with '$stopped_rc' after SIGTERM, expected 0"; }
  hupd_pid=""
}

# spawn_fake OUT ERR CLASS ARGS...: a fake from the test classes (small JVM) in the background,
# stdout appended to OUT and stderr to ERR (both emptied first); sets fake_pid and records it.
spawn_fake() {
  local out=$1 err=$2 class=$3
  shift 3
  : >"$out"
  : >"$err"
  "$java_cmd" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx128m \
    -cp "$repo/daemon/target/test-classes:$repo/daemon/target/classes:$repo/daemon/target/lib/*" "$class" "$@" \
    </dev/null >>"$out" 2>>"$err" &
  fake_pid=$!
  started_pids="$started_pids $fake_pid"
}
stop_fake() { # SIGTERM to $fake_pid; a note unless it exits 0 or 143
  stop_pid "$fake_pid" "$STOP_TIMEOUT"
  forget_pid "$fake_pid"
  case "$stopped_rc" in 0 | 143) ;; *) say "note: the fake exited with '$stopped_rc' on SIGTERM" ;; esac
}

# wait_log FILE PATTERN TIMEOUT PID: waits (polling every 10 ms, no forks) for a line containing
# PATTERN (any complete line when PATTERN is empty); sets found_line. Fails if PID exits first or
# the time runs out.
found_line=""
wait_log() {
  local file=$1 pattern=$2 limit=$3 pid=$4 fd line partial="" deadline rc
  deadline=$(($(now_us) + limit * 1000000))
  [ -r "$file" ] || die "no log file $file"
  exec {fd}<"$file"
  while :; do
    while IFS= read -r -u "$fd" line; do
      line="$partial$line"
      partial=""
      case "$line" in *"$pattern"*) found_line=$line; exec {fd}<&-; return 0 ;; esac
    done
    partial="$partial$line" # an unterminated last line: keep it for the next read
    if ! kill -0 "$pid" 2>/dev/null; then
      exec {fd}<&-
      rc=0
      wait "$pid" 2>/dev/null || rc=$?
      forget_pid "$pid"
      tail -n 20 "$file" >&2
      die "process $pid exited ($rc) before logging '$pattern' (its last log lines are above)"
    fi
    if [ "$(now_us)" -ge "$deadline" ]; then
      exec {fd}<&-
      tail -n 20 "$file" >&2
      die "timed out after ${limit}s waiting for '$pattern' (last log lines above)"
    fi
    pause 10
  done
}

# ---------------------------------------------------------------- figures

read_proc() { # read_proc PID: sets rss_kib hwm_kib threads cpu_ticks, and rss_anon rss_file rss_shmem (KiB)
  local key val rest stat fields
  rss_kib=0 hwm_kib=0 threads=0 rss_anon=0 rss_file=0 rss_shmem=0
  while read -r key val rest; do
    case "$key" in
      VmRSS:) rss_kib=$val ;;
      VmHWM:) hwm_kib=$val ;;
      Threads:) threads=$val ;;
      RssAnon:) rss_anon=$val ;;
      RssFile:) rss_file=$val ;;
      RssShmem:) rss_shmem=$val ;;
    esac
  done </proc/"$1"/status
  read -r stat </proc/"$1"/stat
  read -r -a fields <<<"${stat##*) }"
  cpu_ticks=$((fields[11] + fields[12])) # utime + stime (fields 14 and 15 of /proc/PID/stat)
}

# idle_window PID SECONDS LOG: waits SECONDS (failing if PID exits; LOG's tail is shown), then sets
# idle_rss idle_hwm idle_threads (at the end) and idle_cpu_ticks idle_wall_us (over the window)
idle_window() {
  local pid=$1 remaining=$2 log=$3 cpu0 t0
  read_proc "$pid"
  cpu0=$cpu_ticks
  t0=$(now_us)
  while [ "$remaining" -gt 0 ]; do
    pause 1000
    remaining=$((remaining - 1))
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$log" >&2; die "hupd exited during the idle window (its last log lines are above)"; }
  done
  idle_wall_us=$(($(now_us) - t0))
  read_proc "$pid"
  idle_rss=$rss_kib idle_hwm=$hwm_kib idle_threads=$threads idle_cpu_ticks=$((cpu_ticks - cpu0))
}

clk_tck=$(getconf CLK_TCK)
cpu_s() { awk -v t="$1" -v hz="$clk_tck" 'BEGIN { printf "%.2f", t / hz }'; }     # cpu_s TICKS
cpu_pct() { awk -v t="$1" -v hz="$clk_tck" -v w="$2" 'BEGIN { printf "%.3f", 100 * (t / hz) / (w / 1e6) }'; } # cpu_pct TICKS WALL-US

stats() { # stats FILE: "median p90 max n" (nearest-rank p90; median of an even count = mean of the two middle)
  sort -n "$1" | awk '{ v[NR] = $1 } END {
    n = NR; if (n == 0) { print "- - - 0"; exit }
    med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    r = int(0.9 * n); if (r < 0.9 * n) r++; if (r < 1) r = 1
    printf "%d %d %d %d\n", med + 0.5, v[r], v[n], n }'
}

bench_header() { # bench_header TITLE: a blank line, TITLE with the UTC time, the machine and java lines
  echo
  echo "$1  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(uname -sm), nproc=$(nproc), $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)"
  echo "java:    $("$java_cmd" -version 2>&1 | head -n 1)"
}

# stop_agents: each fake Bamboo agent installed under a home in $agent_homes, by its script's own
# stop (which stops only that agent's pid), within $AGENT_STOP_TIMEOUT seconds; empties the list.
stop_agents() {
  local h
  for h in $agent_homes; do
    if [ -x "$h/bin/bamboo-agent.sh" ]; then
      timeout "$AGENT_STOP_TIMEOUT" "$h/bin/bamboo-agent.sh" stop >/dev/null 2>&1 || say "note: stopping the fake agent in $h failed"
    fi
  done
  agent_homes=""
}

# bench_docker_cleanup TAG_REFERENCE TOOLCHAIN...: removes what a run caused in Docker, with the
# caller's dk(): verify containers labelled dev.hupd.verify=<each TOOLCHAIN> (hupd removes its own;
# how many were left is counted into verify_left first), the tags matching TAG_REFERENCE (hupd's
# tags of the toolchains), the images labelled dev.hupd.bench=$run or under $bench_repo, and the
# manifests of pushed_refs (REGISTRY/REPO@DIGEST; the registry from .ci/docker-up runs with delete
# enabled). Then counts what is still there into left_containers and left_images.
bench_docker_cleanup() {
  local tagref=$1 n ids refs r path
  shift
  verify_left=0
  for n in "$@"; do
    ids=$(dk ps -aq --filter "label=dev.hupd.verify=$n" 2>/dev/null || true)
    verify_left=$((verify_left + $(printf '%s' "$ids" | grep -c . || true)))
    # shellcheck disable=SC2086
    [ -z "$ids" ] || dk rm -f $ids >/dev/null 2>&1 || true
  done
  refs=$(dk images --format '{{.Repository}}:{{.Tag}}' --filter "reference=$tagref" 2>/dev/null | grep -v '<none>' || true)
  # shellcheck disable=SC2086
  [ -z "$refs" ] || dk rmi $refs >/dev/null 2>&1 || true
  ids=$({
    dk images -q --no-trunc --filter "label=dev.hupd.bench=$run" 2>/dev/null || true
    dk images -q --no-trunc --filter "reference=$bench_repo/*" 2>/dev/null || true
  } | sort -u)
  # shellcheck disable=SC2086
  [ -z "$ids" ] || dk rmi -f $ids >/dev/null 2>&1 || true
  for r in "${pushed_refs[@]}"; do
    path=${r#"$REGISTRY"/}
    curl -fsS --noproxy '*' --max-time 10 -o /dev/null -X DELETE \
      "http://$REGISTRY/v2/${path%@*}/manifests/${path#*@}" 2>/dev/null || true
  done
  pushed_refs=()
  left_containers=0
  for n in "$@"; do
    left_containers=$((left_containers + $(dk ps -aq --filter "label=dev.hupd.verify=$n" 2>/dev/null | wc -l)))
  done
  left_images=$({
    dk images -q --filter "reference=$tagref" 2>/dev/null || true
    dk images -q --filter "label=dev.hupd.bench=$run" 2>/dev/null || true
    dk images -q --filter "reference=$bench_repo/*" 2>/dev/null || true
  } | sort -u | wc -l)
}
