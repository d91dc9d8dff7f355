-- The engine's promises, as assertions: a multi-row statement gives the same
-- result as one row per statement; events nobody listens to cost nothing and
-- create nothing; cjo.enabled off stores events and moves nobody; the journey
-- cache follows publications, rollbacks of savepoints included; bad journey
-- documents are refused with their error codes.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS cjo;
SELECT plan(45);
SET LOCAL timezone = 'UTC';

-- Bad documents are refused with the contract's error codes.
CREATE TEMP TABLE bad_before AS SELECT count(*) AS n FROM cjo.journeys WHERE name = 'bad';
SELECT throws_ok($$SELECT cjo_publish('not json'::text)$$, '22P02', NULL, 'not JSON: 22P02');
SELECT throws_ok($$SELECT cjo_publish('{"name": "bad", "entry": {"event": "e"}, "start": "a",
    "nodes": {"a": {"type": "wait", "duration": "1 hour", "next": "nowhere"}}}'::text)$$,
    '42P17', NULL, 'a dangling next: 42P17');
SELECT throws_ok($$SELECT cjo_publish('{"name": "bad", "entry": {"event": "e"}, "start": "a",
    "nodes": {"a": {"type": "wait", "duration": "2 months", "next": "b"}, "b": {"type": "exit"}}}'::text)$$,
    '22023', NULL, 'a duration in months: 22023');
SELECT throws_ok($$SELECT cjo_publish('{"name": "bad", "entry": {"event": "e", "when": "$.event.(("}, "start": "b",
    "nodes": {"b": {"type": "exit"}}}'::text)$$,
    '42601', NULL, 'a bad jsonpath: 42601');
SELECT throws_ok($$SELECT cjo_archive('no such journey')$$, '42704', NULL, 'archiving an unknown journey: 42704');
SELECT is((SELECT count(*) FROM cjo.journeys WHERE name = 'bad') - (SELECT n FROM bad_before), 0::bigint, 'nothing refused was stored');

SELECT is(cjo_publish('{"name": "tap", "entry": {"event": "signup"},
    "exit_on": [{"event": "stop"}],
    "start": "hello", "nodes": {
      "hello": {"type": "action", "channel": "email", "template": "hello", "next": "route"},
      "route": {"type": "branch", "cases": [{"when": "$.profile.vip == true", "next": "vip"}], "else": "wait"},
      "vip": {"type": "action", "channel": "sms", "template": "vip", "next": "wait"},
      "wait": {"type": "wait_event", "events": [{"event": "click", "next": "done"}], "timeout": "1 day", "timeout_next": "done"},
      "done": {"type": "exit"}}}'::text), 1, 'publish a journey: version 1');

INSERT INTO cjo.customers (customer_id, attributes)
SELECT prefix || i, jsonb_build_object('vip', i % 3 = 0)
  FROM generate_series(1, 60) i, unnest(ARRAY['batch-', 'single-']) prefix;

-- The same story twice: once in one statement for every customer (the
-- batch path), once one event per statement.
CREATE TEMP TABLE story AS
SELECT i, e.name, '2026-01-05 10:00+00'::timestamptz + e.k * interval '1 hour' AS at
  FROM generate_series(1, 60) i,
       (VALUES (0, 'signup'), (1, 'click'), (2, 'stop'), (3, 'signup')) AS e(k, name)
 WHERE (e.name <> 'click' OR i % 2 = 0) AND (e.name <> 'stop' OR i % 5 = 0);
INSERT INTO cjo.events (customer_id, name, occurred_at) SELECT 'batch-' || i, name, at FROM story ORDER BY at, i;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT * FROM story ORDER BY at, i LOOP
        INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('single-' || r.i, r.name, r.at);
    END LOOP;
END $$;

SELECT results_eq(
    $$SELECT status, count(*) FROM cjo.journey_state WHERE customer_id LIKE 'batch-%' GROUP BY 1 ORDER BY 1$$,
    $$VALUES ('a'::"char", 24::bigint), ('c', 30), ('x', 6)$$,
    'batch: 30 clicked (completed), 6 stopped while waiting (exited), 24 wait');
SELECT results_eq(
    $$SELECT substr(customer_id, 7), version, run, step, node, status, entered_at, node_at, due_at, ended_at
        FROM cjo.journey_state WHERE customer_id LIKE 'batch-%' ORDER BY 1$$,
    $$SELECT substr(customer_id, 8), version, run, step, node, status, entered_at, node_at, due_at, ended_at
        FROM cjo.journey_state WHERE customer_id LIKE 'single-%' ORDER BY 1$$,
    'one statement or one event per statement: the same states');
SELECT results_eq(
    $$SELECT substr(customer_id, 7), run, step, from_node, to_node, cause, choice, at FROM cjo.steps WHERE customer_id LIKE 'batch-%' ORDER BY 1, 2, 3$$,
    $$SELECT substr(customer_id, 8), run, step, from_node, to_node, cause, choice, at FROM cjo.steps WHERE customer_id LIKE 'single-%' ORDER BY 1, 2, 3$$,
    'the same history');
SELECT results_eq(
    $$SELECT substr(customer_id, 7), channel, template, payload FROM cjo.actions WHERE customer_id LIKE 'batch-%' ORDER BY 1, 2$$,
    $$SELECT substr(customer_id, 8), channel, template, payload FROM cjo.actions WHERE customer_id LIKE 'single-%' ORDER BY 1, 2$$,
    'the same actions');
SELECT is((SELECT count(*) FROM cjo.actions WHERE template = 'vip' AND customer_id LIKE 'batch-%'), 20::bigint,
          'the profile condition picked the 20 VIPs');
SELECT is((SELECT count(*) FROM cjo.history WHERE cause IN ('e', 'r') AND customer_id LIKE 'batch-%'), 60::bigint,
          'the second signup re-entered nobody (re-entry never)');

-- The time-outs fire the same way for both.
SELECT is(cjo_advance('2026-01-07 00:00+00'), 48::bigint, 'the sweep times out the 24 + 24 waiting customers');
SELECT results_eq(
    $$SELECT substr(customer_id, 7), step, node, status, due_at, ended_at FROM cjo.journey_state WHERE customer_id LIKE 'batch-%' ORDER BY 1$$,
    $$SELECT substr(customer_id, 8), step, node, status, due_at, ended_at FROM cjo.journey_state WHERE customer_id LIKE 'single-%' ORDER BY 1$$,
    'after the sweep, still the same states');

-- A statement whose events no journey listens to creates nothing.
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM cjo.journey_state) AS s, (SELECT count(*) FROM cjo.history) AS h,
       (SELECT count(*) FROM cjo.actions) AS a, (SELECT count(*) FROM cjo.events) AS e;
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT prefix || i, 'page_view', '2026-01-07 10:00+00' FROM generate_series(1, 60) i, unnest(ARRAY['batch-', 'nobody-']) prefix;
SELECT is((SELECT count(*) FROM cjo.events) - (SELECT e FROM before), 120::bigint, 'the unheard events are stored');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM cjo.journey_state), (SELECT count(*) FROM cjo.history), (SELECT count(*) FROM cjo.actions)$$,
    $$SELECT s, h, a FROM before$$,
    'events no journey listens to create no state, no history, no action');

-- cjo.enabled off (a superuser setting): events are stored, nobody moves.
SET LOCAL cjo.enabled = off;
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'off-' || i, 'signup', '2026-01-07 10:00+00' FROM generate_series(1, 10) i;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('off-1', 'click', '2026-01-07 10:05+00');
SELECT is((SELECT count(*) FROM cjo.events WHERE customer_id LIKE 'off-%'), 11::bigint, 'with cjo.enabled off the events are stored');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM cjo.journey_state), (SELECT count(*) FROM cjo.history), (SELECT count(*) FROM cjo.actions)$$,
    $$SELECT s, h, a FROM before$$,
    'with cjo.enabled off nobody enters or moves');
SET LOCAL cjo.enabled = on;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('off-2', 'signup', '2026-01-07 11:00+00');
SELECT is((SELECT count(*) FROM cjo.journey_state WHERE customer_id LIKE 'off-%'), 1::bigint, 'back on, the next event moves its customer');
CREATE ROLE cjo_tap_user;
SET LOCAL ROLE cjo_tap_user;
SELECT throws_ok($$SET cjo.enabled = off$$, '42501', NULL, 'only a superuser can turn cjo.enabled off');
RESET ROLE;

-- A statement for many customers locks buckets of customers, not every one
-- of them: 20000 customers in one statement and 3000 more one by one in the
-- same transaction stay far below the shared lock table's size.
SELECT lives_ok($$INSERT INTO cjo.events (customer_id, name, occurred_at)
                  SELECT 'many-' || i, 'signup', '2026-01-08 10:00+00' FROM generate_series(1, 20000) i$$,
                'one statement for 20000 customers');
DO $$
BEGIN
    FOR i IN 1..3000 LOOP
        INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('more-' || i, 'signup', '2026-01-08 10:00+00');
    END LOOP;
END $$;
SELECT is((SELECT count(*) FROM cjo.journey_state WHERE customer_id LIKE 'many-%' OR customer_id LIKE 'more-%'),
          23000::bigint, 'all of them entered');
SELECT cmp_ok((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), '<=', 2024::bigint,
              'at most 1000 customer locks and 1024 buckets are held');

-- The cache follows a publication in the same session at once, after it has
-- been used for events.
SELECT is(cjo_publish('{"name": "tap", "entry": {"event": "signup"}, "start": "v2",
    "nodes": {"v2": {"type": "action", "channel": "email", "template": "v2", "next": "wait2"},
              "wait2": {"type": "wait_event", "events": [{"event": "click", "next": "x"}]},
              "x": {"type": "exit"}}}'::text), 2, 'version 2 published');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('fresh-1', 'signup', '2026-01-08 11:00+00');
SELECT results_eq($$SELECT version, node, status FROM cjo.customer_journeys WHERE customer_id = 'fresh-1'$$,
                  $$VALUES (2, 'wait2', 'active')$$, 'a new entry uses version 2 at once');
SELECT is((SELECT template FROM cjo.actions WHERE customer_id = 'fresh-1'), 'v2', 'and sends its action');
-- A customer inside version 1 finishes there.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('many-1', 'click', '2026-01-08 11:00+00');
SELECT results_eq($$SELECT version, node, status FROM cjo.customer_journeys WHERE customer_id = 'many-1'$$,
                  $$VALUES (1, 'done', 'completed')$$, 'a version 1 run moves on in version 1');
SELECT is((SELECT version FROM cjo.history WHERE customer_id = 'many-1' AND cause = 'm'), 1, 'its history says version 1');
-- The batch path sees version 2 too.
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'fresh-batch-' || i, 'signup', '2026-01-08 11:00+00' FROM generate_series(1, 5) i;
SELECT results_eq($$SELECT version, count(*) FROM cjo.journey_state WHERE customer_id LIKE 'fresh-batch-%' GROUP BY 1$$,
                  $$VALUES (2, 5::bigint)$$, 'a multi-row statement enters version 2 as well');

-- A publication rolled back with its savepoint is forgotten.
SAVEPOINT before_v3;
SELECT is(cjo_publish('{"name": "tap", "entry": {"event": "signup"}, "start": "v3",
    "nodes": {"v3": {"type": "action", "channel": "email", "template": "v3", "next": "x"}, "x": {"type": "exit"}}}'::text),
    3, 'version 3 published inside a savepoint');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('fresh-2', 'signup', '2026-01-08 12:00+00');
SELECT is((SELECT version FROM cjo.journey_state WHERE customer_id = 'fresh-2'), 3, 'version 3 is used inside the savepoint');
ROLLBACK TO SAVEPOINT before_v3;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('fresh-3', 'signup', '2026-01-08 12:00+00');
SELECT is((SELECT version FROM cjo.journey_state WHERE customer_id = 'fresh-3'), 2, 'after ROLLBACK TO SAVEPOINT, version 2 again');
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'fresh-batch-3-' || i, 'signup', '2026-01-08 12:00+00' FROM generate_series(1, 5) i;
SELECT results_eq($$SELECT version, count(*) FROM cjo.journey_state WHERE customer_id LIKE 'fresh-batch-3-%' GROUP BY 1$$,
                  $$VALUES (2, 5::bigint)$$, 'and for a multi-row statement');
SELECT is((SELECT count(*) FROM cjo.actions WHERE template = 'v3'), 0::bigint, 'the rolled-back actions are gone');
SELECT is_empty($$SELECT 1 FROM cjo.journey_state WHERE customer_id = 'fresh-2'$$, 'and so is the rolled-back state');
SELECT is(cjo_publish('{"name": "tap", "entry": {"event": "signup"}, "start": "v3b",
    "nodes": {"v3b": {"type": "action", "channel": "email", "template": "v3b", "next": "x"}, "x": {"type": "exit"}}}'::text),
    3, 'the next publication is version 3 again');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('fresh-4', 'signup', '2026-01-08 13:00+00');
SELECT is((SELECT template FROM cjo.actions WHERE customer_id = 'fresh-4'), 'v3b', 'and is used at once');

-- An error while a statement's events are written (here from a trigger of
-- the user's on the outbox) rolls back with its savepoint and leaves nothing
-- half-written behind: the next statement works on clean buffers.
CREATE FUNCTION pg_temp.refuse_boom() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN IF NEW.customer_id = 'boom' THEN RAISE EXCEPTION 'no actions for boom' USING ERRCODE = 'P0001'; END IF; RETURN NEW; END $$;
CREATE TRIGGER refuse_boom BEFORE INSERT ON cjo.actions FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_boom();
SAVEPOINT before_error;
SELECT throws_ok($$INSERT INTO cjo.events (customer_id, name, occurred_at)
                   VALUES ('a-ok', 'signup', '2026-01-08 14:00+00'), ('boom', 'signup', '2026-01-08 14:00+00')$$,
                 'P0001', 'no actions for boom', 'a statement whose writes fail');
ROLLBACK TO SAVEPOINT before_error;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('after-error', 'signup', '2026-01-08 14:00+00');
SELECT results_eq($$SELECT customer_id, version FROM cjo.journey_state WHERE customer_id IN ('a-ok', 'boom', 'after-error')$$,
                  $$VALUES ('after-error', 3)$$, 'after the failed statement, the next one is applied alone');
SELECT results_eq($$SELECT customer_id, count(*) FROM cjo.history WHERE customer_id IN ('a-ok', 'boom', 'after-error') GROUP BY 1$$,
                  $$VALUES ('after-error', 1::bigint)$$, 'with its history only');
SELECT results_eq($$SELECT customer_id, template FROM cjo.actions WHERE customer_id IN ('a-ok', 'boom', 'after-error')$$,
                  $$VALUES ('after-error', 'v3b')$$, 'and its action only');

-- A trigger of the user's on a cjo table that catches an error of its own
-- (a PL/pgSQL EXCEPTION block: a subtransaction that aborts inside the
-- batch) must not make the engine lose the batch's history and actions.
DROP TRIGGER refuse_boom ON cjo.actions;
CREATE FUNCTION pg_temp.audit() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN BEGIN PERFORM 1 / 0; EXCEPTION WHEN division_by_zero THEN NULL; END; RETURN NULL; END $$;
CREATE TRIGGER audit AFTER INSERT OR UPDATE ON cjo.journey_state FOR EACH ROW EXECUTE FUNCTION pg_temp.audit();
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('audited', 'signup', '2026-01-08 15:00+00');
SELECT is((SELECT count(*) FROM cjo.journey_state WHERE customer_id = 'audited'), 1::bigint, 'with a catching trigger: the state is written');
SELECT is((SELECT count(*) FROM cjo.history WHERE customer_id = 'audited'), 1::bigint, 'with a catching trigger: the history is written');
SELECT is((SELECT count(*) FROM cjo.actions WHERE customer_id = 'audited'), 1::bigint, 'with a catching trigger: the action is written');
DROP TRIGGER audit ON cjo.journey_state;

SELECT * FROM finish();
ROLLBACK;
