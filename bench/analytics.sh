#!/usr/bin/env bash
# Journey analytics benchmark: customers go through a browse-abandonment
# journey (wait for a purchase or time out, split, reminder) by the real
# engine; then the analytics views are timed at growing history sizes.
# Real cluster (initdb defaults, fsync on).
#   bash bench/analytics.sh [customers...]      (default: 500000 1500000 5000000,
#                                                 about 1M, 3M and 10M history rows)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${*:-500000 1500000 5000000}
PORT=${PORT:-54332}

source bench/cluster.sh
db -v doc="$(cat demo/journeys/browse_abandonment.json)" <<<"SELECT cjo_publish(:'doc')" >/dev/null

echo "cjo journey analytics benchmark; $(nproc) cores; $($PGBIN/postgres --version)"
printf '%-10s %-9s %-7s %-8s %-8s %-8s %-8s %-8s %-8s %-8s\n' \
    customers history load_s funnel variant edges paths experim node_st runs
for n in $SIZES; do
    db -c "TRUNCATE cjo.events, cjo.journey_state, cjo.history, cjo.actions"
    # Every customer views a product on 1-14 January; 40% buy 10 minutes later
    # (goal, exit); the others time out after an hour, are split, and half get a
    # reminder; 10% of those buy two hours after the view.
    t0=$(date +%s.%N)
    db -c "INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
           SELECT 'c' || i, 'product_viewed', jsonb_build_object('sku', 'SKU-' || i % 100),
                  timestamptz '2026-01-01' + (i % 1209600) * interval '1 second'
             FROM generate_series(1, $n) i"
    db -c "INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
           SELECT 'c' || i, 'purchase', jsonb_build_object('amount', 20 + i % 50),
                  timestamptz '2026-01-01' + (i % 1209600) * interval '1 second'
                  + CASE WHEN i % 10 < 4 THEN interval '10 minutes' ELSE interval '2 hours' END
             FROM generate_series(1, $n) i WHERE i % 10 < 5"
    db -c "SELECT cjo_advance()" >/dev/null
    db -c "VACUUM ANALYZE cjo.history" -c "VACUUM ANALYZE cjo.journey_state" -c "VACUUM ANALYZE cjo.events"
    load=$(echo "$(date +%s.%N) - $t0" | bc)
    rows=$(db -At -c "SELECT count(*) FROM cjo.history")
    f=$(timed "SELECT sum(entered) FROM cjo.journey_funnel")
    v=$(timed "SELECT count(*) FROM cjo_journey_funnel('browse_abandonment', breakdown => 'variant')")
    e=$(timed "SELECT sum(transitions) FROM cjo.journey_edges")
    p=$(timed "SELECT count(*) FROM cjo_journey_paths('browse_abandonment')")
    x=$(timed "SELECT sum(converted) FROM cjo.experiment_results")
    # Sums of columns, not count(*): the planner would drop joins a count does not need.
    s=$(timed "SELECT sum(entered + waiting + moved_on + dropped + converted) FROM cjo.node_stats")
    r=$(timed "SELECT count(*) FILTER (WHERE outcome = 'active') FROM cjo.runs")
    printf '%-10s %-9s %-7.0f %-8s %-8s %-8s %-8s %-8s %-8s %-8s\n' "$n" "$rows" "$load" "$f" "$v" "$e" "$p" "$x" "$s" "$r"
done
echo
echo "At the largest size:"
db -c "SELECT node, entered, waiting, moved_on, converted, dropped, round(conversion_from_entry::numeric, 3) AS from_entry, median_time FROM cjo.journey_funnel"
db -c "SELECT variant, entered, converted, round(conversion_rate::numeric, 4) AS rate, round(p_value::numeric, 4) AS p_value FROM cjo.experiment_results"
