-- The engine's promises, as assertions: a multi-row statement gives the same
-- result as one row per statement; events nobody listens to cost nothing and
-- create nothing; the journey cache follows publications, rollbacks included.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS cjo;
SELECT plan(17);
SET LOCAL timezone = 'UTC';

SELECT lives_ok($$SELECT cjo_publish('{"name": "tap", "entry": {"event": "signup"},
    "exit_on": [{"event": "stop"}],
    "start": "hello", "nodes": {
      "hello": {"type": "action", "channel": "email", "template": "hello", "next": "route"},
      "route": {"type": "branch", "cases": [{"when": "$.profile.vip == true", "next": "vip"}], "else": "wait"},
      "vip": {"type": "action", "channel": "sms", "template": "vip", "next": "wait"},
      "wait": {"type": "wait_event", "events": [{"event": "click", "next": "done"}], "timeout": "1 day", "timeout_next": "done"},
      "done": {"type": "exit"}}}')$$, 'publish a journey');

INSERT INTO cjo.customers (customer_id, attributes)
SELECT prefix || i, jsonb_build_object('vip', i % 3 = 0)
  FROM generate_series(1, 60) i, unnest(ARRAY['batch-', 'single-']) prefix;

-- The same story twice: once in one statement, once one event per statement.
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
SELECT is((SELECT count(*) FROM cjo.journey_state WHERE customer_id LIKE 'batch-%'), 60::bigint, 'every batch customer entered');
SELECT results_eq(
    $$SELECT substr(customer_id, 7), node, status, run FROM cjo.journey_state WHERE customer_id LIKE 'batch-%' ORDER BY 1$$,
    $$SELECT substr(customer_id, 8), node, status, run FROM cjo.journey_state WHERE customer_id LIKE 'single-%' ORDER BY 1$$,
    'one statement or one event per statement: the same states');
SELECT results_eq(
    $$SELECT substr(customer_id, 7), run, step, from_node, to_node, cause, at FROM cjo.steps WHERE customer_id LIKE 'batch-%' ORDER BY 1, 2, 3$$,
    $$SELECT substr(customer_id, 8), run, step, from_node, to_node, cause, at FROM cjo.steps WHERE customer_id LIKE 'single-%' ORDER BY 1, 2, 3$$,
    'the same history');
SELECT results_eq(
    $$SELECT substr(customer_id, 7), template FROM cjo.actions WHERE customer_id LIKE 'batch-%' ORDER BY 1, 2$$,
    $$SELECT substr(customer_id, 8), template FROM cjo.actions WHERE customer_id LIKE 'single-%' ORDER BY 1, 2$$,
    'the same actions');
SELECT is((SELECT count(*) FROM cjo.actions WHERE template = 'vip' AND customer_id LIKE 'batch-%'), 20::bigint,
          'the profile condition picked the 20 VIPs');

-- Events that no journey listens to create nothing.
CREATE TEMP TABLE before AS SELECT (SELECT count(*) FROM cjo.history) AS h, (SELECT count(*) FROM cjo.events) AS e;
INSERT INTO cjo.events (customer_id, name) SELECT 'batch-' || i, 'page_view' FROM generate_series(1, 60) i;
SELECT is((SELECT count(*) FROM cjo.events) - (SELECT e FROM before), 60::bigint, 'the events are stored');
SELECT is((SELECT count(*) FROM cjo.history), (SELECT h FROM before),
          'events no journey listens to move nobody');

-- A statement for many customers locks buckets of customers, not every one
-- of them: 20000 customers in one statement and 3000 more one by one in the
-- same transaction stay far below the shared lock table's size.
SELECT lives_ok($$INSERT INTO cjo.events (customer_id, name)
                  SELECT 'many-' || i, 'signup' FROM generate_series(1, 20000) i$$, 'one statement for 20000 customers');
DO $$
BEGIN
    FOR i IN 1..3000 LOOP
        INSERT INTO cjo.events (customer_id, name) VALUES ('more-' || i, 'signup');
    END LOOP;
END $$;
SELECT is((SELECT count(*) FROM cjo.journey_state WHERE customer_id LIKE 'many-%' OR customer_id LIKE 'more-%'),
          23000::bigint, 'all of them entered');
SELECT cmp_ok((SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()), '<=', 2024::bigint,
              'at most 1000 customer locks and 1024 buckets are held');

-- The cache follows publications in the same transaction...
SELECT is(cjo_publish('{"name": "tap", "entry": {"event": "signup"}, "start": "v2",
    "nodes": {"v2": {"type": "action", "channel": "email", "template": "v2", "next": "x"}, "x": {"type": "exit"}}}'), 2, 'version 2 published');
INSERT INTO cjo.events (customer_id, name) VALUES ('fresh-1', 'signup');
SELECT is((SELECT version FROM cjo.journey_state WHERE customer_id = 'fresh-1'), 2, 'a publication is used at once');

-- ... and forgets one that was rolled back.
SAVEPOINT before_v3;
SELECT is(cjo_publish('{"name": "tap", "entry": {"event": "signup"}, "start": "v3",
    "nodes": {"v3": {"type": "action", "channel": "email", "template": "v3", "next": "x"}, "x": {"type": "exit"}}}'), 3, 'version 3 published');
INSERT INTO cjo.events (customer_id, name) VALUES ('fresh-2', 'signup');
SELECT is((SELECT version FROM cjo.journey_state WHERE customer_id = 'fresh-2'), 3, 'version 3 inside the savepoint');
ROLLBACK TO SAVEPOINT before_v3;
INSERT INTO cjo.events (customer_id, name) VALUES ('fresh-3', 'signup');
SELECT is((SELECT version FROM cjo.journey_state WHERE customer_id = 'fresh-3'), 2, 'after the rollback, version 2 again');
SELECT is((SELECT count(*) FROM cjo.actions WHERE template = 'v3'), 0::bigint, 'the rolled-back actions are gone');

SELECT * FROM finish();
ROLLBACK;
