-- The installed objects: tables, views, functions, indexes, comments, and
-- what pg_dump keeps.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS cjo;
SELECT plan(27);

SELECT has_schema('cjo');
SELECT tables_are('cjo', ARRAY['journeys', 'journey_versions', 'customers', 'events', 'journey_state', 'history', 'actions']);
SELECT views_are('cjo', ARRAY['journey_nodes', 'journey_choices', 'customer_journeys', 'steps', 'transitions', 'node_stats']);
SELECT has_type('cjo', 'journey', 'the journey graph type exists');
SELECT col_type_is('cjo', 'journey_versions', 'graph', 'cjo.journey', 'versions store compiled graphs');
SELECT col_type_is('cjo', 'events', 'properties', 'jsonb', 'event properties are jsonb');
SELECT col_type_is('cjo', 'journey_state', 'node', 'smallint', 'states store a node index');
SELECT col_is_pk('cjo', 'journey_state', ARRAY['customer_id', 'journey_id'], 'one state per customer and journey');
SELECT col_is_pk('cjo', 'events', ARRAY['customer_id', 'event_id'], 'events are keyed by customer first (shardable)');
SELECT col_is_pk('cjo', 'actions', ARRAY['action_id', 'customer_id'], 'actions are keyed by id, with the customer (shardable)');

-- The API, callable with the default search_path.
SELECT has_function('cjo_publish', ARRAY['cjo.journey']);
SELECT has_function('cjo_publish', ARRAY['text']);
SELECT has_function('cjo_publish', ARRAY['jsonb']);
SELECT has_function('cjo_advance', ARRAY['timestamp with time zone', 'text']);
SELECT has_function('cjo_claim', ARRAY['integer', 'interval', 'text[]', 'text']);
SELECT has_function('cjo_report', ARRAY['bigint', 'text', 'text', 'interval']);
SELECT has_function('cjo_explain', ARRAY['text']);
SELECT has_function('cjo_schedule_sweep', ARRAY['text']);
SELECT has_function('cjo_archive', ARRAY['text']);
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE p.proname LIKE 'cjo\_%' AND n.nspname = ANY (current_schemas(false)))::int, 10,
          'the cjo_* functions are on the default search_path');

-- Indexes that keep the hot paths cheap.
SELECT has_index('cjo', 'journey_state', 'journey_state_due', 'due timers have a partial index');
SELECT is((SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'cjo.journey_state_due'::regclass),
          '(due_at IS NOT NULL)', 'the due index holds only waiting states');
SELECT has_index('cjo', 'actions', 'actions_claimable', 'claimable actions have a partial index');

-- Every table, view and column of schema cjo, and every function, has a comment
-- (BI tools show them).
SELECT is_empty($$
    SELECT c.relname || coalesce('.' || a.attname, '')
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'cjo'
      LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relkind IN ('r', 'v')
       AND obj_description(c.oid, 'pg_class') IS NULL
        OR (a.attname IS NOT NULL AND c.relkind IN ('r', 'v') AND n.nspname = 'cjo'
            AND col_description(c.oid, a.attnum) IS NULL)
$$, 'every table, view and column has a comment');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text
      FROM pg_proc p
      JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'cjo'
     WHERE obj_description(p.oid, 'pg_proc') IS NULL
       AND p.prorettype <> 'trigger'::regtype
       AND p.proname NOT LIKE 'journey\_%'
$$, 'every function has a comment');

-- pg_dump keeps the data of every table (extension configuration tables).
SELECT set_eq($$SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'cjo'$$,
              ARRAY['cjo.journeys', 'cjo.journey_versions', 'cjo.customers', 'cjo.events', 'cjo.journey_state',
                    'cjo.history', 'cjo.actions', 'cjo.journeys_journey_id_seq', 'cjo.events_event_id_seq',
                    'cjo.actions_action_id_seq'],
              'pg_dump keeps every table and sequence');

-- The events trigger is a statement trigger with a transition table.
SELECT is((SELECT tgtype & 1 = 0 AND tgnewtable = 'new_events' FROM pg_trigger
            WHERE tgrelid = 'cjo.events'::regclass AND tgname = 'events_advance'),
          true, 'events_advance is a statement-level trigger over the new rows');

SELECT * FROM finish();
ROLLBACK;
