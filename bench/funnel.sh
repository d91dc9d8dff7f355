#!/usr/bin/env bash
# Ad-hoc funnel benchmark: cjo_funnel() over 1M, 3M and 10M events (10 events
# per customer, 5 event names, three weeks of time) on a real cluster (initdb
# defaults, fsync on), in default mode, strict_order, and with a condition.
#   bash bench/funnel.sh [sizes...]        (default: 1000000 3000000 10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${*:-1000000 3000000 10000000}
PORT=${PORT:-54331}

source bench/cluster.sh

echo "cjo ad-hoc funnel benchmark; $(nproc) cores; $($PGBIN/postgres --version)"
printf '%-10s %-10s %-10s %-14s %-14s %-14s\n' events customers load_s default_s strict_order_s condition_s
for n in $SIZES; do
    customers=$((n / 10))
    # n events: each customer gets ten, at random times over three weeks:
    # four views, two carts, a checkout, a purchase and two searches.
    db -c "TRUNCATE cjo.events"
    load=$(timed "SET cjo.enabled = off;
        INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
        SELECT 'c' || (i % $customers), (ARRAY['view','view','view','view','cart','cart','checkout','buy','search','search'])[1 + (i / $customers) % 10],
               (ARRAY['web','app','email'])[1 + i % 3], jsonb_build_object('amount', i % 500),
               timestamptz '2026-01-01' + (hashint4(i)::bigint & 2147483647) % (21 * 86400) * interval '1 second'
          FROM generate_series(0, $n - 1) i")
    db -c "VACUUM ANALYZE cjo.events"
    steps='["view", "cart", "checkout", "buy"]'
    t1=$(timed "SELECT * FROM cjo_funnel('$steps', '7 days')")
    t2=$(timed "SELECT * FROM cjo_funnel('$steps', '7 days', '{strict_order}')")
    t3=$(timed "SELECT * FROM cjo_funnel('[\"view\", \"cart\", \"checkout\", {\"event\": \"buy\", \"when\": \"\$.event.properties.amount > 100\"}]', '7 days')")
    printf '%-10s %-10s %-10s %-14s %-14s %-14s\n' "$n" "$customers" "$load" "$t1" "$t2" "$t3"
done
echo
echo "The funnel at the largest size:"
db -c "SELECT step, event, customers, dropped, round(conversion_from_first::numeric, 3) AS from_first, median_time_from_first FROM cjo_funnel('[\"view\", \"cart\", \"checkout\", \"buy\"]', '7 days')"
