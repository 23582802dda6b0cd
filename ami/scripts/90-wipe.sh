#!/bin/bash
# Step 90, the last one (as root, set -euo pipefail): wipe everything that identifies THIS build
# instance, so that every instance started from the image gets its own identity. Nothing may run
# after this step. ami/check.sh greps this file for each path below: do not drop one.
#
# Environment: STAGE (the upload folder).

AGENT_HOME=/home/bamboo/bamboo-agent-home

# Stop what could write state back while we wipe (none of them should be running; harmless if
# not). hupd and the agent are never started during the bake; dockerd only enabled.
systemctl stop bamboo-agent.service hupd.service docker.service docker.socket 2>/dev/null || true

# 1. Bamboo agent identity. bamboo-agent.cfg.xml holds the agent id the master assigned;
#    uuid-temp.properties the UUID it is approved under. Baked into an image, every instance would
#    claim the same agent (hupd would quarantine them, but the image must not carry them at all).
rm -f "$AGENT_HOME/bamboo-agent.cfg.xml" "$AGENT_HOME/uuid-temp.properties"
# The installer's own logs name the build instance and its master session.
find "$AGENT_HOME" \( -name '*.log' -o -name '*.log.[0-9]*' \) -type f -delete

# 2. hupd state: state.json (last-seen metadata values, the recorded agent id, fleet records), the
#    instance lock, Netty's unpacked native library. The folder itself stays (the RPM owns it,
#    mode 0700); a new instance starts with an empty state and imports nothing stale.
find /var/lib/hupd -mindepth 1 -delete

# 3. cfn-hup state: its last-seen metadata (metadata_db.json). hupd imports it on first start
#    (import-cfn-hup-state) so that a switch from cfn-hup fires nothing; values from the build
#    instance would make a new instance skip hooks it has never run.
rm -rf /var/lib/cfn-hup/data

# 4. machine-id: truncated, not deleted. An empty /etc/machine-id makes systemd generate a fresh
#    id on each instance's first boot (journal, DHCP client ids, and hupd's fallback agent id off
#    EC2); a deleted one could leave the system without one. D-Bus's copy, when it is a plain file.
truncate -s 0 /etc/machine-id
if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then
  rm -f /var/lib/dbus/machine-id
fi
# systemd's saved entropy: each instance should not start from the same seed file.
rm -f /var/lib/systemd/random-seed

# 5. cloud-init instance data: with it, cloud-init would treat a new instance as this one and skip
#    its per-instance work (hostname, SSH keys, user data - the cfn-init first-boot run).
if command -v cloud-init >/dev/null 2>&1; then
  cloud-init clean --logs
fi
rm -rf /var/lib/cloud/instance /var/lib/cloud/instances /var/lib/cloud/data /var/lib/cloud/sem

# 6. SSH host keys: shared keys would let one instance impersonate another. sshd-keygen (and
#    cloud-init) create new ones on first boot.
rm -f /etc/ssh/ssh_host_*

# 7. The temporary Packer key pair authorized for this session: cloud-init installs the instance's
#    own key pair on first boot. (The open SSH session is not affected.)
rm -f /home/ec2-user/.ssh/authorized_keys /root/.ssh/authorized_keys

# 8. Leftovers: uploaded files, shell history, package caches.
rm -rf "$STAGE"
rm -f /root/.bash_history /home/ec2-user/.bash_history /home/bamboo/.bash_history
dnf clean all

# Show what is left of each identity, for the build log: nothing but an empty machine-id.
ls -la /var/lib/hupd "$AGENT_HOME"
stat -c '%n %s bytes' /etc/machine-id
