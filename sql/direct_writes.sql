-- The engine stores its rows (cjo.history, cjo.actions, cjo.journey_state)
-- through the table AM, the way COPY FROM does, and falls back to INSERT /
-- upsert statements when a table has what only a statement applies: enabled
-- triggers, rules, row-level security, missing table rights.  Both paths
-- must give the same rows, fill in the same defaults, check the same
-- constraints and leave nothing half-written when one fails.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
DROP ROLE IF EXISTS regress_dw_engine;
CREATE SCHEMA dw;

-- One action on entry, then one more per dw_more event (the node loops
-- back to the wait); a day without event ends the run.
SELECT cjo_publish('{"name": "dw_j", "entry": {"event": "dw_go"}, "start": "a1",
  "nodes": {
    "a1": {"type": "action", "channel": "email", "template": "hello",
           "payload": {"n": "{{$.event.properties.n}}"}, "next": "w"},
    "w": {"type": "wait_event", "events": [{"event": "dw_more", "next": "a2"}],
          "timeout": "1 day", "timeout_next": "bye"},
    "a2": {"type": "action", "channel": "email", "template": "more", "next": "w"},
    "bye": {"type": "exit"}}}');

-- Everything the engine wrote for a customer, ids and event ids left out,
-- keyed by the customer's number (customers are named PREFIX_NUMBER).
CREATE VIEW dw.engine_rows AS
    SELECT customer_id, split_part(customer_id, '_', 2) AS k, 'history' AS t,
           concat_ws(' ', run, step, cause, event_id IS NULL, at, path, choices) AS r
      FROM cjo.history
    UNION ALL
    SELECT customer_id, split_part(customer_id, '_', 2), 'actions',
           concat_ws(' ', run, node, channel, template, payload, status, attempts, event_id IS NULL)
      FROM cjo.actions
    UNION ALL
    SELECT customer_id, split_part(customer_id, '_', 2), 'state',
           concat_ws(' ', version, run, step, node, status, entered_at, node_at, due_at, ended_at,
                     converted_at, goal_value, entry_event_id IS NULL, data)
      FROM cjo.journey_state;
-- Rows of customer a missing from customer b's and the other way round (none: same rows).
CREATE FUNCTION dw.differences(a text, b text) RETURNS TABLE (side text, t text, r text)
    LANGUAGE sql AS $$
    (SELECT 'only ' || a, t, r FROM dw.engine_rows WHERE customer_id = a
     EXCEPT ALL SELECT 'only ' || a, t, r FROM dw.engine_rows WHERE customer_id = b)
    UNION ALL
    (SELECT 'only ' || b, t, r FROM dw.engine_rows WHERE customer_id = b
     EXCEPT ALL SELECT 'only ' || b, t, r FROM dw.engine_rows WHERE customer_id = a)
$$;
-- What a customer has: events, state rows, history rows, actions, and where the state is.
CREATE FUNCTION dw.has(c text) RETURNS text LANGUAGE sql AS $$
    SELECT format('events %s, states %s, history %s, actions %s, at step %s node %s',
        (SELECT count(*) FROM cjo.events WHERE customer_id = c),
        (SELECT count(*) FROM cjo.journey_state WHERE customer_id = c),
        (SELECT count(*) FROM cjo.history WHERE customer_id = c),
        (SELECT count(*) FROM cjo.actions WHERE customer_id = c),
        (SELECT string_agg(step || '', ',') FROM cjo.journey_state WHERE customer_id = c),
        (SELECT string_agg(node || '', ',') FROM cjo.journey_state WHERE customer_id = c))
$$;
-- A trigger that does nothing: its presence alone sends a table's rows through statements.
CREATE FUNCTION dw.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;

------------------------------------------------------------------------------
-- 1. A user's AFTER INSERT row trigger on cjo.history and cjo.actions fires
--    for the engine's rows; disabled, or dropped, the rows are written
--    directly again, and they are the same rows.
------------------------------------------------------------------------------
CREATE TABLE dw.seen (tbl text, customer_id text, what text);
CREATE FUNCTION dw.seen_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dw.seen VALUES (TG_TABLE_NAME, NEW.customer_id,
        coalesce(to_jsonb(NEW) ->> 'template', 'step ' || (to_jsonb(NEW) ->> 'step')));
    RETURN NULL;
END $$;
CREATE TRIGGER dw_seen AFTER INSERT ON cjo.history FOR EACH ROW EXECUTE FUNCTION dw.seen_row();
CREATE TRIGGER dw_seen AFTER INSERT ON cjo.actions FOR EACH ROW EXECUTE FUNCTION dw.seen_row();
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('tr_1', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('tr_1', 'dw_more', '2026-01-01 10:05');
SELECT * FROM dw.seen ORDER BY 1, 3;
-- Disabled on history (a relcache invalidation): history is written directly, actions still not.
ALTER TABLE cjo.history DISABLE TRIGGER dw_seen;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('tr_1', 'dw_more', '2026-01-01 10:10');
SELECT tbl, count(*) FROM dw.seen GROUP BY 1 ORDER BY 1;
-- Dropped: nothing fires, the same events give the same rows.
DROP TRIGGER dw_seen ON cjo.history;
DROP TRIGGER dw_seen ON cjo.actions;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('tr_2', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('tr_2', 'dw_more', '2026-01-01 10:05');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('tr_2', 'dw_more', '2026-01-01 10:10');
SELECT count(*) AS still_seen FROM dw.seen;
SELECT * FROM dw.differences('tr_1', 'tr_2');
SELECT dw.has('tr_1'), dw.has('tr_2');

-- A rule rewrites an INSERT too: a DO ALSO rule on cjo.actions sees the engine's rows.
CREATE TABLE dw.logged (customer_id text, template text);
CREATE RULE dw_log AS ON INSERT TO cjo.actions DO ALSO INSERT INTO dw.logged VALUES (NEW.customer_id, NEW.template);
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('ru_1', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('ru_1', 'dw_more', '2026-01-01 10:05');
SELECT * FROM dw.logged ORDER BY 2;
DROP RULE dw_log ON cjo.actions;

------------------------------------------------------------------------------
-- 2. Columns a user added to cjo.actions get their defaults on the engine's
--    rows: constant, sequence, now(); changes within the session are seen.
------------------------------------------------------------------------------
CREATE SEQUENCE dw.seq;
ALTER TABLE cjo.actions ADD COLUMN dw_note text DEFAULT 'constant',
                        ADD COLUMN dw_no bigint DEFAULT nextval('dw.seq'),
                        ADD COLUMN dw_xact timestamptz DEFAULT now();
BEGIN;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('df_1', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('df_1', 'dw_more', '2026-01-01 10:05');
SELECT template, dw_note, dw_no, dw_xact = now() AS xact_time FROM cjo.actions WHERE customer_id = 'df_1' ORDER BY action_id;
COMMIT;
-- A column added, a default changed, between two events of the same session.
ALTER TABLE cjo.actions ADD COLUMN dw_later text DEFAULT 'added later';
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('df_1', 'dw_more', '2026-01-01 10:10');
ALTER TABLE cjo.actions ALTER COLUMN dw_note SET DEFAULT 'changed';
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('df_1', 'dw_more', '2026-01-01 10:15');
SELECT template, dw_note, dw_no, dw_later FROM cjo.actions WHERE customer_id = 'df_1' ORDER BY action_id;
-- A default calling an SQL function (inlined when planned): a new body is seen at once.
CREATE FUNCTION dw.tag() RETURNS text LANGUAGE sql AS $$ SELECT 'first body' $$;
ALTER TABLE cjo.actions ADD COLUMN dw_tag text DEFAULT dw.tag();
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('df_1', 'dw_more', '2026-01-01 10:20');
CREATE OR REPLACE FUNCTION dw.tag() RETURNS text LANGUAGE sql AS $$ SELECT 'second body' $$;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('df_1', 'dw_more', '2026-01-01 10:25');
SELECT template, dw_no, dw_tag FROM cjo.actions WHERE customer_id = 'df_1' AND dw_tag IS NOT NULL ORDER BY action_id;
-- A column added in a savepoint rolled back: the next event writes the table as it is again.
BEGIN;
SAVEPOINT s;
ALTER TABLE cjo.actions ADD COLUMN dw_tmp integer DEFAULT 5;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('df_2', 'dw_go', '{"n": 2}', '2026-01-01 10:00');
SELECT template, dw_tmp FROM cjo.actions WHERE customer_id = 'df_2';
ROLLBACK TO SAVEPOINT s;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('df_2', 'dw_go', '{"n": 2}', '2026-01-01 10:00');
COMMIT;
SELECT template, payload, dw_note, dw_no FROM cjo.actions WHERE customer_id = 'df_2';
ALTER TABLE cjo.actions DROP COLUMN dw_note, DROP COLUMN dw_no, DROP COLUMN dw_xact,
                        DROP COLUMN dw_later, DROP COLUMN dw_tag;
-- Dropped columns stay in the row type: the direct path skips them.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('df_2', 'dw_more', '2026-01-01 10:05');
SELECT dw.has('df_2');

-- A column a user added to cjo.journey_state: new states get its default;
-- states are then updated by the upsert statement, which keeps its value.
ALTER TABLE cjo.journey_state ADD COLUMN dw_label text DEFAULT 'new';
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('df_3', 'dw_go', '{"n": 3}', '2026-01-01 10:00');
SELECT customer_id, step, dw_label FROM cjo.journey_state WHERE customer_id = 'df_3';
UPDATE cjo.journey_state SET dw_label = 'kept' WHERE customer_id = 'df_3';
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('df_3', 'dw_more', '2026-01-01 10:05');
SELECT customer_id, step, dw_label FROM cjo.journey_state WHERE customer_id = 'df_3';
-- Dropped again: states are updated in place, the dropped column left null.
ALTER TABLE cjo.journey_state DROP COLUMN dw_label;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('df_3', 'dw_more', '2026-01-01 10:10');
SELECT dw.has('df_3');

------------------------------------------------------------------------------
-- 3. A user's CHECK constraint that the engine's row violates: the event's
--    INSERT fails with 23514 and nothing of it is left (the event, the
--    state update and the history row written before the action).
------------------------------------------------------------------------------
ALTER TABLE cjo.actions ADD CONSTRAINT dw_no_more CHECK (template <> 'more') NOT VALID;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('ck_1', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
SELECT dw.has('ck_1');
\set VERBOSITY terse
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('ck_1', 'dw_more', '2026-01-01 10:05');
\echo :LAST_ERROR_SQLSTATE
-- One statement for two customers: the other one's rows go too.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('ck_2', 'dw_go', '{"n": 2}', '2026-01-01 10:00'), ('ck_1', 'dw_more', '{}', '2026-01-01 10:05');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT dw.has('ck_1'), dw.has('ck_2');
-- Forced through statements (a trigger on every table), the same error.
CREATE TRIGGER dw_force AFTER INSERT ON cjo.actions FOR EACH STATEMENT EXECUTE FUNCTION dw.noop();
\set VERBOSITY terse
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('ck_1', 'dw_more', '2026-01-01 10:05');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
DROP TRIGGER dw_force ON cjo.actions;
SELECT dw.has('ck_1');
ALTER TABLE cjo.actions DROP CONSTRAINT dw_no_more;

------------------------------------------------------------------------------
-- 4. NOT NULL and a unique index of the user's: clear errors, nothing
--    half-written.
------------------------------------------------------------------------------
ALTER TABLE cjo.actions ADD COLUMN dw_nn text NOT NULL DEFAULT 'x';
ALTER TABLE cjo.actions ALTER COLUMN dw_nn DROP DEFAULT;
\set VERBOSITY terse
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('nn_1', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT dw.has('nn_1');
ALTER TABLE cjo.actions DROP COLUMN dw_nn;
-- A sweep's move has no event: history.event_id made NOT NULL fails the sweep.
ALTER TABLE cjo.history ALTER COLUMN event_id SET NOT NULL;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('nn_2', 'dw_go', '{"n": 2}', '2026-01-01 10:00');
\set VERBOSITY terse
SELECT cjo_advance('2026-01-03');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT dw.has('nn_2');
ALTER TABLE cjo.history ALTER COLUMN event_id DROP NOT NULL;

-- One action per template and customer (for these customers).
CREATE UNIQUE INDEX dw_one_template ON cjo.actions (customer_id, template) WHERE customer_id LIKE 'uq%';
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('uq_1', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('uq_1', 'dw_more', '2026-01-01 10:05');
SELECT dw.has('uq_1');
\set VERBOSITY terse
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('uq_1', 'dw_more', '2026-01-01 10:10');
\echo :LAST_ERROR_SQLSTATE
-- Two rows of one batch against each other.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('uq_2', 'dw_go', '{"n": 2}', '2026-01-01 10:00'), ('uq_2', 'dw_more', '{}', '2026-01-01 10:05'),
    ('uq_2', 'dw_more', '{}', '2026-01-01 10:10');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT dw.has('uq_1'), dw.has('uq_2');
DROP INDEX cjo.dw_one_template;

------------------------------------------------------------------------------
-- 5. Row-level security on cjo.history: the rows go through an INSERT, with
--    the rights of the role the engine runs as (the extension's owner).
------------------------------------------------------------------------------
ALTER TABLE cjo.history ENABLE ROW LEVEL SECURITY;
ALTER TABLE cjo.history FORCE ROW LEVEL SECURITY;
CREATE POLICY dw_not_blocked ON cjo.history USING (true) WITH CHECK (customer_id NOT LIKE 'rlsblocked%');
-- A superuser owner bypasses row-level security, as its INSERT would.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('rls_1', 'dw_go', '{"n": 1}', '2026-01-01 10:00'), ('rlsblocked_1', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
SELECT dw.has('rls_1'), dw.has('rlsblocked_1');
-- The engine run by a role that is not a superuser: the policy applies.
CREATE ROLE regress_dw_engine NOLOGIN IN ROLE cjo_admin;
GRANT SELECT, INSERT, UPDATE ON cjo.history, cjo.actions, cjo.journey_state TO regress_dw_engine;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA cjo TO regress_dw_engine;
ALTER FUNCTION cjo.events_advance() OWNER TO regress_dw_engine;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('rls_2', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
\set VERBOSITY terse
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('rlsblocked_2', 'dw_go', '{"n": 2}', '2026-01-01 10:00');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT dw.has('rls_2'), dw.has('rlsblocked_2');
SELECT * FROM dw.differences('rls_1', 'rls_2');
-- Without the right to insert into cjo.actions, the statement says so ...
REVOKE INSERT ON cjo.actions FROM regress_dw_engine;
\set VERBOSITY terse
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('rls_3', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT dw.has('rls_3');
-- ... and with the right on the engine's columns only, the statement writes them.
GRANT INSERT (customer_id, journey_id, version, run, node, channel, template, payload, event_id)
    ON cjo.actions TO regress_dw_engine;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('rls_3', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
SELECT * FROM dw.differences('rls_1', 'rls_3');
ALTER FUNCTION cjo.events_advance() OWNER TO CURRENT_USER;
DROP POLICY dw_not_blocked ON cjo.history;
ALTER TABLE cjo.history NO FORCE ROW LEVEL SECURITY;
ALTER TABLE cjo.history DISABLE ROW LEVEL SECURITY;
DROP OWNED BY regress_dw_engine;
DROP ROLE regress_dw_engine;

------------------------------------------------------------------------------
-- 6. A state updated by hand in the transaction, before an event of its
--    customer: the event reads it as it is now, updates that row, and gives
--    what the statement path gives.  mu_1 direct, mu_2 through statements.
------------------------------------------------------------------------------
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('mu_1', 'dw_go', '{"n": 1}', '2026-01-01 10:00'), ('mu_2', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
BEGIN;
UPDATE cjo.journey_state SET data = '{"by": "hand"}' WHERE customer_id = 'mu_1';
UPDATE cjo.journey_state SET data = data || '{"twice": true}' WHERE customer_id = 'mu_1';
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('mu_1', 'dw_more', '2026-01-01 10:05');
-- In the same statement as the event (a writable CTE).
WITH u AS (UPDATE cjo.journey_state SET data = data || '{"cte": 1}' WHERE customer_id = 'mu_1' RETURNING customer_id)
INSERT INTO cjo.events (customer_id, name, occurred_at) SELECT customer_id, 'dw_more', '2026-01-01 10:10' FROM u;
COMMIT;
CREATE TRIGGER dw_force AFTER INSERT OR UPDATE ON cjo.journey_state FOR EACH STATEMENT EXECUTE FUNCTION dw.noop();
BEGIN;
UPDATE cjo.journey_state SET data = '{"by": "hand"}' WHERE customer_id = 'mu_2';
UPDATE cjo.journey_state SET data = data || '{"twice": true}' WHERE customer_id = 'mu_2';
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('mu_2', 'dw_more', '2026-01-01 10:05');
WITH u AS (UPDATE cjo.journey_state SET data = data || '{"cte": 1}' WHERE customer_id = 'mu_2' RETURNING customer_id)
INSERT INTO cjo.events (customer_id, name, occurred_at) SELECT customer_id, 'dw_more', '2026-01-01 10:10' FROM u;
COMMIT;
DROP TRIGGER dw_force ON cjo.journey_state;
SELECT customer_id, step, node, node_at, data FROM cjo.journey_state WHERE customer_id LIKE 'mu%' ORDER BY 1;
SELECT * FROM dw.differences('mu_1', 'mu_2');
SELECT dw.has('mu_1');

------------------------------------------------------------------------------
-- 7. Savepoints: events rolled back to a savepoint, then more events.
--    sp_1 and sp_3 must end as sp_2, which had only the events kept.
------------------------------------------------------------------------------
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('sp_2', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('sp_2', 'dw_more', '2026-01-01 10:07');
BEGIN;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('sp_1', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
SAVEPOINT a;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('sp_1', 'dw_more', '2026-01-01 10:05');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('sp_1', 'dw_more', '2026-01-01 10:06');
ROLLBACK TO SAVEPOINT a;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('sp_1', 'dw_more', '2026-01-01 10:07');
COMMIT;
-- An event that failed in a savepoint (a check violated by its action).
BEGIN;
ALTER TABLE cjo.actions ADD CONSTRAINT dw_no_more CHECK (template <> 'more') NOT VALID;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES ('sp_3', 'dw_go', '{"n": 1}', '2026-01-01 10:00');
SAVEPOINT b;
\set VERBOSITY terse
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('sp_3', 'dw_more', '2026-01-01 10:05');
\set VERBOSITY default
ROLLBACK TO SAVEPOINT b;
ALTER TABLE cjo.actions DROP CONSTRAINT dw_no_more;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('sp_3', 'dw_more', '2026-01-01 10:07');
COMMIT;
SELECT * FROM dw.differences('sp_1', 'sp_2');
SELECT * FROM dw.differences('sp_3', 'sp_2');
SELECT dw.has('sp_1'), dw.has('sp_2'), dw.has('sp_3');

------------------------------------------------------------------------------
-- 8. Big batches: 600 customers with 3 events each in one statement (the
--    first 500 customers' 1500 history rows and 1500 actions are stored
--    1000 at a time, with a bulk-insert state), then one more event each in
--    a second statement (600 states updated in place), against the same
--    events inserted one by one through the statements.
------------------------------------------------------------------------------
CREATE TRIGGER dw_force AFTER INSERT OR UPDATE ON cjo.journey_state FOR EACH STATEMENT EXECUTE FUNCTION dw.noop();
CREATE TRIGGER dw_force AFTER INSERT ON cjo.history FOR EACH STATEMENT EXECUTE FUNCTION dw.noop();
CREATE TRIGGER dw_force AFTER INSERT ON cjo.actions FOR EACH STATEMENT EXECUTE FUNCTION dw.noop();
DO $$
BEGIN
    FOR i IN 1..600 LOOP
        INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
            VALUES ('one_' || i, 'dw_go', jsonb_build_object('n', i), '2026-01-01 10:00');
        INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('one_' || i, 'dw_more', '2026-01-01 10:05');
        INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('one_' || i, 'dw_more', '2026-01-01 10:10');
        INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('one_' || i, 'dw_more', '2026-01-01 10:15');
    END LOOP;
END $$;
DROP TRIGGER dw_force ON cjo.journey_state;
DROP TRIGGER dw_force ON cjo.history;
DROP TRIGGER dw_force ON cjo.actions;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
    SELECT 'bulk_' || i, e.name, CASE WHEN e.name = 'dw_go' THEN jsonb_build_object('n', i) ELSE '{}' END, e.at
      FROM generate_series(1, 600) i,
           (VALUES ('dw_go', timestamptz '2026-01-01 10:00'), ('dw_more', '2026-01-01 10:05'),
                   ('dw_more', '2026-01-01 10:10')) AS e(name, at);
INSERT INTO cjo.events (customer_id, name, occurred_at)
    SELECT 'bulk_' || i, 'dw_more', '2026-01-01 10:15' FROM generate_series(1, 600) i;
SELECT t, count(*) FILTER (WHERE customer_id LIKE 'bulk%') AS bulk, count(*) FILTER (WHERE customer_id LIKE 'one%') AS one
  FROM dw.engine_rows WHERE customer_id LIKE 'bulk%' OR customer_id LIKE 'one%' GROUP BY 1 ORDER BY 1;
SELECT count(*) AS differences FROM (
    (SELECT k, t, r FROM dw.engine_rows WHERE customer_id LIKE 'bulk%'
     EXCEPT ALL SELECT k, t, r FROM dw.engine_rows WHERE customer_id LIKE 'one%')
    UNION ALL
    (SELECT k, t, r FROM dw.engine_rows WHERE customer_id LIKE 'one%'
     EXCEPT ALL SELECT k, t, r FROM dw.engine_rows WHERE customer_id LIKE 'bulk%')) d;
-- The actions' ids come from the identity, in the order the rows were stored.
SELECT count(DISTINCT action_id) = count(*) AS ids_unique, min(action_id) > 0 AS ids_positive
  FROM cjo.actions WHERE customer_id LIKE 'bulk%';
-- Indexes agree with the heap: every row found through them.
SET enable_seqscan = off;
SELECT count(*) AS by_index FROM cjo.history WHERE customer_id >= 'bulk' AND customer_id < 'bulm';
SELECT count(*) AS by_index FROM cjo.journey_state WHERE customer_id >= 'bulk' AND customer_id < 'bulm' AND due_at IS NOT NULL;
RESET enable_seqscan;

SELECT cjo_archive('dw_j');
DROP SCHEMA dw CASCADE;
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
