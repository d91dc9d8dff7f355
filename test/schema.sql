-- The installed objects: schema, tables, views and their columns with their
-- types, the API functions (callable with the default search_path), indexes,
-- triggers, comments on everything a user sees, and what pg_dump keeps.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS cjo;
SELECT plan(356);
SET LOCAL search_path TO DEFAULT;

SELECT has_schema('cjo');
SELECT has_type('cjo', 'journey', 'the journey graph type exists');

-- Tables and views: exactly these.
SELECT has_table('cjo', t, 'table cjo.' || t || ' exists')
  FROM unnest(ARRAY['journeys', 'journey_versions', 'journey_drafts', 'customers', 'events', 'journey_state', 'history', 'actions']) t;
SELECT tables_are('cjo', ARRAY['journeys', 'journey_versions', 'journey_drafts', 'customers', 'events', 'journey_state', 'history', 'actions',
                              'retention', 'channels', 'consent', 'frequency_caps', 'journey_delivery', 'suppression_list',
                              'suppression_rules', 'arm_stats', 'arm_deltas',
                              'analytics_refresh', 'analytics_dirty', 'analytics_runs', 'analytics_run_facts', 'analytics_node_counts',
                              'analytics_stays', 'analytics_waiting', 'analytics_edges', 'analytics_experiments']);
SELECT has_view('cjo', v, 'view cjo.' || v || ' exists')
  FROM unnest(ARRAY['journey_nodes', 'journey_choices', 'customer_journeys', 'steps', 'transitions', 'node_stats']) v;
SELECT views_are('cjo', ARRAY['journey_nodes', 'journey_choices', 'customer_journeys', 'steps', 'transitions', 'node_stats',
                              'runs', 'journey_funnel', 'journey_edges', 'experiment_assignments', 'experiment_results',
                              'attribution', 'delivery_stats', 'arm_results',
                              'runs_from_history', 'journey_edges_from_history', 'experiment_results_from_history']);

-- Every column of every table and view, with its type.
CREATE TEMP TABLE expected_columns (rel text, col text, type text, pos serial);
INSERT INTO expected_columns (rel, col, type) VALUES
    ('journeys', 'journey_id', 'integer'),
    ('journeys', 'name', 'text'),
    ('journeys', 'status', 'text'),
    ('journeys', 'created_at', 'timestamp with time zone'),
    ('journey_versions', 'journey_id', 'integer'),
    ('journey_versions', 'version', 'integer'),
    ('journey_versions', 'graph', 'cjo.journey'),
    ('journey_versions', 'published_at', 'timestamp with time zone'),
    ('journey_versions', 'published_by', 'name'),
    ('customers', 'customer_id', 'text'),
    ('customers', 'attributes', 'jsonb'),
    ('customers', 'created_at', 'timestamp with time zone'),
    ('customers', 'updated_at', 'timestamp with time zone'),
    ('events', 'event_id', 'bigint'),
    ('events', 'customer_id', 'text'),
    ('events', 'name', 'text'),
    ('events', 'channel', 'text'),
    ('events', 'properties', 'jsonb'),
    ('events', 'occurred_at', 'timestamp with time zone'),
    ('events', 'idempotency_key', 'text'),
    ('events', 'received_at', 'timestamp with time zone'),
    ('journey_state', 'customer_id', 'text'),
    ('journey_state', 'journey_id', 'integer'),
    ('journey_state', 'version', 'integer'),
    ('journey_state', 'run', 'integer'),
    ('journey_state', 'step', 'integer'),
    ('journey_state', 'node', 'smallint'),
    ('journey_state', 'status', 'char'),
    ('journey_state', 'entered_at', 'timestamp with time zone'),
    ('journey_state', 'node_at', 'timestamp with time zone'),
    ('journey_state', 'due_at', 'timestamp with time zone'),
    ('journey_state', 'entry_event_id', 'bigint'),
    ('journey_state', 'ended_at', 'timestamp with time zone'),
    ('journey_state', 'converted_at', 'timestamp with time zone'),
    ('journey_state', 'goal_value', 'numeric'),
    ('journey_state', 'data', 'jsonb'),
    ('history', 'customer_id', 'text'),
    ('history', 'journey_id', 'integer'),
    ('history', 'version', 'integer'),
    ('history', 'run', 'integer'),
    ('history', 'step', 'integer'),
    ('history', 'cause', 'char'),
    ('history', 'event_id', 'bigint'),
    ('history', 'at', 'timestamp with time zone'),
    ('history', 'path', 'smallint[]'),
    ('history', 'choices', 'smallint[]'),
    ('actions', 'action_id', 'bigint'),
    ('actions', 'customer_id', 'text'),
    ('actions', 'journey_id', 'integer'),
    ('actions', 'version', 'integer'),
    ('actions', 'run', 'integer'),
    ('actions', 'node', 'smallint'),
    ('actions', 'channel', 'text'),
    ('actions', 'template', 'text'),
    ('actions', 'payload', 'jsonb'),
    ('actions', 'event_id', 'bigint'),
    ('actions', 'status', 'text'),
    ('actions', 'attempts', 'integer'),
    ('actions', 'available_at', 'timestamp with time zone'),
    ('actions', 'claimed_by', 'text'),
    ('actions', 'last_error', 'text'),
    ('actions', 'created_at', 'timestamp with time zone'),
    ('actions', 'updated_at', 'timestamp with time zone'),
    ('journey_nodes', 'journey_id', 'integer'),
    ('journey_nodes', 'journey', 'text'),
    ('journey_nodes', 'version', 'integer'),
    ('journey_nodes', 'node_index', 'integer'),
    ('journey_nodes', 'node', 'text'),
    ('journey_nodes', 'node_type', 'text'),
    ('journey_nodes', 'next_nodes', 'text[]'),
    ('journey_choices', 'journey_id', 'integer'),
    ('journey_choices', 'journey', 'text'),
    ('journey_choices', 'version', 'integer'),
    ('journey_choices', 'node_index', 'integer'),
    ('journey_choices', 'node', 'text'),
    ('journey_choices', 'choice', 'integer'),
    ('journey_choices', 'label', 'text'),
    ('journey_choices', 'next_node', 'text'),
    ('journey_choices', 'control', 'boolean'),
    ('customer_journeys', 'customer_id', 'text'),
    ('customer_journeys', 'journey', 'text'),
    ('customer_journeys', 'version', 'integer'),
    ('customer_journeys', 'run', 'integer'),
    ('customer_journeys', 'node', 'text'),
    ('customer_journeys', 'node_type', 'text'),
    ('customer_journeys', 'status', 'text'),
    ('customer_journeys', 'entered_at', 'timestamp with time zone'),
    ('customer_journeys', 'node_at', 'timestamp with time zone'),
    ('customer_journeys', 'due_at', 'timestamp with time zone'),
    ('customer_journeys', 'ended_at', 'timestamp with time zone'),
    ('customer_journeys', 'converted_at', 'timestamp with time zone'),
    ('customer_journeys', 'goal_value', 'numeric'),
    ('customer_journeys', 'data', 'jsonb'),
    ('steps', 'customer_id', 'text'),
    ('steps', 'journey_id', 'integer'),
    ('steps', 'version', 'integer'),
    ('steps', 'run', 'integer'),
    ('steps', 'step', 'bigint'),
    ('steps', 'from_node', 'smallint'),
    ('steps', 'to_node', 'smallint'),
    ('steps', 'cause', 'char'),
    ('steps', 'choice', 'smallint'),
    ('steps', 'event_id', 'bigint'),
    ('steps', 'at', 'timestamp with time zone'),
    ('transitions', 'customer_id', 'text'),
    ('transitions', 'journey', 'text'),
    ('transitions', 'version', 'integer'),
    ('transitions', 'run', 'integer'),
    ('transitions', 'step', 'bigint'),
    ('transitions', 'from_node', 'text'),
    ('transitions', 'to_node', 'text'),
    ('transitions', 'cause', 'text'),
    ('transitions', 'choice', 'text'),
    ('transitions', 'event_id', 'bigint'),
    ('transitions', 'event', 'text'),
    ('transitions', 'at', 'timestamp with time zone'),
    ('node_stats', 'journey', 'text'),
    ('node_stats', 'version', 'integer'),
    ('node_stats', 'node_index', 'integer'),
    ('node_stats', 'node', 'text'),
    ('node_stats', 'node_type', 'text'),
    ('node_stats', 'entered', 'bigint'),
    ('node_stats', 'waiting', 'bigint'),
    ('node_stats', 'moved_on', 'bigint'),
    ('node_stats', 'dropped', 'bigint'),
    ('node_stats', 'converted', 'bigint'),
    ('arm_results', 'journey', 'text'),
    ('arm_results', 'node', 'text'),
    ('arm_results', 'arm', 'text'),
    ('arm_results', 'assigned', 'bigint'),
    ('arm_results', 'converted', 'bigint'),
    ('arm_results', 'conversion_rate', 'double precision'),
    ('arm_results', 'posterior_mean', 'double precision'),
    ('arm_results', 'probability_best', 'double precision');
SELECT columns_are('cjo', rel, array_agg(col ORDER BY pos), 'cjo.' || rel || ' has exactly the expected columns')
  FROM expected_columns GROUP BY rel ORDER BY min(pos);
SELECT has_column('cjo', rel, col, 'cjo.' || rel || '.' || col || ' exists')
  FROM expected_columns ORDER BY pos;
SELECT col_type_is('cjo', rel, col, type, 'cjo.' || rel || '.' || col || ' is ' || type)
  FROM expected_columns ORDER BY pos;

-- Keys: every per-customer table is keyed by customer first or with the
-- customer (shardable on customer_id).
SELECT col_is_pk('cjo', 'journeys', 'journey_id', 'journeys are keyed by id');
SELECT col_is_pk('cjo', 'journey_versions', ARRAY['journey_id', 'version'], 'versions are keyed by journey and number');
SELECT col_is_pk('cjo', 'customers', 'customer_id', 'customers are keyed by id');
SELECT col_is_pk('cjo', 'journey_state', ARRAY['customer_id', 'journey_id'], 'one state per customer and journey');
SELECT col_is_pk('cjo', 'events', ARRAY['customer_id', 'event_id'], 'events are keyed by customer first (shardable)');
SELECT col_is_pk('cjo', 'actions', ARRAY['action_id', 'customer_id'], 'actions are keyed by id, with the customer (shardable)');

-- The API, found with the default search_path, with its argument and result types.
SELECT has_function('cjo_publish', ARRAY['cjo.journey'], 'cjo_publish(cjo.journey) is visible');
SELECT has_function('cjo_publish', ARRAY['text'], 'cjo_publish(text) is visible');
SELECT has_function('cjo_publish', ARRAY['jsonb'], 'cjo_publish(jsonb) is visible');
SELECT has_function('cjo_advance', ARRAY['timestamp with time zone', 'text'], 'cjo_advance(timestamptz, text) is visible');
SELECT has_function('cjo_claim', ARRAY['integer', 'interval', 'text[]', 'text'], 'cjo_claim(integer, interval, text[], text) is visible');
SELECT has_function('cjo_report', ARRAY['bigint', 'text', 'text', 'interval'], 'cjo_report(bigint, text, text, interval) is visible');
SELECT has_function('cjo_explain', ARRAY['text'], 'cjo_explain(text) is visible');
SELECT has_function('cjo_schedule_sweep', ARRAY['text'], 'cjo_schedule_sweep(text) is visible');
SELECT has_function('cjo_unschedule_sweep', ARRAY[]::text[], 'cjo_unschedule_sweep() is visible');
SELECT has_function('cjo_archive', ARRAY['text'], 'cjo_archive(text) is visible');
SELECT function_returns('cjo_publish', ARRAY['cjo.journey'], 'integer');
SELECT function_returns('cjo_advance', ARRAY['timestamp with time zone', 'text'], 'bigint');
SELECT function_returns('cjo_claim', ARRAY['integer', 'interval', 'text[]', 'text'], 'setof cjo.actions');
SELECT function_returns('cjo_report', ARRAY['bigint', 'text', 'text', 'interval'], 'text');
SELECT function_returns('cjo_archive', ARRAY['text'], 'void');
SELECT function_returns('cjo_schedule_sweep', ARRAY['text'], 'bigint');
SELECT has_function('cjo_refresh_analytics', ARRAY['boolean'], 'cjo_refresh_analytics(boolean) is visible');
SELECT function_returns('cjo_refresh_analytics', ARRAY['boolean'], 'bigint');
SELECT has_function('cjo_schedule_analytics', ARRAY['text'], 'cjo_schedule_analytics(text) is visible');
SELECT has_function('cjo_unschedule_analytics', ARRAY[]::text[], 'cjo_unschedule_analytics() is visible');
SELECT function_returns('cjo_schedule_analytics', ARRAY['text'], 'bigint');
SELECT function_returns('cjo_unschedule_analytics', ARRAY[]::text[], 'boolean');
SELECT has_function('cjo', 'journey_funnel_from_history', ARRAY['text', 'integer', 'text', 'interval'],
                    'the funnel computed from the history alone exists');
SELECT set_eq($$SELECT p.oid::regprocedure::text FROM pg_proc p
                WHERE p.proname LIKE 'cjo\_%' AND pg_function_is_visible(p.oid)$$,
              ARRAY['cjo_publish(cjo.journey)', 'cjo_publish(text)', 'cjo_publish(jsonb)', 'cjo_archive(text)',
                    'cjo_advance(timestamp with time zone,text)', 'cjo_schedule_sweep(text)', 'cjo_unschedule_sweep()',
                    'cjo_claim(integer,interval,text[],text)', 'cjo_report(bigint,text,text,interval)', 'cjo_explain(text)',
                    'cjo_save_draft(cjo.journey)', 'cjo_save_draft(text)', 'cjo_save_draft(jsonb)',
                    'cjo_publish_draft(text)', 'cjo_discard_draft(text)', 'cjo_migrate(text,jsonb,integer)', 'cjo_identify(text,text)',
                    'cjo_attribution(text,interval,interval,text,text,timestamp with time zone,timestamp with time zone,boolean,text[])',
                    'cjo_diagram(cjo.journey,text)', 'cjo_diagram(text,text,integer,boolean)',
                    'cjo_set_when_capped(text,text)', 'cjo_release_held()', 'cjo_pause(text)', 'cjo_resume(text)',
                    'cjo_journey_funnel(text,integer,text,interval)', 'cjo_journey_paths(text,integer,integer,boolean)',
                    'cjo_funnel(jsonb,interval,text[],timestamp with time zone,timestamp with time zone)',
                    'cjo_simulate(cjo.journey,timestamp with time zone,timestamp with time zone)',
                    'cjo_simulate(text,timestamp with time zone,timestamp with time zone)',
                    'cjo_simulate(jsonb,timestamp with time zone,timestamp with time zone)',
                    'cjo_forget_customer(text)', 'cjo_purge_batch(timestamp with time zone,integer)',
                    'cjo_purge(bigint,bigint,integer,timestamp with time zone)',
                    'cjo_schedule_purge(text)', 'cjo_unschedule_purge()', 'cjo_refresh_analytics(boolean)',
                    'cjo_schedule_analytics(text)', 'cjo_unschedule_analytics()'],
              'exactly these cjo_* functions are on the default search_path');

-- ... and callable by their bare names.
SELECT is(cjo_publish('{"name": "schema_tap", "entry": {"event": "signup"}, "start": "x", "nodes": {"x": {"type": "exit"}}}'::text),
          1, 'cjo_publish(text) is callable');
SELECT is(cjo_publish('{"name": "schema_tap", "entry": {"event": "signup"}, "start": "x", "nodes": {"x": {"type": "exit"}}}'::jsonb),
          2, 'cjo_publish(jsonb) is callable');
SELECT is(cjo_advance(), 0::bigint, 'cjo_advance() is callable');
SELECT is(cjo_advance('2026-01-05 12:00+00', 'nobody'), 0::bigint, 'cjo_advance(as_of, customer) is callable');
SELECT is_empty($$SELECT * FROM cjo_explain('nobody')$$, 'cjo_explain() is callable');
SELECT is_empty($$SELECT * FROM cjo_claim(10, '1 minute', ARRAY['no-such-channel'], 'tap')$$, 'cjo_claim() is callable');
SELECT throws_ok($$SELECT cjo_report(-1, 'sent')$$, 'P0002', NULL, 'cjo_report() is callable');
SELECT lives_ok($q$DO $do$ BEGIN
                     PERFORM cjo_schedule_sweep('0 3 * * *');
                     PERFORM cjo_unschedule_sweep();
                  EXCEPTION WHEN feature_not_supported THEN NULL;  -- no pg_cron here
                  END $do$$q$, 'cjo_schedule_sweep() and cjo_unschedule_sweep() are callable');
SELECT lives_ok($q$DO $do$ BEGIN
                     PERFORM cjo_schedule_analytics('0 3 * * *');
                     PERFORM cjo_unschedule_analytics();
                  EXCEPTION WHEN feature_not_supported THEN NULL;  -- no pg_cron here
                  END $do$$q$, 'cjo_schedule_analytics() and cjo_unschedule_analytics() are callable');
SELECT lives_ok($$SELECT cjo_archive('schema_tap')$$, 'cjo_archive() is callable');

-- Indexes that keep the hot paths cheap.
SELECT has_index('cjo', 'journey_state', 'journey_state_due', ARRAY['due_at', 'customer_id', 'journey_id'],
                 'due timers have an index in sweep order');
SELECT is((SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'cjo.journey_state_due'::regclass),
          '(due_at IS NOT NULL)', 'the due index is partial: it holds only states with a timer');
SELECT has_index('cjo', 'actions', 'actions_claimable', 'claimable actions have an index');
SELECT is((SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'cjo.actions_claimable'::regclass),
          '(status = ANY (ARRAY[''pending''::text, ''claimed''::text]))', 'the claimable index is partial');
SELECT index_is_unique('cjo', 'events', 'events_idempotency_key', 'an idempotency key is unique per customer');

-- Triggers: the engine runs from a statement trigger over the new rows.
SELECT triggers_are('cjo', 'events', ARRAY['events_advance', 'events_skip_duplicate', 'events_identify']);
-- The analytics rollup learns of deletes, updates and truncation by triggers;
-- inserts (the engine's hot path) and state updates carry none.
SELECT triggers_are('cjo', 'history', ARRAY['history_analytics_delete', 'history_analytics_update', 'history_analytics_truncate']);
SELECT triggers_are('cjo', 'journey_state', ARRAY['journey_state_analytics_delete', 'journey_state_analytics_truncate']);
SELECT triggers_are('cjo', 'analytics_runs', ARRAY[]::name[]);
SELECT triggers_are('cjo', 'analytics_run_facts', ARRAY['analytics_run_facts_added', 'analytics_run_facts_removed']);
SELECT is((SELECT count(*) FROM pg_trigger
            WHERE tgrelid IN ('cjo.history'::regclass, 'cjo.journey_state'::regclass) AND NOT tgisinternal
              AND (tgtype & 4 <> 0 OR (tgrelid = 'cjo.journey_state'::regclass AND tgtype & 16 <> 0))),
          0::bigint, 'no trigger on history inserts or on journey_state inserts and updates');
SELECT has_trigger('cjo', 'journeys', 'journeys_changed', 'changes to journeys invalidate the caches');
SELECT has_trigger('cjo', 'journey_versions', 'journey_versions_changed', 'new versions invalidate the caches');
SELECT is((SELECT tgtype & 1 = 0 AND tgnewtable = 'new_events' FROM pg_trigger
            WHERE tgrelid = 'cjo.events'::regclass AND tgname = 'events_advance'),
          true, 'events_advance is a statement-level trigger over the new rows');

-- Every table, view and column of schema cjo, the schema and the type, and
-- every cjo_* function have a comment (BI tools show them).
SELECT is_empty($$
    SELECT format('%s %s', kind, name) FROM (
        SELECT 'relation' AS kind, c.oid::regclass::text AS name, 'pg_class'::regclass AS classoid, c.oid AS objoid, 0 AS objsubid
          FROM pg_class c WHERE c.relnamespace = 'cjo'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
        UNION ALL
        SELECT 'column', c.oid::regclass::text || '.' || a.attname, 'pg_class'::regclass, c.oid, a.attnum
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relnamespace = 'cjo'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
        UNION ALL
        SELECT 'schema', 'cjo', 'pg_namespace'::regclass, 'cjo'::regnamespace::oid, 0
        UNION ALL
        SELECT 'type', t.oid::regtype::text, 'pg_type'::regclass, t.oid, 0
          FROM pg_type t WHERE t.typnamespace = 'cjo'::regnamespace AND t.typtype = 'b' AND t.typcategory <> 'A'
        UNION ALL
        SELECT 'function', p.oid::regprocedure::text, 'pg_proc'::regclass, p.oid, 0
          FROM pg_proc p WHERE p.proname LIKE 'cjo\_%'
           AND p.oid IN (SELECT objid FROM pg_depend WHERE classid = 'pg_proc'::regclass AND deptype = 'e'
                            AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cjo'))
    ) o
    WHERE NOT EXISTS (SELECT 1 FROM pg_description d
                       WHERE d.classoid = o.classoid AND d.objoid = o.objoid AND d.objsubid = o.objsubid
                         AND d.description <> '')
    ORDER BY 1
$$, 'every table, view, column, the schema, the type and every cjo_* function has a comment');

-- pg_dump keeps the data of every table (extension configuration tables).
SELECT set_eq($$SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'cjo'$$,
              ARRAY['cjo.journeys', 'cjo.journey_versions', 'cjo.journey_drafts', 'cjo.customers', 'cjo.events', 'cjo.journey_state',
                    'cjo.history', 'cjo.actions', 'cjo.journeys_journey_id_seq', 'cjo.events_event_id_seq',
                    'cjo.actions_action_id_seq', 'cjo.retention', 'cjo.channels', 'cjo.consent', 'cjo.suppression_list',
                    'cjo.suppression_rules', 'cjo.frequency_caps', 'cjo.journey_delivery',
                    'cjo.suppression_rules_rule_id_seq', 'cjo.frequency_caps_cap_id_seq', 'cjo.arm_stats', 'cjo.arm_deltas'],
              'pg_dump keeps every data table and its sequence');

SELECT * FROM finish();
ROLLBACK;
