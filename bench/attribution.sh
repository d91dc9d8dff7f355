#!/usr/bin/env bash
# Attribution benchmark: cjo_attribution() (all eight models in one call) over
# growing numbers of touch events with a tenth as many conversions, on a real
# cluster (initdb defaults, fsync on); the largest size is 1M touches and
# 100k conversions over 200k customers and 8 channels.
#   bash bench/attribution.sh [touches...]      (default: 250000 500000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${*:-250000 500000 1000000}
PORT=${PORT:-54333}

bash scripts/setup.sh
make -s
make -s install

PGBIN=$(pg_config --bindir)
WORK=$(mktemp -d /tmp/cjo-attribution-bench.XXXXXX)
chown postgres "$WORK"
stop() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap stop EXIT
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/data" >/dev/null 2>&1
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w \
    -o "-p $PORT -k $WORK -c listen_addresses='' -c shared_buffers=1GB -c max_wal_size=4GB -c work_mem=64MB" start >/dev/null
db() { psql -h "$WORK" -p "$PORT" -U postgres -X -q -v ON_ERROR_STOP=1 -d bench "$@"; }
psql -h "$WORK" -p "$PORT" -U postgres -X -q -d postgres -c "CREATE DATABASE bench"
db -c "CREATE EXTENSION cjo"
timed() {
    local out
    out=$(db -At -c '\timing on' -c "$1")
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -1 | awk '{ printf "%.2f", $1 / 1000 }'
}

echo "cjo attribution benchmark; $(nproc) cores; $($PGBIN/postgres --version)"
printf '%-9s %-12s %-10s %-10s %-14s\n' touches conversions customers touched all_models_s
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
    paths=$(db -At -c "SELECT count(*) FROM (SELECT DISTINCT customer_id FROM cjo.events WHERE channel IS NOT NULL) c")
    all=$(timed "SELECT count(*) FROM cjo_attribution('purchase')")
    printf '%-9s %-12s %-10s %-10s %-14s\n' "$n" "$conversions" "$customers" "$paths" "$all"
done
echo
echo "Credited conversions per model and channel at the largest size:"
db -c "SELECT channel, round(sum(conversions) FILTER (WHERE model = 'first_touch')) AS first,
              round(sum(conversions) FILTER (WHERE model = 'last_touch')) AS last,
              round(sum(conversions) FILTER (WHERE model = 'linear')) AS linear,
              round(sum(conversions) FILTER (WHERE model = 'time_decay')) AS time_decay,
              round(sum(conversions) FILTER (WHERE model = 'markov')) AS markov,
              round(sum(conversions) FILTER (WHERE model = 'shapley')) AS shapley
         FROM cjo_attribution('purchase') GROUP BY 1 ORDER BY 1"
