#!/usr/bin/env bash
# Runs every test of cjo in a throw-away cluster: pg_regress (sql/, expected/),
# isolation specs (specs/) and pgTAP (test/). Run as root on Debian 12:
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
make -s clean
make -s CJO_CFLAGS=-Werror
make -s install

mkdir -p /tmp/cjo-tmp
chmod 777 /tmp/cjo-tmp
# The cluster runs as the postgres user: let it write test results here.
chmod -R a+rwX . 2>/dev/null || true

TMPDIR=/tmp/cjo-tmp pg_virtualenv -t \
    -o "listen_addresses=127.0.0.1 " -o "unix_socket_directories=/tmp" \
    -o shared_preload_libraries=pg_cron -o cron.database_name=contrib_regression \
    -o cron.use_background_workers=on \
    bash -c '
        status=0
        # pg_regress, then the isolation specs, each whatever the other did.
        make -s installcheck ISOLATION= || { status=1; cat regression.diffs; }
        make -s installcheck REGRESS= || { status=1; cat output_iso/regression.diffs; }
        if ls test/*.sql >/dev/null 2>&1; then
            createdb cjo_tap
            PGDATABASE=cjo_tap pg_prove test/*.sql || status=$?
        fi
        exit $status'
echo "All tests passed."
