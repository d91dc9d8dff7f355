#!/usr/bin/env bash
# The cjo demo: installs what is missing, builds and installs the extension,
# starts a throw-away cluster with pg_cron, publishes the journeys in
# demo/journeys/, loads three days of events for 3000 customers, runs the
# timer sweep, prints what cjo decided and draws the service ticket journey
# with its counts into demo/out/. The cluster is dropped at the end.
# Run as root on Debian 12:  bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--in-cluster" ]; then
    bash scripts/setup.sh
    make -s
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
    TMPDIR=/tmp/cjo-tmp pg_virtualenv -t \
        -o "listen_addresses=127.0.0.1 " -o "unix_socket_directories=/tmp" \
        -o shared_preload_libraries=pg_cron -o cron.database_name=postgres \
        -o cron.use_background_workers=on \
        bash scripts/demo.sh --in-cluster
    exit
fi

export PGDATABASE=postgres
sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

sql -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION cjo CASCADE'

echo "== Publishing the journeys in demo/journeys/ =="
for f in demo/journeys/*.json; do
    sql -v doc="$(cat "$f")" <<'SQL'
SELECT cjo_publish(:'doc') AS version, cjo.journey_name(:'doc') AS journey \gset
\echo :journey version :version
SQL
done
sql -f demo/run.sql

echo
echo "== The service ticket journey with its live counts: cjo_diagram() drawn by Graphviz =="
mkdir -p demo/out
sql -At -c "SELECT cjo_diagram('service_ticket_follow_up', 'dot')" > demo/out/service_ticket.dot
sql -At -c "SELECT cjo_diagram('service_ticket_follow_up', 'mermaid')" > demo/out/service_ticket.mmd
dot -Tsvg demo/out/service_ticket.dot -o demo/out/service_ticket.svg
echo "demo/out/service_ticket.svg (Graphviz), demo/out/service_ticket.mmd (Mermaid):"
cat demo/out/service_ticket.mmd
