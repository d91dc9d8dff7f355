#!/usr/bin/env bash
# The cjo demo: builds and installs the extension, starts a throw-away cluster
# with pg_cron, publishes two journeys, loads events for a few thousand
# customers, runs the timer sweep and prints the analytics. Run as root on
# Debian 12:  bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
make -s
make -s install

mkdir -p /tmp/cjo-tmp
chmod 777 /tmp/cjo-tmp
TMPDIR=/tmp/cjo-tmp pg_virtualenv -t \
    -o "listen_addresses=127.0.0.1 " -o "unix_socket_directories=/tmp" \
    -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
    -o cron.use_background_workers=on \
    psql -X -q -f demo/run.sql
