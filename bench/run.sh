#!/usr/bin/env bash
# The cjo benchmark: loads events through ten live journeys on a real cluster
# (fsync on, default settings but for shared_buffers and max_wal_size), and
# compares every load with the same load with cjo's trigger disabled; then
# the sweep, storage per row, and single-event throughput with pgbench.
#   bash bench/run.sh [events] [customers]      (defaults: 1000000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-1000000}
CUSTOMERS=${2:-100000}
ROUNDS=${ROUNDS:-2}

bash scripts/setup.sh
command -v bc >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bc >/dev/null; }
make -s
make -s install

PGBIN=/usr/lib/postgresql/15/bin
WORK=$(mktemp -d /tmp/cjo-bench.XXXXXX)
chown postgres "$WORK"
PORT=54329
stop() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap stop EXIT
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/data" >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w \
    -o "-p $PORT -k $WORK -c listen_addresses='' -c shared_buffers=1GB -c max_wal_size=4GB" start >/dev/null
psql() { command psql -h "$WORK" -p $PORT -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -c "CREATE DATABASE bench"
db() { psql -d bench "$@"; }
# Prints the seconds a statement takes.
timed() { db -At -c "\\timing on" -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{ printf "%.2f", $1 / 1000 }'; }

echo "cjo benchmark: $EVENTS events, $CUSTOMERS customers, 10 journeys of 9 nodes; $(nproc) cores; PostgreSQL $($PGBIN/postgres --version | awk '{print $3}')"
db -c "CREATE EXTENSION cjo" -f bench/journeys.sql >/dev/null
db -v events="$EVENTS" -v customers="$CUSTOMERS" -f bench/data.sql
db -c "COPY bench_events TO '$WORK/events.copy'"
db -c "VACUUM ANALYZE"

reset() {
    db -c "TRUNCATE cjo.events, cjo.journey_state, cjo.history, cjo.actions" -c "CHECKPOINT" >/dev/null
}
load() {  # load <copy|insert> <on|off>: seconds
    local how=$1 trig=$2
    reset
    if [ "$trig" = off ]; then db -c "ALTER TABLE cjo.events DISABLE TRIGGER events_advance"; fi
    if [ "$how" = copy ]; then
        timed "COPY cjo.events (customer_id, name, channel, properties, occurred_at) FROM '$WORK/events.copy'"
    else
        timed "INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) SELECT * FROM bench_events"
    fi
    if [ "$trig" = off ]; then db -c "ALTER TABLE cjo.events ENABLE TRIGGER events_advance"; fi
}

printf '\n%-26s %12s %12s %8s\n' "scenario" "without cjo" "with cjo" "ratio"
for how in copy insert; do
    for r in $(seq 1 "$ROUNDS"); do
        off=$(load $how off)
        on=$(load $how on)
        printf '%-26s %11ss %11ss %7.2fx\n' "$how of $EVENTS events (#$r)" "$off" "$on" "$(echo "$on / $off" | bc -l)"
    done
done

# What the last load did: proof that the journeys really ran.
db -At -c "SELECT format('states %s, history rows %s, actions %s, active now %s, waiting on a timer %s',
    (SELECT count(*) FROM cjo.journey_state), (SELECT count(*) FROM cjo.history), (SELECT count(*) FROM cjo.actions),
    (SELECT count(*) FROM cjo.journey_state WHERE status = 'a'), (SELECT count(*) FROM cjo.journey_state WHERE due_at IS NOT NULL))"
states=$(db -At -c "SELECT count(*) FROM cjo.journey_state")
if [ "$states" -eq 0 ]; then echo "no customer entered any journey: the benchmark measured nothing" >&2; exit 1; fi

due=$(db -At -c "SELECT count(*) FROM cjo.journey_state WHERE due_at <= now() + interval '2 days'")
sweep=$(timed "SELECT cjo_advance(now() + interval '2 days')")
echo "sweep: cjo_advance() fired $due due timers in ${sweep}s"
db -At -c "SELECT format('storage: %s bytes per customer-journey state (heap %s), %s bytes per history row (heap %s), with indexes',
    round(pg_total_relation_size('cjo.journey_state')::numeric / greatest(count(*), 1)),
    round(pg_relation_size('cjo.journey_state')::numeric / greatest(count(*), 1)),
    round(pg_total_relation_size('cjo.history')::numeric / greatest((SELECT count(*) FROM cjo.history), 1)),
    round(pg_relation_size('cjo.history')::numeric / greatest((SELECT count(*) FROM cjo.history), 1)))
    FROM cjo.journey_state"

# Single events: pgbench, 2 clients, one event per transaction, synchronous_commit off
# (so that disk flushes do not hide the engine's cost).
db -c "ALTER SYSTEM SET synchronous_commit = off" -c "SELECT pg_reload_conf()" >/dev/null
single() {  # single <on|off>: transactions per second
    if [ "$1" = off ]; then db -c "ALTER TABLE cjo.events DISABLE TRIGGER events_advance"; fi
    pgbench -h "$WORK" -p $PORT -U postgres -n -c 2 -j 2 -T "${PGBENCH_SECONDS:-15}" -f bench/single_event.sql bench 2>/dev/null \
        | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
    if [ "$1" = off ]; then db -c "ALTER TABLE cjo.events ENABLE TRIGGER events_advance"; fi
}
for r in $(seq 1 "$ROUNDS"); do
    off=$(single off)
    on=$(single on)
    printf '%-26s %10.0f/s %10.0f/s %7.0f%%\n' "single events, pgbench (#$r)" "$off" "$on" "$(echo "100 * $on / $off" | bc -l)"
done
db -c "ALTER SYSTEM RESET synchronous_commit" -c "SELECT pg_reload_conf()" >/dev/null
