#!/usr/bin/env bash
# Installs what cjo needs on Debian 12 (as root): the PostgreSQL 15 server and
# headers, pg_cron, pgTAP and pg_prove, a C toolchain, Graphviz (dot) for diagrams,
# Python with psycopg2 for the delivery worker. Skips apt when all is there.
set -euo pipefail

packages=(postgresql-15 postgresql-server-dev-15 postgresql-15-cron postgresql-15-pgtap
          libtap-parser-sourcehandler-pgtap-perl build-essential graphviz python3-psycopg2)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
