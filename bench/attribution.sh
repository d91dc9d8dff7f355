#!/usr/bin/env bash
# Attribution benchmark: cjo_attribution(), every model alone and all eight in
# one call, over growing numbers of touch events with a tenth as many
# conversions, on a real cluster of its own (initdb defaults, fsync on; see
# bench/cluster.sh); the largest size is 1M touches and 100k conversions over
# 200k customers and 8 channels.
#   bash bench/attribution.sh [touches...]      (default: 250000 500000 1000000)
# Uses the pg_config first on PATH (and PG_CONFIG for make).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${*:-250000 500000 1000000}
PORT=${PORT:-54333}

source bench/cluster.sh

echo "cjo attribution benchmark; $(nproc) cores; $($PGBIN/postgres --version)"
MODELS="first_touch last_touch last_non_direct linear position_based time_decay markov shapley"
printf '%-8s %-7s %-8s' touches conv touched
for m in $MODELS; do printf ' %-8.8s' "$m"; done
printf ' %s\n' all_s
for n in $SIZES; do
    customers=$((n / 5)); conversions=$((n / 10))
    db -c "TRUNCATE cjo.events"
    # Touches on 8 channels over 60 days; half of the customers convert once,
    # on a random day, with a value.
    db -c "SET cjo.enabled = off;
        INSERT INTO cjo.events (customer_id, name, channel, occurred_at)
        SELECT 'c' || (i % $customers), 'visit',
               (ARRAY['email', 'search', 'social', 'direct', 'display', 'affiliate', 'sms', 'push'])[1 + hashint4(i) & 7],
               timestamptz '2026-01-01' + ((hashint4(i * 7)::bigint & 2147483647) % (60 * 86400)) * interval '1 second'
          FROM generate_series(0, $n - 1) i;
        INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
        SELECT 'c' || (i * 2), 'purchase', jsonb_build_object('value', 10 + i % 90),
               timestamptz '2026-01-01' + ((hashint4(i * 13)::bigint & 2147483647) % (60 * 86400)) * interval '1 second'
          FROM generate_series(0, $conversions - 1) i"
    db -c "VACUUM ANALYZE cjo.events"
    db -c "SELECT 1 FROM cjo_attribution('purchase', models => '{linear}') LIMIT 1" >/dev/null   # warm the cache
    paths=$(db -At -c "SELECT count(*) FROM (SELECT DISTINCT customer_id FROM cjo.events WHERE channel IS NOT NULL) c")
    printf '%-8s %-7s %-8s' "$n" "$conversions" "$paths"
    for m in $MODELS; do
        printf ' %-8s' "$(timed "SELECT count(*) FROM cjo_attribution('purchase', models => '{$m}')")"
    done
    printf ' %s\n' "$(timed "SELECT count(*) FROM cjo_attribution('purchase')")"
done
echo
echo "Credited conversions per model and channel at the largest size:"
db -c "SELECT channel, round(sum(conversions) FILTER (WHERE model = 'first_touch')) AS first,
              round(sum(conversions) FILTER (WHERE model = 'last_touch')) AS last,
              round(sum(conversions) FILTER (WHERE model = 'linear')) AS linear,
              round(sum(conversions) FILTER (WHERE model = 'position_based')) AS position,
              round(sum(conversions) FILTER (WHERE model = 'time_decay')) AS time_decay,
              round(sum(conversions) FILTER (WHERE model = 'markov')) AS markov,
              round(sum(conversions) FILTER (WHERE model = 'shapley')) AS shapley
         FROM cjo_attribution('purchase') GROUP BY 1 ORDER BY 1"
