#!/bin/bash
# Step 10 (as root, set -euo pipefail): the system packages an agent needs.
# Run by hupd-agent.pkr.hcl on an Amazon Linux 2023 build instance.

# Patches first: the image should start from the newest packages of its release, not from
# whatever the base AMI was built with.
dnf upgrade -y --refresh

# Docker Engine: toolchain images (hupd's toolchains-path) and Docker builds run on it.
# java-17-amazon-corretto-headless: the runtime of the Bamboo agent, of its installer, and of
# hupd (the RPM requires a Java 17 runtime and does not bundle one).
# git: the fleet template advertises system.git.executable = /usr/bin/git.
# aws-cfn-bootstrap: cfn-init and cfn-signal, run by the user data on first boot (they write
# /etc/cfn and start hupd); a no-op if the base image already has them.
dnf install -y docker java-17-amazon-corretto-headless git aws-cfn-bootstrap

# Enabled, not started: dockerd starts at every boot of an instance (hupd's unit orders itself
# after docker.service). Not starting it here keeps /var/lib/docker empty in the image, so no
# engine id or image cache is shared by every instance.
systemctl enable docker.service

# cfn-hup is replaced by hupd: never let both watch the same metadata. (aws-cfn-bootstrap may
# or may not ship a unit for it; a missing one is fine.)
systemctl disable cfn-hup.service 2>/dev/null || true

java -version
docker --version
