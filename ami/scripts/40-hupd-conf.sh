#!/bin/bash
# Step 40 (as root, set -euo pipefail): /etc/hupd/hupd.conf from $STAGE/hupd.conf.in.
#
# Environment: STAGE, BAMBOO_URL, FLEET, BAMBOO_TOKEN_PARAMETER, BAMBOO_AGENT_TOKEN_PARAMETER.
# Only SSM parameter NAMES are written: the tokens themselves are read by hupd at run time with the
# instance role, never baked into the image.

# The values are substituted with sed: refuse anything that could break the substitution or the
# ini syntax (whitespace, '|', '&', '#', ';', '\') rather than write a wrong file.
check() { # name value pattern
  if ! printf '%s' "$2" | grep -Eqx "$3"; then
    echo "FATAL: $1 '$2' is not of the form $3" >&2
    exit 1
  fi
}
check bamboo_url "$BAMBOO_URL" 'https://[A-Za-z0-9.:/_~%-]+'
check fleet "$FLEET" '[A-Za-z0-9._-]+'
check bamboo_token_parameter "$BAMBOO_TOKEN_PARAMETER" '/?[A-Za-z0-9_./-]+'
check bamboo_agent_token_parameter "$BAMBOO_AGENT_TOKEN_PARAMETER" '/?[A-Za-z0-9_./-]+'

sed -e "s|@BAMBOO_URL@|${BAMBOO_URL%/}|g" \
    -e "s|@FLEET@|$FLEET|g" \
    -e "s|@BAMBOO_TOKEN_PARAMETER@|$BAMBOO_TOKEN_PARAMETER|g" \
    -e "s|@BAMBOO_AGENT_TOKEN_PARAMETER@|$BAMBOO_AGENT_TOKEN_PARAMETER|g" \
    "$STAGE/hupd.conf.in" > "$STAGE/hupd.conf"
if grep -n '@[A-Z_]*@' "$STAGE/hupd.conf"; then
  echo "FATAL: placeholders left in hupd.conf" >&2
  exit 1
fi

# Replaces the RPM's commented default (a %config(noreplace) file: an RPM upgrade keeps this one
# and puts the new default beside it as hupd.conf.rpmnew). Same owner and mode as the RPM's.
install -m 0644 -o root -g root "$STAGE/hupd.conf" /etc/hupd/hupd.conf
cat /etc/hupd/hupd.conf
