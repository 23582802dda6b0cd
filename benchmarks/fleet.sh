#!/usr/bin/env bash
# The canary-first rollout protocol at fleet sizes and under randomized faults, in virtual time:
# real RolloutAgents over the in-process SSM model (Get 40 TPS, Put 3 TPS enforced). Prints
# completion time, reads and writes per agent, steady read TPS, throttling, in-flight bounds, and
# the counts of the fault trials. Nothing leaves the process.
#
#   benchmarks/fleet.sh [--sizes 10,100,1000] [--trials 1000] [--seed 1]
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
sim="daemon/target/test-classes/dev/hupd/rollout/sim/FleetBenchmark.class"
cpfile="daemon/target/fleet-test-classpath.txt"
if [ ! -f "$sim" ] || [ ! -f "$cpfile" ] \
  || [ -n "$(find daemon/src -type f -newer "$sim" -print -quit)" ]; then
  mvn -B -q -DskipTests test-compile -pl daemon
  mvn -B -q dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$root/$cpfile" -pl daemon
fi
cp="daemon/target/test-classes:daemon/target/classes:$(cat "$cpfile")"
exec java -XX:+UseSerialGC -Xmx1g -cp "$cp" dev.hupd.rollout.sim.FleetBenchmark "$@"
