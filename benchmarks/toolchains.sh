#!/usr/bin/env bash
# Toolchain benchmark: what `hupd run` costs and how quickly it converges when it keeps Docker
# toolchain images pulled, verified and active (fake CloudFormation, real dockerd, local registry).
#
#   benchmarks/toolchains.sh [--passes N] [--flips N] [--idle SECONDS] [--no-build] [--keep]
#
# Measures, in one invocation (so the figures can be compared as ratios):
#   1. build and push 6 small images to 127.0.0.1:5000 (5 toolchains v1 + a v2 for t3)
#   2. start -> 5 toolchains active (pull + verify each), and per-toolchain pull_ms / verify_ms
#   3. steady state: pass.done duration_ms over N passes with nothing changed (median, p90)
#   4. t3 flipped v1 <-> v2 N times: the activating pass, and that pass minus pull and verify
#   5. VmRSS / VmHWM after an idle period, with toolchains-path and without it
#
# Safety: loopback only (the fake CloudFormation from the test tree, the registry on
# 127.0.0.1:5000, instance metadata pointed at a closed loopback port) and the local docker socket;
# every process it starts is stopped by pid; every image, tag and container it creates carries a
# per-run name or label and is removed at the end. See benchmarks/README.md.
set -eEu

export LC_ALL=C
trap 'echo "toolchains.sh: FAILED: unexpected error (status $?) at line $LINENO" >&2' ERR

usage() {
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  echo "  --passes N      steady-state passes to measure (default 20)"
  echo "  --flips N       v1 -> v2 -> v1 round trips of one toolchain (default 5)"
  echo "  --idle SECONDS  idle time before each RSS reading (default 20)"
  echo "  --no-build      never run Maven; fail if the jars or test classes are missing"
  echo "  --keep          keep the temp folder (hupd logs, configs, raw figures) and print its path"
}

passes=20
flips=5
idle=20
build=yes
keep=no
while [ "$#" -gt 0 ]; do
  case "$1" in
    --passes) passes="${2-}"; shift ;;
    --passes=*) passes="${1#*=}" ;;
    --flips) flips="${2-}"; shift ;;
    --flips=*) flips="${1#*=}" ;;
    --idle) idle="${2-}"; shift ;;
    --idle=*) idle="${1#*=}" ;;
    --no-build) build=no ;;
    --keep) keep=yes ;;
    -h | --help) usage; exit 0 ;;
    *) echo "toolchains.sh: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
  esac
  shift
done
for pair in "passes:$passes" "flips:$flips" "idle:$idle"; do
  case "${pair#*:}" in
    '' | *[!0-9]*) echo "toolchains.sh: --${pair%%:*} needs a whole number, got '${pair#*:}'" >&2; exit 64 ;;
  esac
done
if [ "$passes" -lt 1 ] || [ "$flips" -lt 1 ]; then
  echo "toolchains.sh: --passes and --flips must be at least 1" >&2
  exit 64
fi

# Time limits (seconds) for every wait.
DOCKER_UP_TIMEOUT=180 # .ci/docker-up (dockerd, registry, base image)
DOCKER_CMD_TIMEOUT=120 # one docker build / push / rmi / inspect
READY_TIMEOUT=30       # hupd start -> daemon.ready; the fake -> listening
CONVERGE_TIMEOUT=120   # hupd start -> 5 toolchains active
PASS_TIMEOUT=10        # one more pass.done (poll-seconds = 1)
FLIP_TIMEOUT=60        # metadata changed -> toolchain.activated
STOP_TIMEOUT=20        # SIGTERM -> exit
FOREIGN_TIMEOUT=60     # other hupd instances' verify containers -> gone

REGISTRY=127.0.0.1:5000
BASE_IMAGE=hupd-test/busybox:1
TOOLS=5
FLIP_TOOL=3 # the toolchain whose digest is flipped

repo=$(cd "$(dirname "$0")/.." && pwd)
example="$repo/examples/agent-fleet"
jar="$repo/daemon/target/hupd.jar"
fake_class="$repo/daemon/target/test-classes/dev/hupd/testing/FakeCloudFormation.class"

say() { printf '[toolchains] %s\n' "$*" >&2; }
die() {
  printf 'toolchains.sh: FAILED: %s\n' "$*" >&2
  exit 1
}

# shellcheck source=benchmarks/lib.sh
. "$repo/benchmarks/lib.sh"

# ---------------------------------------------------------------- environment (loopback only)

bench_loopback_env
# The docker CLI used here talks to the local socket only, with no user config (no credential
# helpers); hupd gets docker-config = none and its default socket /var/run/docker.sock.
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH 2>/dev/null || true
export DOCKER_HOST=unix:///var/run/docker.sock

# ---------------------------------------------------------------- temp folder, cleanup

bench_workdir hupd-tbench
mkdir -p "$work/docker-cli"
export DOCKER_CONFIG="$work/docker-cli"
# One id per run: registry repository, toolchain names and an image label all carry it, so the
# cleanup removes exactly what this run made.
run=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
case "$run" in [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;; *) die "could not make a run id" ;; esac
bench_repo="$REGISTRY/hupd-bench-$run"
names=()
for i in $(seq 1 "$TOOLS"); do names+=("hb$run-t$i"); done
docker_touched=no
pushed_refs=() # what was pushed (REGISTRY/REPO@DIGEST), for the registry clean-up

bench_init_pause

dk() { # dk ARGS...: the docker CLI with a time limit
  timeout "$DOCKER_CMD_TIMEOUT" docker "$@"
}

# Removes what this run made in Docker: verify containers (label dev.hupd.verify=<our names>),
# hupd's tags hupd/<our names>:*, the pulled/built images (reference 127.0.0.1:5000/hupd-bench-<run>/*
# and label dev.hupd.bench=<run>), and the manifests pushed to the local registry. Best effort;
# counts what is left in left_containers / left_images.
docker_cleanup() {
  [ "$docker_touched" = yes ] || return 0
  bench_docker_cleanup "hupd/hb$run-*" "${names[@]}"
  docker_touched=cleaned
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  bench_stop_started
  docker_cleanup || true
  bench_release
  exit "$rc"
}
bench_traps

# ---------------------------------------------------------------- build

bench_build "$fake_class" "fake CloudFormation"

# ---------------------------------------------------------------- docker, registry, base image

say "checking dockerd, the registry on $REGISTRY and $BASE_IMAGE (.ci/docker-up)"
timeout "$DOCKER_UP_TIMEOUT" "$repo/.ci/docker-up" >"$work/docker-up.log" 2>&1 ||
  { cat "$work/docker-up.log" >&2; die ".ci/docker-up failed (dockerd, registry or base image); see above"; }
docker_version=$(tail -n 1 "$work/docker-up.log")
curl -fsS --max-time 5 -o /dev/null "http://$REGISTRY/v2/" || die "no registry answers on http://$REGISTRY/v2/"
dk image inspect "$BASE_IMAGE" >/dev/null 2>&1 || die "base image $BASE_IMAGE is missing after .ci/docker-up"
[ -S /var/run/docker.sock ] || die "/var/run/docker.sock is not a socket (hupd uses it)"

# ---------------------------------------------------------------- helpers

# Log reading: one fd per log, kept open, so each wait continues where the last one stopped.
# next_line PATTERN TIMEOUT PID: reads on until a line contains PATTERN; sets found_line and
# appends every line read (the match included) to `segment`. A toolchain failure, an unusable
# engine or an invalid manifest ends the run.
log_fd=""
log_file=""
log_partial=""
segment=""
found_line=""
open_log() {
  if [ -n "$log_fd" ]; then exec {log_fd}<&-; fi
  log_file=$1
  log_partial=""
  exec {log_fd}<"$log_file"
}
close_log() {
  if [ -n "$log_fd" ]; then exec {log_fd}<&-; fi
  log_fd=""
}
next_line() {
  local pattern=$1 limit=$2 pid=$3 line deadline rc
  deadline=$(($(now_us) + limit * 1000000))
  while :; do
    while IFS= read -r -u "$log_fd" line; do
      line="$log_partial$line"
      log_partial=""
      segment="$segment$line"$'\n'
      case "$line" in
        *"event=toolchain.failed"* | *"event=toolchain.engine-unavailable"* | *"event=toolchain.manifest-invalid"* | *"event=toolchain.manifest-unreadable"*)
          tail -n 20 "$log_file" >&2
          die "hupd reported a toolchain problem: $line"
          ;;
      esac
      case "$line" in *"$pattern"*) found_line=$line; return 0 ;; esac
    done
    log_partial="$log_partial$line" # an unterminated last line: keep it for the next read
    if ! kill -0 "$pid" 2>/dev/null; then
      rc=0
      wait "$pid" 2>/dev/null || rc=$?
      forget_pid "$pid"
      tail -n 20 "$log_file" >&2
      die "process $pid exited ($rc) before logging '$pattern' (its last log lines are above)"
    fi
    if [ "$(now_us)" -ge "$deadline" ]; then
      tail -n 20 "$log_file" >&2
      die "timed out after ${limit}s waiting for '$pattern' (last log lines above)"
    fi
    pause 10
  done
}

field() { # field LINE KEY: the value of KEY=value in a log line (sets fv)
  fv=""
  case "$1" in *" $2="*) fv=${1#*" $2="}; fv=${fv%% *} ;; esac
}


# ---------------------------------------------------------------- 1. images

say "1/5 building and pushing 6 images to $bench_repo/ (FROM $BASE_IMAGE)"
docker_touched=yes
declare -A digest # digest[tN-vK] = 127.0.0.1:5000/hupd-bench-<run>/tN@sha256:...
images_t0=$(now_us)
publish() { # publish N TOOL VERSION: FROM base, RUN echo N > /version; push; remove the local copy
  local n=$1 tool=$2 version=$3 ctx ref d
  ctx="$work/ctx-$n"
  mkdir -p "$ctx"
  # The label makes the image unique to this run (no build-cache or image-id sharing with other
  # runs or the integration tests) and lets the cleanup find it.
  printf 'FROM %s\nLABEL dev.hupd.bench=%s\nRUN echo %s > /version\n' "$BASE_IMAGE" "$run" "$n" >"$ctx/Dockerfile"
  ref="$bench_repo/$tool:$version"
  dk build -q -t "$ref" "$ctx" >>"$work/images.log" 2>&1 || { cat "$work/images.log" >&2; die "docker build of $ref failed"; }
  dk push "$ref" >>"$work/images.log" 2>&1 || { cat "$work/images.log" >&2; die "docker push of $ref failed"; }
  d=$(dk image inspect --format '{{index .RepoDigests 0}}' "$ref")
  case "$d" in "$bench_repo/$tool@sha256:"[0-9a-f]*) ;; *) die "unexpected digest reference '$d' for $ref" ;; esac
  pushed_refs+=("$d")
  dk rmi "$ref" >>"$work/images.log" 2>&1 || die "could not remove the local copy of $ref"
  if dk image inspect "$d" >/dev/null 2>&1; then die "$d is still local after 'docker rmi $ref'"; fi
  digest[$tool-$version]=$d
}
for i in $(seq 1 "$TOOLS"); do publish "$i" "t$i" v1; done
publish $((TOOLS + 1)) "t$FLIP_TOOL" v2
images_ms=$((($(now_us) - images_t0) / 1000))
say "    6 images in $images_ms ms"

# ---------------------------------------------------------------- fixture (copies only)

mkdir -p "$work/bin" "$work/md"
cp "$example/bin/"* "$work/bin/"
chmod 755 "$work/bin/"*
template="$work/AgentLaunchTemplate.template.json"
cp "$example/metadata/AgentLaunchTemplate.json" "$template"
[ "$(tail -n 1 "$template")" = "}" ] || die "examples/agent-fleet/metadata/AgentLaunchTemplate.json does not end with a '}' line"

# write_metadata T3-VERSION: the example's metadata plus "Toolchains", renamed into the fake's folder
write_metadata() {
  local v=$1 i ref sep=""
  {
    sed '$d' "$template"
    printf '  ,"Toolchains": {"toolchains": ['
    for i in $(seq 1 "$TOOLS"); do
      ref=${digest[t$i-v1]}
      if [ "$i" = "$FLIP_TOOL" ]; then ref=${digest[t$i-$v]}; fi
      printf '%s\n    {"name": "%s", "image": "%s", "verify": {"command": ["cat", "/version"], "outputPattern": "%s"}}' \
        "$sep" "${names[$((i - 1))]}" "$ref" '^[0-9]+\\s*$'
      sep=","
    done
    printf '\n  ]}\n}\n'
  } >"$work/next.json"
  if command -v jq >/dev/null 2>&1; then
    jq -e '.Toolchains.toolchains | length == 5' "$work/next.json" >/dev/null || die "generated metadata is not the JSON expected"
  fi
  mv -f "$work/next.json" "$work/md/AgentLaunchTemplate.json"
}
write_metadata v1

# ---------------------------------------------------------------- the fake CloudFormation

spawn_fake "$work/fake.out" "$work/fake.err" dev.hupd.testing.FakeCloudFormation \
  --port 0 --stack agents-stack --metadata-dir "$work/md" --ignore-stdin
wait_log "$work/fake.out" "FakeCloudFormation listening on " "$READY_TIMEOUT" "$fake_pid"
fake_url=${found_line#FakeCloudFormation listening on }
case "$fake_url" in
  http://127.0.0.1:[0-9]*/) ;;
  *) die "the fake did not report a loopback URL: '$found_line'" ;;
esac
bench_cfn_dir "$work/cfn" "$fake_url"

write_settings() { # write_settings FILE STATE-DIR [extra lines...]
  local file=$1 state=$2
  shift 2
  {
    echo "[hupd]"
    echo "state-dir = $state"
    echo "poll-seconds = 1"
    echo "first-poll-splay = 0"
    echo "import-cfn-hup-state = none"
    echo "imds-endpoint = http://127.0.0.1:1"
    for line in "$@"; do echo "$line"; done
    echo "docker-config = none"
  } >"$file"
}
write_settings "$work/hupd-toolchains.conf" "$work/state-toolchains" \
  "toolchains-path = Resources.AgentLaunchTemplate.Metadata.Toolchains"
write_settings "$work/hupd-plain.conf" "$work/state-plain"

hupd_pid=""
spawn_us=0
start_hupd() { # start_hupd SETTINGS LOG
  spawn_hupd "$2" --verbose run --config "$work/cfn" --settings "$1"
  open_log "$2"
}

# Warm the page cache (JDK, jars) with one untimed JVM start.
"$repo/hupd" --version >/dev/null 2>&1 || die "'./hupd --version' failed; is Java 17 on PATH?"

# ---------------------------------------------------------------- 2. start -> 5 toolchains active

# hupd force-removes EVERY container labelled dev.hupd.verify (any value) in its first toolchain
# pass, running or not, as leftovers of a crash. On a shared dockerd (integration tests, another
# hupd) those may belong to someone else: wait until there are none, or refuse.
foreign_deadline=$(($(now_us) + FOREIGN_TIMEOUT * 1000000))
while :; do
  foreign=$(dk ps -aq --filter label=dev.hupd.verify | wc -l)
  [ "$foreign" -gt 0 ] || break
  if [ "$(now_us)" -ge "$foreign_deadline" ]; then
    dk ps -a --filter label=dev.hupd.verify >&2 || true
    die "$foreign container(s) labelled dev.hupd.verify exist (above) and did not go away within ${FOREIGN_TIMEOUT}s; hupd would remove them at start, and they are not this run's. Run the benchmark when no other hupd or toolchain test uses this dockerd."
  fi
  say "waiting for $foreign verify container(s) of another hupd / test run to go away (hupd would remove them at start)"
  pause 2000
done

say "2/5 hupd run with $TOOLS toolchains: start -> all active"
tlog="$work/hupd-toolchains.log"
start_hupd "$work/hupd-toolchains.conf" "$tlog"
next_line "event=daemon.started" "$READY_TIMEOUT" "$hupd_pid"
started_us=$(log_time_us "$found_line")
grep -q "event=source.cloudformation .*endpoint=$fake_url" "$tlog" ||
  { tail -n 20 "$tlog" >&2; die "hupd did not report the fake endpoint $fake_url (its last log lines are above)"; }
: >"$work/converge.txt"
for i in $(seq 1 "$TOOLS"); do
  next_line "event=toolchain.activated " "$CONVERGE_TIMEOUT" "$hupd_pid"
  field "$found_line" name; n=$fv
  field "$found_line" pull_ms; p=$fv
  field "$found_line" verify_ms; v=$fv
  field "$found_line" duration; d=$fv
  echo "$n $p $v $d" >>"$work/converge.txt"
  say "    $n active: pull ${p} ms, verify ${v} ms, duration $d"
done
converged_line=$found_line
converged_us=$(log_time_us "$converged_line")
converge_ms=$(((converged_us - spawn_us) / 1000))
converge_from_started_ms=$(((converged_us - started_us) / 1000))
next_line "event=pass.done " "$PASS_TIMEOUT" "$hupd_pid" # the pass that made them active
field "$found_line" duration_ms; converge_pass_ms=$fv
converge_passes=$(printf '%s' "$segment" | grep -c "event=pass.done " || true)
converge_pulls=$(printf '%s' "$segment" | grep -c "event=toolchain.pull " || true)
awk '{ print $2 }' "$work/converge.txt" >"$work/converge-pull.ms"
awk '{ print $3 }' "$work/converge.txt" >"$work/converge-verify.ms"
read -r cpull_med _ cpull_max _ < <(stats "$work/converge-pull.ms")
read -r cverify_med _ cverify_max _ < <(stats "$work/converge-verify.ms")
for n in "${names[@]}"; do
  active=$(dk image inspect --format '{{.Id}}' "hupd/$n:active" 2>/dev/null) || die "hupd/$n:active is missing after activation"
done

# ---------------------------------------------------------------- 3. steady state

say "3/5 steady state: $passes passes with nothing changed"
segment=""
: >"$work/steady.ms"
for i in $(seq 1 "$passes"); do
  next_line "event=pass.done " "$PASS_TIMEOUT" "$hupd_pid"
  field "$found_line" duration_ms
  echo "$fv" >>"$work/steady.ms"
done
steady_changes=$(printf '%s' "$segment" | grep -c "event=toolchain\.\(pull\|activated\|reuse\|tag-repaired\|collected\)" || true)
steady_read_errors=$(printf '%s' "$segment" | grep "event=pass.done " | grep -vc " read_errors=0 " || true)
read -r steady_med steady_p90 steady_max steady_n < <(stats "$work/steady.ms")

# ---------------------------------------------------------------- 5a. RSS with toolchains

# idle = no manifest change for $idle seconds since convergence (passes keep running every second)
while [ $((($(now_us) - converged_us) / 1000000)) -lt "$idle" ]; do
  kill -0 "$hupd_pid" 2>/dev/null || { tail -n 20 "$tlog" >&2; die "hupd exited while idle"; }
  pause 200
done
idle_with_s=$((($(now_us) - converged_us) / 1000000))
read_proc "$hupd_pid"
rss_with=$rss_kib
hwm_with=$hwm_kib
threads_with=$threads

# ---------------------------------------------------------------- 4. digest flips

t3=${names[$((FLIP_TOOL - 1))]}
say "4/5 $t3: $flips round trips v1 -> v2 -> v1"
: >"$work/flips.txt"
flip() { # flip LABEL VERSION
  local label=$1 version=$2 t0 kind pass pull verify build overhead act_us
  segment=""
  t0=$(now_us)
  write_metadata "$version"
  next_line "event=toolchain.activated name=$t3 " "$FLIP_TIMEOUT" "$hupd_pid"
  act_us=$(log_time_us "$found_line")
  case "$found_line" in *" image=${digest[t$FLIP_TOOL-$version]} "*) ;; *) die "$t3 activated something else than $version: $found_line" ;; esac
  field "$found_line" pull_ms; pull=$fv
  field "$found_line" build_ms; build=$fv
  field "$found_line" verify_ms; verify=$fv
  case "$segment" in
    *"event=toolchain.reuse name=$t3 "*) kind=retag ;;
    *"event=toolchain.pull name=$t3 "*) kind=new ;;
    *) kind=other ;;
  esac
  next_line "event=pass.done " "$PASS_TIMEOUT" "$hupd_pid"
  field "$found_line" duration_ms; pass=$fv
  overhead=$((pass - pull - build - verify))
  echo "$label $version $kind $pass $pull $verify $overhead $(((act_us - t0) / 1000))" >>"$work/flips.txt"
  say "    $label -> $version ($kind): pass ${pass} ms, pull ${pull} ms, verify ${verify} ms, pass - pull - verify ${overhead} ms"
}
for k in $(seq 1 "$flips"); do
  flip "$k.up" v2
  flip "$k.down" v1
done
for kind in new retag; do
  awk -v k=$kind '$3 == k { print $4 }' "$work/flips.txt" >"$work/flip-$kind-pass.ms"
  awk -v k=$kind '$3 == k { print $5 }' "$work/flips.txt" >"$work/flip-$kind-pull.ms"
  awk -v k=$kind '$3 == k { print $6 }' "$work/flips.txt" >"$work/flip-$kind-verify.ms"
  awk -v k=$kind '$3 == k { print $7 }' "$work/flips.txt" >"$work/flip-$kind-overhead.ms"
done
awk '{ print $8 }' "$work/flips.txt" >"$work/flip-latency.ms"
read -r new_pass _ _ new_n < <(stats "$work/flip-new-pass.ms")
read -r new_pull _ _ _ < <(stats "$work/flip-new-pull.ms")
read -r new_verify _ _ _ < <(stats "$work/flip-new-verify.ms")
read -r new_over _ _ _ < <(stats "$work/flip-new-overhead.ms")
read -r re_pass _ re_pass_max re_n < <(stats "$work/flip-retag-pass.ms")
read -r re_pull _ _ _ < <(stats "$work/flip-retag-pull.ms")
read -r re_verify _ _ _ < <(stats "$work/flip-retag-verify.ms")
read -r re_over _ _ _ < <(stats "$work/flip-retag-overhead.ms")
read -r lat_med _ lat_max _ < <(stats "$work/flip-latency.ms")
other_n=$(awk '$3 == "other"' "$work/flips.txt" | wc -l)

close_log
stop_hupd "$tlog"
collected=$(grep -c "event=toolchain.collected" "$tlog" || true)

# ---------------------------------------------------------------- 5b. RSS without toolchains

say "5/5 the same configuration without toolchains-path: RSS after ${idle}s idle"
plog="$work/hupd-plain.log"
start_hupd "$work/hupd-plain.conf" "$plog"
next_line "event=daemon.ready" "$READY_TIMEOUT" "$hupd_pid"
ready_us=$(log_time_us "$found_line")
while [ $((($(now_us) - ready_us) / 1000000)) -lt "$idle" ]; do
  kill -0 "$hupd_pid" 2>/dev/null || { tail -n 20 "$plog" >&2; die "hupd exited while idle"; }
  pause 200
done
idle_without_s=$((($(now_us) - ready_us) / 1000000))
read_proc "$hupd_pid"
rss_without=$rss_kib
hwm_without=$hwm_kib
threads_without=$threads
if grep -q "event=toolchain\." "$plog"; then die "hupd without toolchains-path logged toolchain events"; fi
close_log
stop_hupd "$plog"
# its passes after the first one (which ran the post.add action): the per-pass baseline
grep "event=pass.done " "$plog" | tail -n +2 | sed 's/.* duration_ms=\([0-9]*\) .*/\1/' >"$work/plain.ms"
read -r plain_med plain_p90 plain_max plain_n < <(stats "$work/plain.ms")

stop_fake

say "cleaning up: verify containers, hupd/hb$run-*:* tags, $bench_repo/* images, registry manifests"
docker_cleanup

# ---------------------------------------------------------------- report

bench_header "hupd toolchain benchmark"
echo "docker:  $docker_version; registry $REGISTRY; run id $run"
echo
printf '%-62s %s\n' "figure" "value"
printf '%-62s %s\n' "------" "-----"
row() { printf '%-62s %s\n' "$1" "$2"; }
row "1. build + push + remove local copy, 6 images" "$images_ms ms"
row "2. start -> $TOOLS toolchains active (spawn -> last activated)" "$converge_ms ms"
row "   of which daemon.started -> last activated" "$converge_from_started_ms ms"
row "   passes / pulls to get there" "$converge_passes / $converge_pulls"
row "   the converging pass (pass.done duration_ms)" "$converge_pass_ms ms"
while read -r n p v d; do
  row "   $n: pull_ms / verify_ms / duration" "$p / $v / $d"
done <"$work/converge.txt"
row "   pull_ms median / max" "$cpull_med / $cpull_max ms"
row "   verify_ms median / max" "$cverify_med / $cverify_max ms"
row "3. steady pass, nothing changed (n=$steady_n), median" "$steady_med ms"
row "   p90" "$steady_p90 ms"
row "   max" "$steady_max ms"
row "   toolchain events / passes with read errors in that window" "$steady_changes / $steady_read_errors"
row "   baseline: pass without toolchains-path (n=$plain_n), median / p90" "$plain_med / $plain_p90 ms"
row "   added by $TOOLS converged toolchains per pass, median" "$((steady_med - plain_med)) ms"
row "4. $t3 new digest: activating pass (n=$new_n), median" "$new_pass ms"
row "   pull_ms / verify_ms, median" "$new_pull / $new_verify ms"
row "   pass - pull - verify (hupd's own), median" "$new_over ms"
row "   re-tag (verified before, local): activating pass (n=$re_n), median" "$re_pass ms"
row "   max" "$re_pass_max ms"
row "   pull_ms / verify_ms, median" "$re_pull / $re_verify ms"
row "   pass - pull - verify (hupd's own), median" "$re_over ms"
if [ "$other_n" -gt 0 ]; then row "   activations neither pulled nor re-tagged" "$other_n"; fi
row "   metadata renamed -> activated (all flips), median / max" "$lat_med / $lat_max ms"
while read -r label version kind pass pull verify overhead lat; do
  row "   flip $label -> $version: $kind" "pass $pass, pull $pull, verify $verify, own $overhead ms"
done <"$work/flips.txt"
row "   toolchain.collected during the run" "$collected"
row "5. VmRSS with toolchains (${idle_with_s} s after converging)" "$(mib "$rss_with")"
row "   VmHWM with toolchains" "$(mib "$hwm_with")"
row "   threads with toolchains" "$threads_with"
row "   VmRSS without toolchains-path (${idle_without_s} s after ready)" "$(mib "$rss_without")"
row "   VmHWM without toolchains-path" "$(mib "$hwm_without")"
row "   threads without toolchains-path" "$threads_without"
row "   added by toolchains: VmRSS / VmHWM" "$(mib $((rss_with - rss_without))) / $(mib $((hwm_with - hwm_without)))"
row "cleanup: images / verify containers of this run left" "$left_images / $left_containers"
echo
echo "All figures from hupd's own log (--verbose): pass.done duration_ms and toolchain.activated pull_ms,"
echo "build_ms, verify_ms. 'pass - pull - verify' is the activating pass without Docker's pull and the verify"
echo "container: reading the stack (fake CloudFormation on 127.0.0.1), the hooks, image inspects, tags, state"
echo "writes. A flip is 'new' when hupd pulled and verified, 're-tag' when it logged toolchain.reuse; hupd"
echo "keeps the previous image and remembers what it verified, so only the first v1 -> v2 flip is new."
echo "One run; figures from one machine are noisy."
