#!/usr/bin/env bash
# Push to canary action over SSM with the production pacing (no store-poll override): a fake SSM
# on 127.0.0.1 (40 TPS Get, 3 TPS Put enforced), two `hupd run` agents (a canary and a follower,
# source = store), and `hupd push` of a new revision ROUNDS times. Prints, per push, the time from
# `hupd push` returning to the canary's hook action starting, and the median and maximum.
# Goal (issue 4): <= 5 s. Nothing leaves the machine.
#
#   benchmarks/canary-latency.sh [ROUNDS]      (default 5; up to a minute per round: the
#                                                follower polls every 30 s when idle)
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
rounds=${1:-5}
say() { echo "canary-latency: $*" >&2; }
. "$here/lib.sh"
bench_loopback_env
work=$(mktemp -d /tmp/hupd-canary-latency.XXXXXX)
started_pids=""
cleanup() {
  local p
  for p in $started_pids; do stop_pid "$p" 20; done
  rm -rf "$work"
}
trap cleanup EXIT
bench_init_pause

cpfile=daemon/target/fleet-test-classpath.txt
if stale daemon/target/hupd.jar daemon/src/main || stale "$cpfile" daemon/pom.xml \
  || stale daemon/target/test-classes/dev/hupd/testing/FakeSsm.class daemon/src; then
  mvn -B -q -DskipTests package -pl daemon -am
  mvn -B -q dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$root/$cpfile" -pl daemon
fi
cp="daemon/target/test-classes:daemon/target/classes:$(cat "$cpfile")"

"$java_cmd" -cp "$cp" dev.hupd.testing.FakeSsm --port 0 --ignore-stdin \
  > "$work/ssm.out" 2>&1 < /dev/null &
started_pids="$started_pids $!"
for _ in $(seq 200); do grep -q "listening on" "$work/ssm.out" && break; pause 50; done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/ssm.out" | head -1)
url=${url%/}
[ -n "$url" ] || { say "fake SSM did not start"; cat "$work/ssm.out" >&2; exit 1; }
say "fake SSM at $url"

mkdir -p "$work/cfn/hooks.d"
printf '[main]\nstack=latency\nregion=eu-west-1\ninterval=15\n' > "$work/cfn/cfn-hup.conf"
printf '[tools]\ntriggers=post.add,post.update\npath=Resources.Agent.Metadata.Tools\naction=echo "$(date +%%%%s%%%%6N) $HUPD_REVISION" >> %s/$HUPD_AGENT.actions\n' \
  "$work" > "$work/cfn/hooks.d/tools.conf"
for a in canary follower; do
  roles=""
  [ "$a" = canary ] && roles="roles = canary"
  cat > "$work/$a.conf" <<CONF
[hupd]
status-listen = 127.0.0.1:0
store = ssm
ssm-url = $url
ssm-region = eu-west-1
fleet = latency
agent-id = $a
$roles
source = store
rollout-path = Resources.Agent.Metadata.Rollout
state-dir = $work/state-$a
imds-endpoint = http://127.0.0.1:1
import-cfn-hup-state = none
CONF
  "$java_cmd" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xms8m -Xmx64m -XX:-UsePerfData \
    -jar daemon/target/hupd.jar run --config "$work/cfn" --settings "$work/$a.conf" \
    > "$work/$a.log" 2>&1 < /dev/null &
  started_pids="$started_pids $!"
  eval "pid_$a=$!"
done

doc() { # doc VERSION
  printf '{"Resources":{"Agent":{"Metadata":{"Tools":{"version":%s},"Rollout":{"canaries":1,"bake":"5s","maxParallel":1,"turnLease":"2m"}}}}}\n' "$1" \
    > "$work/v$1.json"
}
push() { "$java_cmd" -jar daemon/target/hupd.jar push "$work/v$1.json" --settings "$work/canary.conf"; }
actions_of() { if [ -f "$work/$1.actions" ]; then wc -l < "$work/$1.actions"; else echo 0; fi; }

doc 1
push 1 >&2
for _ in $(seq 600); do [ "$(actions_of canary)" -ge 1 ] && break; pause 100; done
[ "$(actions_of canary)" -ge 1 ] || { say "revision 1 never applied"; tail "$work/canary.log" >&2; exit 1; }

latencies=""
for v in $(seq 2 $((rounds + 1))); do
  doc "$v"
  before=$(actions_of canary)
  push "$v" >&2
  pushed=$(now_us)
  for _ in $(seq 300); do [ "$(actions_of canary)" -gt "$before" ] && break; pause 50; done
  acted=$(tail -1 "$work/canary.actions" | cut -d' ' -f1)
  ms=$(((acted - pushed) / 1000))
  latencies="$latencies $ms"
  echo "push $v -> canary action: ${ms} ms"
  # let the revision reach the follower before the next push (it polls every 30 s when idle), so
  # each push finds the canary idle, as an operator's pushes normally do
  for _ in $(seq 1200); do [ "$(actions_of follower)" -ge "$v" ] && break; pause 100; done
done
sorted=$(printf '%s\n' $latencies | sort -n)
n=$(printf '%s\n' $sorted | wc -l)
median=$(printf '%s\n' $sorted | sed -n "$(((n + 1) / 2))p")
max=$(printf '%s\n' $sorted | tail -1)
echo "push to canary action over SSM (candidate poll 3 s +/- 20 %): median ${median} ms, max ${max} ms over $n pushes (goal <= 5000 ms)"
for a in canary follower; do
  eval "p=\$pid_$a"
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status")
  echo "RSS of the $a agent (fleet mode, SSM store, after the pushes): $(mib "$rss")"
done
