#!/bin/bash
# Step 30 (as root, set -euo pipefail): the bamboo user and the Bamboo remote agent installed from
# the master's installer jar into /home/bamboo/bamboo-agent-home. The agent is NOT started and NOT
# registered here: hupd starts it on each instance once its toolchains are verified.
#
# Environment: STAGE (upload folder), BAMBOO_URL (https://host[/context]), BAMBOO_AGENT_VERSION.

AGENT_HOME=/home/bamboo/bamboo-agent-home
base=${BAMBOO_URL%/}
jar=$STAGE/atlassian-bamboo-agent-installer-$BAMBOO_AGENT_VERSION.jar
url=$base/agentServer/agentInstaller/atlassian-bamboo-agent-installer-$BAMBOO_AGENT_VERSION.jar

# The account builds run as: a normal user with a home (builds write caches there), in the docker
# group because the agent advertises system.docker.executable and builds call docker. Membership of
# docker is root-equivalent on this host: the agent runs builds we trust with the Docker socket.
if ! id bamboo >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash --comment "Bamboo remote agent" bamboo
fi
usermod -aG docker bamboo
install -d -o bamboo -g bamboo -m 0750 "$AGENT_HOME"

# The installer jar comes from the master itself (its version must match the master's). If the
# master cannot be reached from the build instance, the bake must stop here with a clear reason
# rather than produce an image without an agent.
echo "Downloading $url"
if ! curl --fail --silent --show-error --location --proto '=https' \
    --connect-timeout 20 --max-time 600 --retry 3 --retry-connrefused \
    --output "$jar" "$url"; then
  echo "FATAL: cannot download the Bamboo agent installer from $url" >&2
  echo "FATAL: is bamboo_url reachable from the build subnet, and is bamboo_agent_version the master's version?" >&2
  exit 1
fi
# A proxy or login page answering 200 with HTML is not a jar: jars (zip files) start with "PK".
if [ "$(head -c 2 "$jar")" != "PK" ]; then
  echo "FATAL: $url did not return a jar (got: $(head -c 200 "$jar" | tr -cd '[:print:]'))" >&2
  exit 1
fi
chmod 0644 "$jar"

# `install` lays out the agent home (the Java Service Wrapper, bin/bamboo-agent.sh, the agent's
# jars fetched from <master>/agentServer/) without running the agent; as bamboo, so the home and
# everything in it belong to the agent's account. Bounded: a master that stops answering midway
# fails the bake instead of hanging it.
if ! (cd "$AGENT_HOME" && timeout 15m runuser -u bamboo -- \
    java -Dbamboo.home="$AGENT_HOME" -jar "$jar" "$base/agentServer/" install); then
  echo "FATAL: the Bamboo agent installer failed (master $base/agentServer/)" >&2
  exit 1
fi
if [ ! -x "$AGENT_HOME/bin/bamboo-agent.sh" ]; then
  echo "FATAL: the installer left no $AGENT_HOME/bin/bamboo-agent.sh" >&2
  exit 1
fi
# The installer must not have left an agent running: one would register this build instance with
# the master. Stop it with its own script and fail loudly (an operator must delete that agent).
if pgrep -u bamboo >/dev/null; then
  "$AGENT_HOME/bin/bamboo-agent.sh" stop || true
  echo "FATAL: the installer started the agent; delete the agent of this build instance on the master" >&2
  exit 1
fi
rm -f "$jar"

# The unit from README.md ("Bamboo agent: registration and drain" > "Turning it on"): installed,
# not enabled. hupd (bamboo-agent-process = systemd:bamboo-agent.service, the default) starts it
# after the toolchains are verified, with SECURITY_TOKEN in /run/hupd/bamboo-agent.env.
install -m 0644 -o root -g root "$STAGE/bamboo-agent.service" /etc/systemd/system/bamboo-agent.service
systemctl daemon-reload
systemctl disable bamboo-agent.service 2>/dev/null || true
systemctl is-enabled bamboo-agent.service || true
