#!/bin/bash
# ami/check.sh: the CI checks of the agent AMI recipe, run by AmiTemplateIT in `mvn verify`.
# Nothing here contacts AWS: `packer validate` only (never `packer build`), with no credentials,
# no AWS configuration, no Packer checkpoint call, and, where the kernel allows it, in a network
# namespace of its own (no network at all).
#
#   ami/check.sh [--template FILE]     default: hupd-agent.pkr.hcl beside this script; the
#                                      provisioning scripts and files are looked up beside FILE
#
# Checks:
#   1. `packer validate` with well-formed fake values for the required variables exits 0.
#      (Packer 1.6.6 prints nothing on success; newer ones print "The configuration is valid.")
#      The template is in `packer fmt` layout.
#   2. The provisioning scripts parse (`bash -n`).
#   3. The wipe step (scripts/90-wipe.sh) is the last provisioner and names every identity file.
#   4. files/bamboo-agent.service is the unit README.md shows; files/hupd.conf.in has the settings
#      the image relies on.
# Prints OK:/FAIL: lines, then "ami/check.sh: all checks passed" or exits 1.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
template=$here/hupd-agent.pkr.hcl
while [ $# -gt 0 ]; do
  case $1 in
    --template) template=$2; shift 2 ;;
    *) echo "usage: $0 [--template FILE]" >&2; exit 64 ;;
  esac
done
template=$(cd "$(dirname "$template")" && pwd)/$(basename "$template")
dir=$(dirname "$template")

failures=0
ok() { echo "OK: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if ! command -v packer >/dev/null 2>&1; then
  echo "FAIL: packer not found (Debian: apt-get install -y packer; .ci/setup installs it)"
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- 1. packer validate ---------------------------------------------------------------------
# The file provisioner checks at validate time that its source exists (it only stats it): an
# empty placeholder named like the real RPM stands in for it.
rpm_file=$work/hupd-0.0.0-1.noarch.rpm
: >"$rpm_file"

# A clean environment: no AWS_* variables, a HOME without ~/.aws, instance metadata lookups off,
# no HashiCorp checkpoint (update check) call, Packer's config and cache in the scratch folder.
run_env=(env -i "PATH=$PATH" "HOME=$work" "TMPDIR=$work" "PACKER_CONFIG_DIR=$work"
  "PACKER_CACHE_DIR=$work/cache" "CHECKPOINT_DISABLE=1" "AWS_EC2_METADATA_DISABLED=true"
  "AWS_CONFIG_FILE=$work/none" "AWS_SHARED_CREDENTIALS_FILE=$work/none")
# No network at all where possible: a new network namespace (root), else a user + network
# namespace; else say so and rely on the clean environment (validate makes no AWS calls).
isolate=()
if unshare -n true 2>/dev/null; then
  isolate=(unshare -n)
elif unshare -rn true 2>/dev/null; then
  isolate=(unshare -rn)
else
  echo "NOTE: no network namespace available; validating with a clean environment only"
fi

echo "$(packer version | head -1); template $template"
# bamboo.invalid: a reserved name (RFC 2606) that can never resolve.
out=$(cd "$dir" && "${run_env[@]}" "${isolate[@]}" packer validate \
  -var "region=eu-west-1" \
  -var "hupd_rpm=$rpm_file" \
  -var "bamboo_url=https://bamboo.invalid" \
  -var "bamboo_agent_version=9.2.1" \
  "$template" 2>&1)
status=$?
[ -n "$out" ] && printf '%s\n' "$out"
if [ "$status" -eq 0 ]; then
  ok "packer validate $(basename "$template"): the configuration is valid (exit 0)"
else
  fail "packer validate $(basename "$template"): exit $status"
fi

# packer fmt: the canonical layout, so that diffs stay small.
if fmt_out=$(packer fmt -check -diff "$template" 2>&1); then
  ok "packer fmt -check $(basename "$template")"
else
  printf '%s\n' "$fmt_out"
  fail "packer fmt -check $(basename "$template") (run: packer fmt $template)"
fi

# ---- 2. the provisioning scripts parse ------------------------------------------------------
scripts=$(grep -oE 'scripts/[A-Za-z0-9_.-]+\.sh' "$template" | sort -u)
if [ -z "$scripts" ]; then
  fail "no scripts/*.sh referenced by the template"
fi
for s in $scripts; do
  if [ ! -f "$dir/$s" ]; then
    fail "$s: referenced by the template but missing"
  elif ! bash -n "$dir/$s"; then
    fail "$s: bash -n"
  fi
done
[ -n "$scripts" ] && ok "scripts parse: $(echo $scripts | tr '\n' ' ')"

# ---- 3. the wipe step -----------------------------------------------------------------------
wipe=$dir/scripts/90-wipe.sh
last_provisioner=$(grep -n '^[[:space:]]*provisioner "' "$template" | tail -1 | cut -d: -f1)
wipe_ref=$(grep -n 'scripts/90-wipe\.sh' "$template" | tail -1 | cut -d: -f1)
if [ -n "$wipe_ref" ] && [ -n "$last_provisioner" ] && [ "$wipe_ref" -gt "$last_provisioner" ]; then
  ok "the wipe step is the last provisioner"
else
  fail "the wipe step (scripts/90-wipe.sh) is not the last provisioner of the template"
fi
if [ -f "$wipe" ]; then
  # Commands only: a path that survives only in a comment is not wiped.
  code=$(grep -v '^[[:space:]]*#' "$wipe")
  missing=""
  for what in bamboo-agent.cfg.xml uuid-temp.properties /var/lib/hupd /var/lib/cfn-hup/data \
    /etc/machine-id /var/lib/cloud /etc/ssh/ssh_host_; do
    grep -qF -- "$what" <<<"$code" || missing="$missing $what"
  done
  # machine-id must be emptied, not removed (systemd then generates one per instance).
  grep -qE 'truncate -s ?0 /etc/machine-id' <<<"$code" || missing="$missing truncate-machine-id"
  if [ -z "$missing" ]; then
    ok "wipe step names bamboo-agent.cfg.xml, uuid-temp.properties, /var/lib/hupd, /var/lib/cfn-hup/data, /etc/machine-id (truncated), /var/lib/cloud, /etc/ssh/ssh_host_*"
  else
    fail "wipe step (scripts/90-wipe.sh) does not wipe:$missing"
  fi
else
  fail "scripts/90-wipe.sh missing"
fi

# ---- 4. the unit and the settings template --------------------------------------------------
# The unit as README.md documents it (the lines of its ```ini block after the path comment).
readme_unit=$(awk '/^# \/etc\/systemd\/system\/bamboo-agent.service/ {on=1; next}
  on && /^```/ {exit} on {print}' "$repo/README.md")
file_unit=$(grep -v '^#' "$dir/files/bamboo-agent.service" 2>/dev/null)
if [ -n "$readme_unit" ] && [ "$readme_unit" = "$file_unit" ]; then
  ok "files/bamboo-agent.service is README.md's unit"
else
  fail "files/bamboo-agent.service differs from the unit in README.md:"
  diff <(printf '%s\n' "$readme_unit") <(printf '%s\n' "$file_unit")
fi
conf=$dir/files/hupd.conf.in
missing=""
for line in '^\[hupd\]$' '^toolchains-path = ' '^store = ssm$' '^fleet = @FLEET@$' \
  '^bamboo-url = @BAMBOO_URL@$' '^bamboo-token = ssm:' '^bamboo-agent-security-token = ssm:'; do
  grep -qE -- "$line" "$conf" 2>/dev/null || missing="$missing '$line'"
done
# A `#` after a value would become part of the value (cfn-hup's ini rules).
if grep -nE '^[a-z-]+ *= *[^#]*#' "$conf" 2>/dev/null; then
  missing="$missing (a # comment after a value)"
fi
if [ -z "$missing" ]; then
  ok "files/hupd.conf.in: toolchains-path, store = ssm, fleet, bamboo-url, ssm: tokens"
else
  fail "files/hupd.conf.in:$missing"
fi

if [ "$failures" -ne 0 ]; then
  echo "ami/check.sh: $failures check(s) failed"
  exit 1
fi
echo "ami/check.sh: all checks passed"
