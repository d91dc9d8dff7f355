#!/usr/bin/env bash
# Graphviz must accept every DOT diagram cjo draws: the journeys in
# demo/journeys/, with and without counts, and a journey whose names and
# labels are made to break diagrams. Everything is published inside a
# transaction that is rolled back, so the script leaves nothing behind.
# Needs a database where cjo is installed and graphviz (dot) on the PATH;
# takes the connection from PGHOST, PGPORT, PGUSER and PGDATABASE:
#     PGDATABASE=contrib_regression bash test/diagrams_dot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dot >/dev/null || { echo "diagrams_dot: graphviz (dot) is not installed" >&2; exit 1; }

args=()
for f in demo/journeys/*.json; do
    args+=(-v "doc_$(basename "$f" .json)=$(cat "$f")")
done
# One DOT document per record, records separated by a zero byte.
diagrams=$(mktemp)
trap 'rm -f "$diagrams"' EXIT
psql -X -q -At -v ON_ERROR_STOP=1 "${args[@]}" >"$diagrams" <<'SQL'
BEGIN;
\o /dev/null
SELECT cjo_publish(:'doc_browse_abandonment'), cjo_publish(:'doc_service_ticket'), cjo_publish(:'doc_next_offer');
SELECT cjo_publish($doc${
  "name": "evil\"] -> x [label=\"pwned\"]; }",
  "entry": {"event": "a\"b\\", "when": "$.event.properties.\"x\\\"y\" == \"}{\""},
  "start": "n\"1",
  "nodes": {
    "n\"1": {"type": "action", "channel": "e<b>mail</b>", "template": "t|\u0007x", "next": "a]b"},
    "a]b": {"type": "wait_event", "events": [{"event": "x\"];\n digraph { a -> b }", "next": "c}d"}],
            "timeout": "1h", "timeout_next": "\\N\\G\\l\\"},
    "c}d": {"type": "split", "variants": [{"name": "v|1\n-->", "weight": 1, "next": "日本語 🚀"},
                                          {"name": "<<html>>", "weight": 2, "next": "\\N\\G\\l\\"}]},
    "日本語 🚀": {"type": "branch", "cases": [{"when": "$.profile.x like_regex \"[\\\\]\\\"]\"", "next": "\\N\\G\\l\\"}],
                  "else": "\\N\\G\\l\\"},
    "\\N\\G\\l\\": {"type": "exit"}
  }}$doc$);
INSERT INTO cjo.events (customer_id, name, properties) VALUES ('c1', 'purchase', '{"category": "computer"}');
\o
\pset recordsep_zero on
SELECT cjo_diagram(j.name, 'dot', counts => c.counts)
  FROM cjo.journeys j CROSS JOIN (VALUES (true), (false)) c(counts)
 WHERE j.status = 'active' AND EXISTS (SELECT FROM cjo.journey_versions v WHERE v.journey_id = j.journey_id)
 ORDER BY j.name, c.counts;
ROLLBACK;
SQL

checked=0 failed=0
while IFS= read -r -d '' diagram; do
    checked=$((checked + 1))
    if ! err=$(printf '%s\n' "$diagram" | dot -Tsvg 2>&1 >/dev/null) || [ -n "$err" ]; then
        failed=$((failed + 1))
        echo "diagrams_dot: dot refused or warned about diagram $checked: $err" >&2
        printf '%s\n' "$diagram" >&2
    fi
done <"$diagrams"
if [ "$checked" -lt 3 ] || [ "$failed" -gt 0 ]; then
    echo "diagrams_dot: $failed of $checked diagrams failed" >&2
    exit 1
fi
echo "diagrams_dot: dot -Tsvg accepted all $checked diagrams"
