#!/usr/bin/env bash
# A canary-first rollout on one machine: three hupd agents (a1 has the canary role) share a
# folder store, and this script pushes three revisions to them — the first is applied on sight,
# the second goes to a1, bakes for 15 s, then to a2 and a3 one at a time; the third fails a1's
# health check, so a1 rolls itself back (its hook runs again with the previous tools) and the
# rollout halts before a2 or a3 move.
#
#   mvn -B -q -DskipTests package      # once
#   examples/fleet-demo/demo.sh        # from the repository root; about 40 seconds
#
# It stops only the agents it started. State lives in examples/fleet-demo/.fleet, .state, .out.
set -euo pipefail
cd "$(dirname "$0")/../.."
demo=examples/fleet-demo
[ -f daemon/target/hupd.jar ] || { echo "build first: mvn -B -q -DskipTests package" >&2; exit 64; }
rm -rf "$demo/.fleet" "$demo/.state" "$demo/.out"
mkdir -p "$demo/.out"

pids=()
stop() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap stop EXIT

for a in a1 a2 a3; do
  ./hupd run --config "$demo/cfn" --settings "$demo/$a.conf" > "$demo/.out/$a.hupd.log" 2>&1 &
  pids+=($!)
done
echo "started agents a1 (canary), a2, a3: logs in $demo/.out/*.hupd.log"
sleep 2

hupd() { ./hupd "$@" --settings "$demo/a1.conf"; }
tools() {
  for a in a1 a2 a3; do printf '  %s: %s\n' "$a" "$(cat "$demo/.out/$a.tools" 2>/dev/null || echo -)"; done
}
wait_for() { # seconds, then a command that must succeed
  local n=$1; shift
  for _ in $(seq "$n"); do "$@" > /dev/null 2>&1 && return 0; sleep 1; done
  return 1
}
phase_is() { hupd rollout status --json | grep -Eq "\"phase\" *: *\"$1\""; }

echo; echo "== push v1 (the fleet's first revision: applied on sight)"
hupd push "$demo/revisions/v1.json" --message "first tools"
wait_for 20 grep -q 17.0.10 "$demo/.out/a3.tools"
tools

echo; echo "== push v2: canary a1 first, bake 15 s, then a2 and a3 one at a time"
hupd push "$demo/revisions/v2.json" --message "jdk 17.0.11"
sleep 3
hupd rollout status
wait_for 60 phase_is complete
echo; hupd rollout status --agents
tools

echo; echo "== push v3-broken: a1's health check fails, a1 rolls back, the rollout halts"
hupd push "$demo/revisions/v3-broken.json" --message "a broken jdk"
wait_for 30 phase_is halted
sleep 2
hupd rollout status
tools
echo; echo "hook runs per agent (revision, rollback flag, tools):"
for a in a1 a2 a3; do echo "  $a:"; sed 's/^/    /' "$demo/.out/$a.log"; done
