#!/usr/bin/env bash
# Runs every BI query as a BI tool would: each file in bi/queries/ as it is,
# and every query of the Grafana dashboard bi/grafana/cjo.json with Grafana's
# $__timeFilter(column) macro replaced by the last 7 days. Fails on the first
# error; prints the rows each query returned. Also checks that cjo.json is
# what bi/grafana/build.py makes of the queries, when python3 is there.
# Takes the connection from PGHOST, PGPORT, PGUSER and PGDATABASE:
#     PGDATABASE=mydb bash bi/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

for f in bi/queries/*.sql; do
    rows=$(sql -f "$f" | wc -l)
    printf '%-45s %6s rows\n' "$f" "$rows"
done

# The dashboard's queries, run by psql's \gexec one after the other.
dashboard=$(cat bi/grafana/cjo.json)
count=$(sql -v dash="$dashboard" <<'SQL'
SELECT count(*) FROM jsonb_path_query(:'dash'::jsonb, '$.panels[*].targets[*].rawSql');
SQL
)
sql -v dash="$dashboard" <<'SQL' >/dev/null
\o /dev/null
SELECT regexp_replace(q #>> '{}', '\$__timeFilter\((\w+)\)', '\1 >= now() - interval ''7 days''', 'g')
  FROM jsonb_path_query(:'dash'::jsonb, '$.panels[*].targets[*].rawSql') q \gexec
SQL
echo "bi/grafana/cjo.json: all $count panel queries ran"

if command -v python3 >/dev/null; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cp -r bi "$tmp/" && python3 "$tmp/bi/grafana/build.py"
    cmp -s "$tmp/bi/grafana/cjo.json" bi/grafana/cjo.json \
        || { echo "bi/grafana/cjo.json is out of date: run python3 bi/grafana/build.py" >&2; exit 1; }
fi
