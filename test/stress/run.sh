#!/usr/bin/env bash
# Stress with an oracle: 8 clients load events for a small set of hot
# customers through three journeys (waits, wait_event time-outs, a branch,
# splits, exit events, goals, re-entry, journey data), 6 clients one event per
# transaction, 2 clients 50 events per statement.  Then the same events are
# inserted again into a second database one customer at a time, one event per
# statement, in the order the engine processed them in the first; the two
# must have identical states, history and actions (up to action ids and
# wall-clock times).  Both are then swept to the end and compared again.  An
# independent SQL oracle checks the loyalty journey (actions after the 1st and
# 3rd purchase).
# Takes a running cluster from PGHOST/PGPORT/PGUSER (a superuser):
#   bash test/stress/run.sh [events] [customers]       (defaults 200000 1000)
# KEEP=1 keeps the two databases (cjo_stress, cjo_replay) for a look.
# Prints "stress: ..." lines; exits non-zero on any difference.
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=${1:-200000}
CUSTOMERS=${2:-1000}
BATCH=50
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "stress FAILED: $*" >&2; exit 1; }

# 15% of the events come one per transaction, the rest in batches.
single_tx=$(( EVENTS * 15 / 100 / 6 ))
batch_tx=$(( (EVENTS - 6 * single_tx) / (2 * BATCH) ))

for db in cjo_stress cjo_replay; do
    dropdb --if-exists "$db"
    createdb "$db"
    sql -d "$db" -v customers="$CUSTOMERS" -f test/stress/setup.sql >/dev/null
done
sql -d cjo_replay -c "DROP TRIGGER zz_stress_log_order ON cjo.events"

start=$(date +%s.%N)
pgbench -n -f test/stress/events.pgbench -D batch=1 -D customers="$CUSTOMERS" \
    -c 6 -j 1 -t "$single_tx" cjo_stress >"$WORK/single.log" 2>&1 &
p1=$!
pgbench -n -f test/stress/events.pgbench -D batch=$BATCH -D customers="$CUSTOMERS" \
    -c 2 -j 1 -t "$batch_tx" cjo_stress >"$WORK/batch.log" 2>&1 &
p2=$!
wait $p1 || { cat "$WORK/single.log"; fail "pgbench (single events)"; }
wait $p2 || { cat "$WORK/batch.log"; fail "pgbench (batches)"; }
secs=$(echo "$(date +%s.%N) - $start" | bc -l)
events=$(sql -d cjo_stress -c "SELECT count(*) FROM cjo.events")
printf 'stress: %s events for %s customers from 8 clients in %.1f s (%.0f events/s)\n' \
    "$events" "$CUSTOMERS" "$secs" "$(echo "$events / $secs" | bc -l)"

# Every event went through the engine exactly once.
read -r logged distinct missing <<<"$(sql -d cjo_stress -F ' ' -c "
    SELECT count(*), count(DISTINCT event_id),
           (SELECT count(*) FROM cjo.events e WHERE NOT EXISTS
               (SELECT 1 FROM stress_order o WHERE o.event_id = e.event_id))
      FROM stress_order")"
[ "$logged" = "$events" ] && [ "$distinct" = "$events" ] && [ "$missing" = 0 ] \
    || fail "events $events, processed $logged ($distinct distinct), never processed $missing"

# The replay: the same events, one customer at a time, in processing order.
sql -d cjo_stress -c "\\copy (SELECT o.seq, e.event_id, e.customer_id, e.name, e.properties, e.occurred_at FROM stress_order o JOIN cjo.events e USING (customer_id, event_id) ORDER BY o.seq) TO '$WORK/events.copy'"
sql -d cjo_replay -c "CREATE TABLE replay_events (seq bigint, event_id bigint, customer_id text, name text, properties jsonb, occurred_at timestamptz)" \
    -c "\\copy replay_events FROM '$WORK/events.copy'" -f test/stress/replay.sql

compare() {  # compare <stage>: the two databases decided the same
    local stage=$1 t
    sql -d cjo_stress -v out="$WORK/stress" -f test/stress/compare.sql
    sql -d cjo_replay -v out="$WORK/replay" -f test/stress/compare.sql
    for t in state history actions; do
        if ! cmp -s "$WORK/stress.$t" "$WORK/replay.$t"; then
            diff "$WORK/stress.$t" "$WORK/replay.$t" | head -20
            fail "$stage: $t differs from the replay ($(diff "$WORK/stress.$t" "$WORK/replay.$t" | grep -c '^[<>]') lines)"
        fi
    done
    echo "stress: $stage: identical to the replay: $(wc -l <"$WORK/stress.state") states, $(wc -l <"$WORK/stress.history") history rows, $(wc -l <"$WORK/stress.actions") actions"
}
compare "after the load"

# The independent oracle for stress_loyalty, from the processing order alone:
# a customer enters at the first purchase (one action); events that happened
# before that entry are ignored (they predate the run); the third purchase
# after the entry gives the reward action, unless a vip event (the goal, with
# exit) came before it.
bad=$(sql -d cjo_stress <<'SQL'
WITH ev AS (
    SELECT o.customer_id, o.seq, e.name, e.occurred_at
      FROM stress_order o JOIN cjo.events e USING (customer_id, event_id)
     WHERE e.name IN ('purchase', 'vip')),
entry AS (
    SELECT DISTINCT ON (customer_id) customer_id, seq, occurred_at
      FROM ev WHERE name = 'purchase' ORDER BY customer_id, seq),
after_entry AS (
    SELECT ev.customer_id, ev.seq, ev.name,
           count(*) FILTER (WHERE ev.name = 'purchase') OVER w AS purchases,
           count(*) FILTER (WHERE ev.name = 'vip') OVER w AS vips
      FROM ev JOIN entry en ON en.customer_id = ev.customer_id
                           AND ev.seq >= en.seq AND ev.occurred_at >= en.occurred_at
    WINDOW w AS (PARTITION BY ev.customer_id ORDER BY ev.seq)),
expected AS (
    SELECT customer_id,
           1 + (count(*) FILTER (WHERE name = 'purchase' AND purchases = 3 AND vips = 0) > 0)::int AS n
      FROM after_entry GROUP BY customer_id),
actual AS (
    SELECT a.customer_id, count(*) AS n FROM cjo.actions a JOIN cjo.journeys j USING (journey_id)
     WHERE j.name = 'stress_loyalty' GROUP BY 1)
SELECT count(*) FROM expected e FULL JOIN actual a USING (customer_id)
 WHERE coalesce(e.n, 0) <> coalesce(a.n, 0);
SQL
)
[ "$bad" = 0 ] || fail "$bad customers' loyalty actions differ from the SQL oracle"
echo "stress: the loyalty journey's actions match the SQL oracle for every customer"

# Sweep both to the end of time: every timer fires, the same way in both.
s1=$(sql -d cjo_stress -c "SELECT cjo_advance('2027-01-01')")
s2=$(sql -d cjo_replay -c "SELECT cjo_advance('2027-01-01')")
[ "$s1" = "$s2" ] || fail "the final sweeps moved $s1 and $s2"
left=$(sql -d cjo_stress -c "SELECT count(*) FROM cjo.journey_state WHERE due_at <= '2027-01-01'")
[ "$left" = 0 ] || fail "$left timers still due after the sweep"
compare "after a final sweep that moved $s1"
echo "stress: figures: events=$events clients=8 customers=$CUSTOMERS lost=0 duplicated=0 differences=0"
[ -n "${KEEP:-}" ] || { dropdb cjo_stress; dropdb cjo_replay; }
