#!/usr/bin/env bash
# Where hupd's resident memory goes, part by part: FootprintParts.java loads the first N parts of
# the daemon's stack (1 the JVM alone, 2 logging, 3 Jackson, 4 the status server on Netty, 5 the
# JDK's TLS context, 6 the AWS SDK's CloudFormation and SSM clients), each N in a fresh JVM with
# the launcher's flags (read from rpm/hupd), RUNS times; prints the median VmRSS / RssAnon /
# RssFile of each row and what the part adds over the row before. Needs a prior
# `mvn -B -q -DskipTests package`. Loopback only: the SDK calls go to a closed port on 127.0.0.1
# with static fake credentials and instance metadata disabled.
#
#   benchmarks/footprint-parts.sh [RUNS]      (default 3)
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
runs=${1:-3}
case "$runs" in '' | *[!0-9]* | 0) echo "footprint-parts.sh: RUNS must be a number >= 1" >&2; exit 64 ;; esac
cp="$root/daemon/target/classes:$root/daemon/target/lib/*"
if [ ! -d "$root/daemon/target/lib" ]; then
  echo "footprint-parts.sh: build first: mvn -B -q -DskipTests package" >&2
  exit 1
fi
export AWS_EC2_METADATA_DISABLED=true AWS_REGION=eu-west-1
export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1
export AWS_CONFIG_FILE=/nonexistent/hupd-parts AWS_SHARED_CREDENTIALS_FILE=/nonexistent/hupd-parts
unset AWS_PROFILE AWS_ENDPOINT_URL HTTP_PROXY HTTPS_PROXY http_proxy https_proxy 2>/dev/null || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
javac -d "$work" -cp "$cp" "$here/FootprintParts.java"

# The JVM options of the installed launcher's exec line (everything from `exec` to `-jar`).
flags=$(sed -n '/^exec "\$java"/,/-jar/p' "$root/rpm/hupd" | grep -o -- ' -[XD][^ ]*' | tr -d '\n')
[ -n "$flags" ] || { echo "footprint-parts.sh: could not read the JVM flags from rpm/hupd" >&2; exit 1; }

names=("" "JVM alone (launcher flags)" "+ logging (logback)" "+ Jackson databind" "+ status server (Netty)"
  "+ TLS default context" "+ AWS SDK: CloudFormation, SSM")
median() { sort -n | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); printf "%.1f", v[m] / 1024 }'; }

echo "hupd footprint by part  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "java:  $(java -version 2>&1 | head -1)"
echo "flags:$flags"
echo "runs:  $runs per row, each a fresh JVM; median; MiB"
echo
printf '%-36s %8s %8s %8s %8s\n' part VmRSS RssAnon RssFile added
prev=""
for n in 1 2 3 4 5 6; do
  : >"$work/rows"
  for _ in $(seq 1 "$runs"); do
    # shellcheck disable=SC2086
    java $flags -cp "$work:$cp" FootprintParts "$n" 2>"$work/err" | tail -1 >>"$work/rows" ||
      { cat "$work/err" >&2; exit 1; }
  done
  rss=$(awk '{ print $2 }' "$work/rows" | median)
  anon=$(awk '{ print $3 }' "$work/rows" | median)
  file=$(awk '{ print $4 }' "$work/rows" | median)
  added=$([ -z "$prev" ] && echo "-" || awk -v a="$rss" -v b="$prev" 'BEGIN { printf "%+.1f", a - b }')
  printf '%-36s %8s %8s %8s %8s\n' "$n ${names[$n]}" "$rss" "$anon" "$file" "$added"
  prev=$rss
done
echo
echo "RssFile is mostly libjvm.so and the JDK's CDS archive: page cache shared with every other JVM"
echo "of the same JDK on the host (the Bamboo agent's, for one). One machine, noisy: compare rows."
