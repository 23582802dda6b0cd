#!/usr/bin/env bash
# Wall time and peak RSS of one whole run of hupd's Docker client (JVM start, negotiate, list
# images, run one container from hupd-test/busybox:1 and read its output), with the JVM flags
# that ./hupd ships. Needs dockerd and the base image (.ci/docker-up) and a prior
# `mvn -B -q -DskipTests package`.
#
#   benchmarks/docker-client.sh [RUNS]      (default 5)
#
# Talks only to /var/run/docker.sock; the container has no network and is removed.
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
runs=${1:-5}
cp="$root/daemon/target/classes:$root/daemon/target/lib/*"
if [ ! -d "$root/daemon/target/lib" ]; then
  echo "docker-client.sh: build first: mvn -B -q -DskipTests package" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
javac -d "$work" -cp "$cp" "$here/DockerClientFootprint.java"

flags="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xms8m -Xmx64m -XX:MaxMetaspaceSize=64m
  -XX:ReservedCodeCacheSize=16m -XX:-UsePerfData"
# One untimed run so that the first timed one does not pay for a cold page cache.
# shellcheck disable=SC2086
java $flags -cp "$work:$cp" DockerClientFootprint >/dev/null

printf '%-4s %-8s %-10s %s\n' run wall_s maxrss_MiB "program output"
for i in $(seq 1 "$runs"); do
  # shellcheck disable=SC2086
  /usr/bin/time -f '%e %M' -o "$work/time" java $flags -cp "$work:$cp" DockerClientFootprint \
    >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r wall rss_kb <"$work/time"
  printf '%-4s %-8s %-10s %s\n' "$i" "$wall" "$((rss_kb / 1024))" "$(cat "$work/out")"
done
