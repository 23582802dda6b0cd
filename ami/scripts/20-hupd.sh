#!/bin/bash
# Step 20 (as root, set -euo pipefail): install the hupd RPM uploaded to $STAGE.

# dnf (not rpm -i) so that the package's Requires (a Java 17 runtime) are checked against the
# repositories; step 10 already installed Corretto 17, which satisfies it.
dnf install -y "$STAGE/hupd.noarch.rpm"

# The RPM applies the system preset on first install and never starts hupd. Whatever the preset
# says, the image ships hupd disabled: on first boot cfn-init writes /etc/cfn (cfn-hup.conf and the
# hooks hupd reads) and only then enables and starts hupd (the fleet template's
# `services: sysvinit: hupd`). A hupd started before /etc/cfn exists would only fail.
systemctl disable hupd.service

rpm -q hupd
hupd --version
