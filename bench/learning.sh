#!/usr/bin/env bash
# What learning costs on the insert path: the same journey (entry, a choice,
# an action, a wait, a goal) with a fixed split, a learning split, a
# next_best_action by score and one by conversion, each fed the same N entry
# events in one INSERT ... SELECT, in rounds, on a real cluster (initdb
# defaults, fsync on).  Prints the seconds of each load and its ratio to the
# fixed split of the same round; the extra cost per event of each kind.
#   bash bench/learning.sh [events] [rounds]        (default: 200000 3)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
ROUNDS=${2:-3}
PORT=${PORT:-54332}

source bench/cluster.sh

# One journey per kind of choice; everything else is the same.
journey() {  # journey <name> <entry event> <choice node JSON>
    db -v doc="{\"name\": \"$1\", \"entry\": {\"event\": \"$2\"}, \"goal\": {\"event\": \"buy_$1\", \"within\": \"7 days\"},
      \"start\": \"pick\",
      \"nodes\": {\"pick\": $3,
                \"mail\": {\"type\": \"action\", \"channel\": \"email\", \"template\": \"offer\",
                          \"payload\": {\"offer\": \"{{\$.journey.pick}}\"}, \"next\": \"wait\"},
                \"wait\": {\"type\": \"wait\", \"duration\": \"1 day\", \"next\": \"done\"},
                \"done\": {\"type\": \"exit\"}}}" >/dev/null <<'SQL'
SELECT cjo_publish(:'doc');
SQL
}
journey fixed e_fixed '{"type": "split", "variants": [{"name": "a", "weight": 1, "next": "mail"}, {"name": "b", "weight": 1, "next": "mail"}, {"name": "c", "weight": 1, "next": "mail"}]}'
journey learning e_learning '{"type": "split", "learn": true, "variants": [{"name": "a", "next": "mail"}, {"name": "b", "next": "mail"}, {"name": "c", "next": "mail"}]}'
journey by_score e_by_score '{"type": "next_best_action", "candidates": [{"name": "a", "when": "$.profile.tier == \"gold\"", "score": "$.profile.p_a * 10", "next": "mail"}, {"name": "b", "score": "$.profile.p_b * 8", "next": "mail"}, {"name": "c", "score": "1", "next": "mail"}], "else": "mail"}'
journey by_conversion e_by_conversion '{"type": "next_best_action", "choose_by": "conversion", "candidates": [{"name": "a", "when": "$.profile.tier == \"gold\"", "next": "mail"}, {"name": "b", "next": "mail"}, {"name": "c", "next": "mail"}], "else": "mail"}'
db -c "INSERT INTO cjo.customers (customer_id, attributes)
       SELECT 'c' || i, jsonb_build_object('tier', (ARRAY['gold', 'silver'])[1 + i % 2], 'p_a', (i % 97) / 97.0, 'p_b', (i % 89) / 89.0)
         FROM generate_series(1, $N) i"
# Counts the learning nodes start from: some history, as in production.
db -c "INSERT INTO cjo.arm_stats (journey_id, node, arm, assigned, converted)
       SELECT journey_id, 'pick', arm, 10000, c FROM cjo.journeys, (VALUES ('a', 500), ('b', 900), ('c', 700)) v(arm, c)
        WHERE name IN ('learning', 'by_conversion')"

echo "cjo learning benchmark; $N entry events per load; $(nproc) cores; $($PGBIN/postgres --version)"
printf '%-7s %-14s %9s %9s %12s\n' round kind seconds ratio extra_us
choices=
for r in $(seq 1 "$ROUNDS"); do
    base=
    for kind in fixed learning by_score by_conversion; do
        db -c "TRUNCATE cjo.events, cjo.journey_state, cjo.history, cjo.actions, cjo.arm_deltas" -c "CHECKPOINT"
        t=$(timed "INSERT INTO cjo.events (customer_id, name, occurred_at)
                   SELECT 'c' || i, 'e_$kind', timestamptz '2026-01-01' + i * interval '1 second' FROM generate_series(1, $N) i")
        [ -n "$base" ] || base=$t
        if [ "$r" = "$ROUNDS" ]; then
            choices+="$kind: $(db -At -c "SELECT string_agg(coalesce(t.choice, 'else') || ' ' || t.n, ', ' ORDER BY t.choice)
                FROM (SELECT choice, count(*) AS n FROM cjo.transitions WHERE journey = '$kind' AND from_node = 'pick' GROUP BY 1) t")"$'\n'
        fi
        printf '%-7s %-14s %9s %9s %12s\n' "$r" "$kind" "$t" \
            "$(awk -v a="$t" -v b="$base" 'BEGIN { printf "%.2fx", a / b }')" \
            "$(awk -v a="$t" -v b="$base" -v n="$N" 'BEGIN { printf "%.2f", (a - b) * 1e6 / n }')"
    done
done
echo
echo "Choices in the last round (the learning nodes start from counts where b converts best):"
printf '%s' "$choices"
