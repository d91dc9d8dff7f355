#!/usr/bin/env bash
# Analytics over 10M history rows: the from-history views against the rollup
# of cjo_refresh_analytics() (first refresh, incremental refresh, and the
# live correction between refreshes).
#
# The history is built fast and in the engine's exact shape: a template of
# customers goes through the browse-abandonment journey by the real engine,
# then its history and states are copied under new customer ids until the
# history has the rows asked for.
#   bash bench/analytics_rollup.sh [history_rows]        (default 10000000)
# HISTORY_VIEWS=0 leaves out the timing of the views before the first refresh.
# On a cluster of its own (bench/cluster.sh), or, with CJO_BENCH_EXISTING=1,
# on the database that PGHOST, PGPORT, PGUSER and PGDATABASE name (cjo
# installed there; its events, states and history are truncated).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-10000000}
TEMPLATE=${TEMPLATE:-2000}
PORT=${PORT:-54333}

if [ "${CJO_BENCH_EXISTING:-0}" = 1 ]; then
    db() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
    timed() {
        local out
        out=$(db -At -c '\timing on' -c "$1")
        sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -1 | awk '{ printf "%.2f", $1 / 1000 }'
    }
else
    source bench/cluster.sh
fi
db -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS cjo CASCADE" -c "CREATE EXTENSION cjo"
db -v doc="$(cat demo/journeys/browse_abandonment.json)" <<<"SELECT cjo_publish(:'doc')" >/dev/null

echo "cjo analytics rollup benchmark; $(nproc) cores; $(db -At -c 'SELECT version()' | cut -d' ' -f1-2)"
# The template: views spread over 20 hours, 40% buy after 10 minutes (goal,
# exit), the others time out after an hour, are split, half get a reminder,
# 10% buy after two hours (a goal after the run completed); the sweep runs
# at hour 20, so that the last hour's viewers (5%) still wait.
db -c "INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
       SELECT 't' || i, 'product_viewed', jsonb_build_object('sku', 'SKU-' || i % 100),
              timestamptz '2026-01-01' + i * (interval '20 hours' / $TEMPLATE)
         FROM generate_series(1, $TEMPLATE) i"
db -c "INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
       SELECT 't' || i, 'purchase', jsonb_build_object('amount', 20 + i % 50),
              timestamptz '2026-01-01' + i * (interval '20 hours' / $TEMPLATE)
              + CASE WHEN i % 10 < 4 THEN interval '10 minutes' ELSE interval '2 hours' END
         FROM generate_series(1, $TEMPLATE) i
        WHERE i % 10 < 5 AND timestamptz '2026-01-01' + i * (interval '20 hours' / $TEMPLATE)
              + CASE WHEN i % 10 < 4 THEN interval '10 minutes' ELSE interval '2 hours' END < '2026-01-01 20:00'"
db -c "SELECT cjo_advance('2026-01-01 20:00')" >/dev/null
per=$(db -At -c "SELECT count(*) FROM cjo.history")
copies=$(( (ROWS + per - 1) / per ))
t0=$(date +%s.%N)
db -c "CREATE TABLE template_history AS SELECT * FROM cjo.history" \
   -c "CREATE TABLE template_state AS SELECT * FROM cjo.journey_state"
# Each copy k moves the customers k days later (entry weeks vary).
db -c "INSERT INTO cjo.history
       SELECT 'c' || k || '-' || h.customer_id, h.journey_id, h.version, h.run, h.step, h.cause, h.event_id,
              h.at + k * interval '1 day', h.path, h.choices
         FROM generate_series(1, $copies - 1) k, template_history h"
db -c "INSERT INTO cjo.journey_state
       SELECT 'c' || k || '-' || s.customer_id, s.journey_id, s.version, s.run, s.step, s.node, s.status,
              s.entered_at + k * interval '1 day', s.node_at + k * interval '1 day', s.due_at + k * interval '1 day',
              s.entry_event_id, s.ended_at + k * interval '1 day', s.converted_at + k * interval '1 day', s.goal_value, s.data
         FROM generate_series(1, $copies - 1) k, template_state s"
db -c "DROP TABLE template_history, template_state"
db -c "VACUUM ANALYZE cjo.history" -c "VACUUM ANALYZE cjo.journey_state"
load=$(echo "$(date +%s.%N) - $t0" | bc)
rows=$(db -At -c "SELECT count(*) FROM cjo.history")
runs=$(db -At -c "SELECT count(*) FROM cjo.journey_state")
active=$(db -At -c "SELECT count(*) FROM cjo.journey_state WHERE status = 'a'")
printf 'history rows %s, states %s (%s active), built in %.0f s\n' "$rows" "$runs" "$active" "$load"

views() {
    local f v e x r d
    f=$(timed "SELECT sum(entered) FROM cjo.journey_funnel")
    v=$(timed "SELECT count(*) FROM cjo_journey_funnel('browse_abandonment', breakdown => 'variant')")
    r=$(timed "SELECT count(*) FILTER (WHERE converted_at IS NOT NULL) FROM cjo.runs")
    # The runs of one journey that entered on one day (the tenth of the history's days).
    d=$(timed "SELECT count(*) FILTER (WHERE converted_at IS NOT NULL) FROM cjo.runs
                WHERE journey_id = (SELECT journey_id FROM cjo.journeys WHERE name = 'browse_abandonment')
                  AND entered_at >= timestamptz '2026-01-10' AND entered_at < timestamptz '2026-01-11'")
    e=$(timed "SELECT sum(transitions) FROM cjo.journey_edges")
    x=$(timed "SELECT sum(converted) FROM cjo.experiment_results")
    printf '%-34s %-8s %-8s %-8s %-8s %-8s %-8s\n' "$1" "$f" "$v" "$r" "$d" "$e" "$x"
}
printf '%-34s %-8s %-8s %-8s %-8s %-8s %-8s\n' "seconds" funnel variant runs "runs/day" edges experim
# (HISTORY_VIEWS=0 skips timing the views before the first refresh: four minutes at 10M rows.)
if [ "${HISTORY_VIEWS:-1}" != 0 ]; then views "from history (no refresh)"; fi
full=$(timed "SELECT cjo_refresh_analytics()")
views "rollup, just refreshed"
# 1% of the customers, waiting ones, buy: the real engine, through the
# events trigger; their runs convert and end.
changed=$(( runs / 100 ))
db -c "INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
       SELECT customer_id, 'purchase', '{\"amount\": 30}', node_at + interval '5 minutes'
         FROM cjo.journey_state WHERE status = 'a' ORDER BY customer_id LIMIT $changed"
views "rollup + $changed changed, live"
incr=$(timed "SELECT cjo_refresh_analytics()")
views "rollup, after incremental refresh"
noop=$(timed "SELECT cjo_refresh_analytics()")
echo
printf 'refresh: first (full) %s s, incremental (%s customer-journeys) %s s, nothing to do %s s\n' "$full" "$changed" "$incr" "$noop"
db -At -c "SELECT 'rollup size: ' || pg_size_pretty(sum(pg_total_relation_size(c.oid))) || ' (analytics_runs ' || pg_size_pretty(pg_total_relation_size('cjo.analytics_runs')) || ', analytics_run_facts ' || pg_size_pretty(pg_total_relation_size('cjo.analytics_run_facts')) || '), history ' || pg_size_pretty(pg_total_relation_size('cjo.history'))
             FROM pg_class c WHERE c.relnamespace = 'cjo'::regnamespace AND c.relname LIKE 'analytics\_%' AND c.relkind = 'r'"
# The rollup gives the very numbers of the history.
db -At -c "SELECT 'funnel rows differing from the history: ' || count(*) FROM ((SELECT * FROM cjo.journey_funnel EXCEPT ALL SELECT * FROM cjo.journey_funnel_from_history()) UNION ALL (SELECT * FROM cjo.journey_funnel_from_history() EXCEPT ALL SELECT * FROM cjo.journey_funnel)) x"
