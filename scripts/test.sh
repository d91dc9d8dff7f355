#!/usr/bin/env bash
# Runs every test of cjo: builds with -Werror, installs, then in a throw-away
# cluster (with pg_cron preloaded) runs the pg_regress suite (sql/, expected/),
# the isolation specs (specs/), the pgTAP tests (test/), the diagram check,
# the upgrade from 0.1.0, a short stress run against a replay oracle, backup
# and restore, a short randomised fuzzing run,
# the delivery worker's end-to-end test and the BI queries. The longer checks
# (stress, crashes, libFuzzer) are scripts/reliability.sh.
# Run as root on Debian 12; installs what is missing first:
#   bash scripts/test.sh
# Exits non-zero if anything fails, after printing the differences.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--in-cluster" ]; then
    bash scripts/setup.sh
    make -s clean
    make -s CJO_CFLAGS=-Werror
    make -s install
    mkdir -p /tmp/cjo-tmp
    chmod 777 /tmp/cjo-tmp
    # pg_virtualenv puts every throw-away cluster on port 5432 unless PGPORT says
    # otherwise: take a free port from a random start, so that runs started at the
    # same time on one machine don't collide.
    PGPORT=$((5433 + RANDOM % 500))
    while [ -e /tmp/.s.PGSQL.$PGPORT.lock ] || (exec 3<>/dev/tcp/127.0.0.1/$PGPORT) 2>/dev/null; do
        PGPORT=$((PGPORT + 1))
    done
    export PGPORT
    # Re-run this script inside the cluster (pg_virtualenv exports PGHOST, PGPORT, ...).
    # pg_cron only runs jobs in cron.database_name: the database pg_regress uses.
    status=0
    TMPDIR=/tmp/cjo-tmp pg_virtualenv -t \
        -o "listen_addresses=127.0.0.1 " -o "unix_socket_directories=/tmp" \
        -o shared_preload_libraries=pg_cron -o cron.database_name=contrib_regression \
        -o cron.use_background_workers=on \
        bash scripts/test.sh --in-cluster || status=$?
    if [ $status -ne 0 ]; then
        echo "FAILED (exit status $status)" >&2
        exit $status
    fi
    echo "All tests passed."
    exit 0
fi

# Inside the cluster. Each suite runs whatever the others did; any failure fails the run.
failed=()

echo "== pg_regress (sql/, expected/) =="
if ! make -s installcheck ISOLATION=; then
    failed+=(pg_regress)
    [ -f regression.diffs ] && cat regression.diffs
fi

echo "== isolation specs (specs/) =="
if ! make -s installcheck REGRESS=; then
    failed+=(isolation)
    [ -f output_iso/regression.diffs ] && cat output_iso/regression.diffs
fi

echo "== pgTAP (test/) =="
shopt -s nullglob
tap=(test/*.sql)
if [ ${#tap[@]} -eq 0 ]; then
    echo "no pgTAP tests in test/: skipped"
else
    # Each file creates pgtap and cjo itself inside BEGIN ... ROLLBACK.
    createdb cjo_tap
    PGDATABASE=cjo_tap pg_prove --failures "${tap[@]}" || failed+=(pgTAP)
fi

echo "== diagrams: Graphviz accepts every DOT diagram =="
PGDATABASE=contrib_regression bash test/diagrams_dot.sh || failed+=(diagrams)

echo "== the upgrade from 0.1.0 =="
bash scripts/test-upgrade.sh || failed+=(upgrade)

echo "== stress: 8 clients against a sequential replay (a short run; see doc/reliability.md) =="
bash test/stress/run.sh 20000 1000 || failed+=(stress)

echo "== backup and restore of a live database =="
bash scripts/test-backup.sh || failed+=(backup)

echo "== randomised SQL fuzzing of journey documents (a short run; see doc/hostile-input.md) =="
PGDATABASE=contrib_regression bash scripts/fuzz-sql.sh --seed 1 --cases 1500 --seconds 50 || failed+=(fuzz)

echo "== the delivery worker against a local webhook server =="
bash test/worker/run.sh || failed+=(worker)

echo "== BI queries on the demo data, as cjo_analyst =="
createdb cjo_bi
psql -X -q -v ON_ERROR_STOP=1 -d cjo_bi -c 'CREATE EXTENSION cjo' >/dev/null
for f in demo/journeys/*.json; do
    psql -X -q -v ON_ERROR_STOP=1 -d cjo_bi -v doc="$(cat "$f")" <<<"SELECT cjo_publish(:'doc')" >/dev/null
done
psql -X -q -v ON_ERROR_STOP=1 -d cjo_bi -f demo/events.sql -c 'SELECT cjo_advance()' -c 'ANALYZE' >/dev/null
PGDATABASE=cjo_bi PGOPTIONS='-c role=cjo_analyst' bash bi/check.sh || failed+=(bi)

if [ ${#failed[@]} -ne 0 ]; then
    echo "Failed: ${failed[*]}" >&2
    exit 1
fi
