#!/usr/bin/env bash
# The Bamboo integration on one machine, with no AWS and no Docker: the fake Bamboo master from
# the test tree (manual approval on) on 127.0.0.1, a fake remote agent installed as
# <agent-home>/bin/bamboo-agent.sh, and `hupd run` on local metadata files with bamboo-* settings.
# hupd starts the agent, approves it, publishes its capabilities and enables it; then, while the
# agent runs a "build", a metadata change arrives: hupd disables the agent and waits (draining),
# the hook runs only once the build ends, and the agent is enabled again.
#
#   examples/bamboo-demo/demo.sh [--keep]   # from anywhere; about 15-20 s (plus a build if needed)
#
# It builds with `mvn -B -q -DskipTests package` when daemon/target is missing or older than the
# sources (set MVN to change the command, e.g. MVN="mvn -o"). Everything it writes is in one
# mktemp folder, removed at the end (--keep keeps it and prints its path). It stops exactly what it
# started, by pid: hupd (SIGTERM), the agent (its script's `stop`), the fake master (SIGTERM).
# Only 127.0.0.1 is contacted: the fake master, and a closed port for instance metadata.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."
root=$(pwd)

keep=no
case "${1-}" in
  --keep) keep=yes ;;
  "") ;;
  *) echo "usage: $0 [--keep]" >&2; exit 64 ;;
esac
command -v curl > /dev/null || { echo "bamboo-demo: needs curl" >&2; exit 69; }

# Loopback only: no instance metadata, no AWS profile or credentials, no proxies.
export AWS_EC2_METADATA_DISABLED=true AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1
export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
  AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
  AWS_CONTAINER_CREDENTIALS_FULL_URI HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY \
  all_proxy 2> /dev/null || true
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
# The fake agent heartbeats every second and gives up 20 s after it last reached the master.
export FAKE_AGENT_HEARTBEAT_MS=1000 FAKE_AGENT_GIVE_UP_MS=20000

# ---------------------------------------------------------------- build when needed

jar=daemon/target/hupd.jar
fake_class=daemon/target/test-classes/dev/hupd/testing/FakeBamboo.class
if [ ! -f "$jar" ] || [ ! -f "$fake_class" ] || [ ! -d daemon/target/lib ] \
  || [ -n "$(find pom.xml daemon/pom.xml daemon/src/main -type f -newer "$jar" -print -quit)" ] \
  || [ -n "$(find daemon/src/test -type f -newer "$fake_class" -print -quit)" ]; then
  echo "building: ${MVN:-mvn} -B -q -DskipTests package"
  ${MVN:-mvn} -B -q -DskipTests package
fi
# The fakes need only the daemon's runtime jars (Jackson, SLF4J) besides the test classes.
cp="$root/daemon/target/test-classes:$root/daemon/target/classes:$root/daemon/target/lib/*"

# ---------------------------------------------------------------- temp folder, clean-up

work=$(mktemp -d "${TMPDIR:-/tmp}/hupd-bamboo-demo.XXXXXX")
export AWS_CONFIG_FILE="$work/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/no-aws-credentials"
home="$work/agent-home"
fake_pid="" hupd_pid=""

stop_pid() { # stop_pid PID SECONDS: SIGTERM, wait, SIGKILL
  local pid=$1 i
  kill -0 "$pid" 2> /dev/null || { wait "$pid" 2> /dev/null || true; return 0; }
  kill -TERM "$pid" 2> /dev/null || true
  for i in $(seq $(($2 * 10))); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2> /dev/null; then
    echo "bamboo-demo: pid $pid did not stop in $2 s; SIGKILL" >&2
    kill -KILL "$pid" 2> /dev/null || true
  fi
  wait "$pid" 2> /dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -z "$hupd_pid" ] || stop_pid "$hupd_pid" 20
  if [ -x "$home/bin/bamboo-agent.sh" ]; then
    timeout 20 "$home/bin/bamboo-agent.sh" stop > /dev/null 2>&1 || true
  fi
  [ -z "$fake_pid" ] || stop_pid "$fake_pid" 10
  if [ "$keep" = yes ] || [ "$rc" != 0 ]; then
    echo "logs and configuration kept in $work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "bamboo-demo: FAILED: $*" >&2
  [ ! -f "$work/hupd.log" ] || { echo "--- last lines of hupd's log:" >&2; tail -n 15 "$work/hupd.log" >&2; }
  exit 1
}
wait_for() { # wait_for SECONDS WHAT COMMAND...: polls every 0.5 s
  local limit=$1 what=$2 i
  shift 2
  for i in $(seq $((limit * 2))); do
    "$@" > /dev/null 2>&1 && return 0
    [ -z "$hupd_pid" ] || kill -0 "$hupd_pid" 2> /dev/null || fail "hupd exited while waiting for $what"
    sleep 0.5
  done
  fail "timed out after ${limit}s waiting for $what"
}

# ---------------------------------------------------------------- the fake master

java -cp "$cp" dev.hupd.testing.FakeBamboo --port 0 --print-port --manual-approval --ignore-stdin \
  < /dev/null > "$work/fake.out" 2>&1 &
fake_pid=$!
for _ in $(seq 100); do grep -q '^[0-9][0-9]*$' "$work/fake.out" && break; sleep 0.1; done
port=$(grep -m1 '^[0-9][0-9]*$' "$work/fake.out") || { cat "$work/fake.out" >&2; fail "the fake master did not start"; }
master="http://127.0.0.1:$port/bamboo"
echo "fake Bamboo master (pid $fake_pid, manual approval on) at $master"

fake() { # fake METHOD PATH [JSON]: the fake's control endpoints
  curl -sS --fail --max-time 5 --noproxy '*' -X "$1" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "$master/_fake/$2"
}
agents_json() { fake GET agents; }
agent_is() { # agent_is '"field":value'...: true when the (only) agent record has them all
  local json p
  json=$(agents_json) || return 1
  for p in "$@"; do case "$json" in *"$p"*) ;; *) return 1 ;; esac; done
}

# ---------------------------------------------------------------- token, agent, configuration

umask 077
printf 'test-token\n' > "$work/bamboo.token" # the fake's built-in admin token; hupd wants mode 0600
umask 022
java -cp "$cp" dev.hupd.testing.FakeBambooAgent install "$home" "$master" demo-agent 127.0.0.1 > /dev/null
echo "fake agent installed: \$WORK/agent-home/bin/bamboo-agent.sh (WORK=$work)"

mkdir -p "$work/metadata" "$work/cfn/hooks.d"
tools() { # tools VERSION: the stack metadata the file source reads
  printf '{"Tools":{"jdk":"%s"}}\n' "$1" > "$work/metadata/AgentLaunchTemplate.json.tmp"
  mv -f "$work/metadata/AgentLaunchTemplate.json.tmp" "$work/metadata/AgentLaunchTemplate.json"
}
tools 17.0.10
cat > "$work/cfn/cfn-hup.conf" << EOF
[main]
stack=bamboo-demo
region=eu-west-1
interval=1
EOF
# '%%' is '%' (the hook files are read with ConfigParser interpolation).
cat > "$work/cfn/hooks.d/tools.conf" << EOF
[tools]
triggers=post.add,post.update
path=Resources.AgentLaunchTemplate.Metadata.Tools
action=echo "\$(date +%%T) hook ran: tools = \$CFN_NEW_METADATA" >> $work/hook.log
EOF
: > "$work/hook.log"
cat > "$work/hupd.conf" << EOF
[hupd]
source = file:$work/metadata
state-dir = $work/state
import-cfn-hup-state = none
imds-endpoint = http://127.0.0.1:1
bamboo-url = $master
bamboo-token = file:$work/bamboo.token
bamboo-agent-home = $home
bamboo-agent-name = demo-agent
bamboo-agent-process = command:$home/bin/bamboo-agent.sh
bamboo-approve = on
bamboo-poll = 5s
bamboo-busy-poll = 1s
bamboo-capabilities = rest
bamboo-docker-executable = /bin/sh
EOF

hupd() { timeout 30 ./hupd "$@" --config "$work/cfn" --settings "$work/hupd.conf"; }
status() { hupd status | sed 's/^/    /'; }
bamboo_status_is() { hupd status | grep -q "^bamboo: $1"; }
hooks() { # hooks LABEL
  echo "  hook log ($1):"
  if [ -s "$work/hook.log" ]; then sed 's/^/    /' "$work/hook.log"; else echo "    (empty)"; fi
}

# ---------------------------------------------------------------- 1. boot: start, approve, enable

echo
echo "== 1. hupd run: first pass, then it starts the agent, approves it, publishes, enables"
./hupd run --config "$work/cfn" --settings "$work/hupd.conf" < /dev/null > "$work/hupd.log" 2>&1 &
hupd_pid=$!
echo "hupd run (pid $hupd_pid), log in $work/hupd.log"
wait_for 60 "the agent online and enabled on the master" agent_is '"active":true' '"enabled":true'
wait_for 30 "'bamboo: online' in hupd status" bamboo_status_is online
id=$(agents_json | sed -n 's/^\[{"id":\([0-9]*\).*/\1/p')
[ -n "$id" ] || fail "no agent id in $(agents_json)"
echo "agent $id is online; hupd status:"
status
echo "  approvals of its UUID on the master: $(fake GET authentication | grep -o '"approvals":{[^}]*}')"
hooks "the boot pass ran it once, before the agent started"

# ---------------------------------------------------------------- 2. a change while building

echo
echo "== 2. the agent takes a build; a metadata change arrives (tools 17.0.10 -> 17.0.11)"
fake POST "agents/$id/busy" '{"busy":true}' > /dev/null
tools 17.0.11
wait_for 20 "the agent disabled on the master" agent_is '"enabled":false'
wait_for 20 "'bamboo: draining' in hupd status" bamboo_status_is draining
sleep 3 # the build runs on for a while
echo "hupd disabled the agent (no new build starts) and waits for the running one:"
status
echo "  on the master: $(agents_json | grep -o '"enabled":[a-z]*,"busy":[a-z]*')"
hooks "the change has NOT run yet"
[ "$(wc -l < "$work/hook.log")" -eq 1 ] || fail "the hook ran while the agent was busy"

# ---------------------------------------------------------------- 3. the build ends

echo
echo "== 3. the build ends: the hook runs, capabilities are published, the agent is enabled"
fake POST "agents/$id/busy" '{"busy":false}' > /dev/null
wait_for 20 "the hook to run" grep -q 17.0.11 "$work/hook.log"
wait_for 20 "the agent enabled again" agent_is '"enabled":true' '"busy":false'
wait_for 20 "'bamboo: online' in hupd status" bamboo_status_is online
hooks "it ran after the build"
echo "hupd status:"
status
echo "on the master: $(agents_json | grep -o '"active":[a-z]*,"enabled":[a-z]*,"busy":[a-z]*')"
echo "  capabilities: $(agents_json | grep -o '"capabilities":{.*}}' | sed 's/,"connects".*//')"
echo "hupd's Bamboo events:"
grep -o 'event=bamboo\..*' "$work/hupd.log" | sed "s|$work|\$WORK|g; s/^/    /" | cut -c1-120

# ---------------------------------------------------------------- 4. stop

echo
echo "== 4. stop: hupd (SIGTERM; bamboo-stop = keep leaves the agent enabled), the agent, the fake"
stop_pid "$hupd_pid" 20
hupd_pid=""
echo "hupd stopped; its last line: $(tail -n 1 "$work/hupd.log" | cut -c1-120)"
echo "  on the master: $(agents_json | grep -o '"active":[a-z]*,"enabled":[a-z]*')"
timeout 20 "$home/bin/bamboo-agent.sh" stop
stop_pid "$fake_pid" 10
fake_pid=""
echo "fake master stopped"
