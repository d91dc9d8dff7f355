#!/usr/bin/env bash
# The upgrade path: install cjo 0.1.0, fill it with live data (customers
# waiting, due timers, pending actions), ALTER EXTENSION cjo UPDATE, and check
# that (1) the data survived and keeps working, (2) the updated extension is
# the same as a fresh install of the new version, object by object, and (3)
# the pg_regress suite passes on the updated database.
# Takes a running cluster from PGHOST/PGPORT/PGUSER:   bash scripts/test-upgrade.sh
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "upgrade test FAILED: $*" >&2; exit 1; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; dropdb --if-exists cjo_fresh 2>/dev/null || true' EXIT

# Everything the extension defines, one line per object, for comparing two installs.
catalog() {
    sql -d "$1" <<'SQL'
SELECT kind || ' ' || what FROM (
    SELECT 'function' AS kind, p.oid::regprocedure::text || ' ' || md5(pg_get_functiondef(p.oid))
           || ' acl=' || coalesce(p.proacl::text, '') || ' comment=' || coalesce(md5(obj_description(p.oid, 'pg_proc')), '') AS what
      FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
     WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cjo') AND p.prokind <> 'a'
    UNION ALL
    SELECT 'aggregate', p.oid::regprocedure::text
      FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
     WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cjo') AND p.prokind = 'a'
    UNION ALL
    SELECT 'relation', c.oid::regclass::text || ' ' || c.relkind::text || ' acl=' || coalesce(c.relacl::text, '')
           || ' comment=' || coalesce(md5(obj_description(c.oid, 'pg_class')), '')
           || CASE WHEN c.relkind = 'v' THEN ' ' || md5(pg_get_viewdef(c.oid)) ELSE '' END
      FROM pg_class c WHERE c.relnamespace = 'cjo'::regnamespace
    UNION ALL
    SELECT 'column', a.attrelid::regclass::text || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '')
           || ' comment=' || coalesce(md5(col_description(a.attrelid, a.attnum)), '')
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE c.relnamespace = 'cjo'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraint', conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = 'cjo'::regnamespace
    UNION ALL
    SELECT 'index', indexrelid::regclass::text || ' ' || pg_get_indexdef(indexrelid)
      FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'cjo'::regnamespace)
    UNION ALL
    SELECT 'trigger', tgrelid::regclass::text || ' ' || pg_get_triggerdef(oid)
      FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'cjo'::regnamespace)
    UNION ALL
    SELECT 'type', t.oid::regtype::text FROM pg_type t WHERE t.typnamespace = 'cjo'::regnamespace AND t.typrelid = 0
    UNION ALL
    SELECT 'config', unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'cjo'
) o ORDER BY 1;
SQL
}

dropdb --if-exists cjo_upgraded
createdb cjo_upgraded
export PGDATABASE=cjo_upgraded
echo "# 0.1.0 with live data"
sql -c "CREATE EXTENSION cjo VERSION '0.1.0'" >/dev/null
sql >/dev/null <<'SQL'
SELECT cjo_publish('{"name": "upg", "entry": {"event": "signup"}, "goal": {"event": "buy"}, "start": "hello",
  "nodes": {"hello": {"type": "action", "channel": "email", "template": "hello", "next": "wait"},
            "wait": {"type": "wait", "duration": "1 day", "next": "again"},
            "again": {"type": "action", "channel": "email", "template": "again", "next": "done"},
            "done": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'u' || i, 'signup', timestamptz '2026-01-01' + i * interval '1 hour' FROM generate_series(1, 48) i;
SELECT cjo_advance('2026-01-02 12:00');
SQL
# The 0.2.0 library on 0.1.0 objects: a learning journey needs the update first.
LEARN='{"name": "upg_learn", "entry": {"event": "visit"}, "goal": {"event": "buy"}, "start": "s", "nodes": {"s": {"type": "split", "learn": true, "variants": [{"name": "a", "next": "x"}, {"name": "b", "next": "x"}]}, "x": {"type": "exit"}}}'
code=$(sql -v doc="$LEARN" 2>&1 <<'SQL' || true
\set VERBOSITY sqlstate
SELECT cjo_publish(:'doc');
SQL
)
[ "$code" = "ERROR:  0A000" ] || fail "publishing a learning journey before the update: $code"
echo "ok - before the update, a learning journey is refused with 0A000"
before=$(sql -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE node = 'wait') FROM cjo.customer_journeys")
actions_before=$(sql -c "SELECT count(*) FROM cjo.actions")

echo "# ALTER EXTENSION cjo UPDATE"
sql -c "ALTER EXTENSION cjo UPDATE" >/dev/null
version=$(sql -c "SELECT extversion FROM pg_extension WHERE extname = 'cjo'")
[ "$version" = "$(sed -n "s/^default_version = '\(.*\)'/\1/p" cjo.control)" ] || fail "updated to $version"
[ "$(sql -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE node = 'wait') FROM cjo.customer_journeys")" = "$before" ] \
    || fail "customer states changed in the update"
[ "$(sql -c "SELECT count(*) FROM cjo.actions")" = "$actions_before" ] || fail "actions changed in the update"
echo "ok - every state and action survived ($before, $actions_before actions)"

# The data keeps working: a sweep moves the waiting customers on, an event enters a new one.
moved=$(sql -c "SELECT cjo_advance('2026-01-04')")
sql -c "INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('new', 'signup', '2026-01-04')" >/dev/null
[ "$(sql -c "SELECT count(*) FROM cjo.customer_journeys WHERE status = 'completed'")" = 48 ] || fail "the sweep after the update"
[ "$(sql -c "SELECT node FROM cjo.customer_journeys WHERE customer_id = 'new'")" = wait ] || fail "an event after the update"
[ "$(sql -c "SELECT sum(entered) FROM cjo.journey_funnel WHERE node = 'wait'")" = 49 ] || fail "the funnel over 0.1.0 history"
echo "ok - the sweep moved $moved, a new event entered, the new views read the old history"
sql -v doc="$LEARN" >/dev/null <<'SQL'
SELECT cjo_publish(:'doc');
SQL
sql -c "INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('new', 'visit', '2026-01-04 01:00')" >/dev/null
[ "$(sql -c "SELECT sum(assigned) FROM cjo.arm_results WHERE journey = 'upg_learn'")" = 1 ] || fail "a learning journey after the update"
echo "ok - after the update a learning journey counts its arms"

echo "# the same objects as a fresh install"
dropdb --if-exists cjo_fresh
createdb cjo_fresh
sql -d cjo_fresh -c "CREATE EXTENSION cjo" >/dev/null
catalog cjo_upgraded >"$WORK/upgraded"
catalog cjo_fresh >"$WORK/fresh"
if ! diff -u "$WORK/fresh" "$WORK/upgraded"; then
    fail "the updated extension differs from a fresh install (- fresh, + updated)"
fi
echo "ok - $(wc -l <"$WORK/fresh") objects, columns, constraints, indexes, triggers, grants and comments are the same"

echo "# the regression suite on the updated extension"
sql -c "TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions, cjo.arm_stats, cjo.arm_deltas RESTART IDENTITY" \
    -c "SELECT cjo_archive('upg')" -c "SELECT cjo_archive('upg_learn')" >/dev/null
# schedule, analytics_schedule and data_protection need pg_cron in cron.database_name; the rest runs as it is.
tests=$(ls sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | grep -v -e '^cjo--' -e '^schedule$' -e '^analytics_schedule$' -e '^data_protection$' | tr '\n' ' ')
make -s installcheck REGRESS="$tests" ISOLATION= REGRESS_OPTS="--inputdir=. --use-existing --dbname=cjo_upgraded" \
    || { [ -f regression.diffs ] && cat regression.diffs; fail "pg_regress on the updated extension"; }
dropdb cjo_upgraded
echo "upgrade test passed"
