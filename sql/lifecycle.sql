-- Entering and leaving journeys: entry conditions, re-entry policies and
-- cooldown, exit events, goals, versions published mid-journey, archiving,
-- idempotent events, and cjo.enabled.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
CREATE FUNCTION pg_temp.state(journey text)
    RETURNS TABLE (customer_id text, run integer, node text, status text, converted_at timestamptz, goal_value numeric)
    LANGUAGE sql AS $$
    SELECT customer_id, run, node, status, converted_at, goal_value
      FROM cjo.customer_journeys WHERE journey = $1 ORDER BY customer_id $$;

-- Entry condition on the event; re-entry "never" (the default).
SELECT cjo_publish('{"name": "never", "entry": {"event": "view", "when": "$.event.properties.price > 100"},
    "start": "w", "nodes": {"w": {"type": "wait", "duration": "1 hour", "next": "x"}, "x": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('cheap', 'view', '{"price": 10}', '2026-01-05 10:00+00'),
    ('rich', 'view', '{"price": 500}', '2026-01-05 10:00+00'),
    ('rich', 'view', '{"price": 500}', '2026-01-05 11:00+00');
SELECT cjo_advance('2026-01-05 12:00+00');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('rich', 'view', '{"price": 500}', '2026-01-05 13:00+00');
SELECT * FROM pg_temp.state('never');
SELECT cjo_archive('never');

-- after_exit: a new run only once the previous one ended; with a cooldown
-- of one day counted from the previous entry.
SELECT cjo_publish('{"name": "after_exit", "entry": {"event": "view"},
    "reentry": {"policy": "after_exit", "cooldown": "1 day"},
    "start": "w", "nodes": {"w": {"type": "wait", "duration": "1 hour", "next": "x"}, "x": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('a', 'view', '2026-01-05 10:00+00'),
    ('a', 'view', '2026-01-05 10:30+00'),   -- still inside: ignored
    ('a', 'view', '2026-01-05 12:00+00'),   -- ended at 11:00, but cooldown until 10:00 tomorrow
    ('a', 'view', '2026-01-06 10:00+00');   -- run 2
SELECT * FROM pg_temp.state('after_exit');
SELECT run, step, cause, from_node, to_node, at FROM cjo.transitions WHERE journey = 'after_exit' ORDER BY run, step;
SELECT cjo_archive('after_exit');

-- always: an entry event restarts an active run (history says reentry).
SELECT cjo_publish('{"name": "always", "entry": {"event": "view"}, "reentry": {"policy": "always"},
    "start": "w", "nodes": {"w": {"type": "wait", "duration": "1 hour", "next": "x"}, "x": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('b', 'view', '2026-01-05 10:00+00'), ('b', 'view', '2026-01-05 10:30+00');
SELECT run, step, cause, from_node, to_node, at FROM cjo.transitions WHERE journey = 'always' ORDER BY run, step;
SELECT * FROM pg_temp.state('always');
SELECT cjo_archive('always');

-- Exit events (with a condition) and goals (window, value, exit).
SELECT cjo_publish('{"name": "goals", "entry": {"event": "signup"},
    "exit_on": [{"event": "unsubscribe", "when": "$.event.properties.all == true"}],
    "goal": {"event": "purchase", "within": "7 days", "value": "$.event.properties.amount"},
    "start": "w", "nodes": {"w": {"type": "wait", "duration": "2 days", "next": "x"}, "x": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('leaves', 'signup', '{}', '2026-01-05 10:00+00'),
    ('stays', 'signup', '{}', '2026-01-05 10:00+00'),
    ('buys', 'signup', '{}', '2026-01-05 10:00+00'),
    ('buys_late', 'signup', '{}', '2026-01-05 10:00+00'),
    ('buys_after', 'signup', '{}', '2026-01-05 10:00+00'),
    ('early', 'purchase', '{"amount": 1}', '2026-01-05 09:00+00'),
    ('early', 'signup', '{}', '2026-01-05 10:00+00');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('leaves', 'unsubscribe', '{"all": true}', '2026-01-05 11:00+00'),
    ('stays', 'unsubscribe', '{"all": false}', '2026-01-05 11:00+00'),
    ('buys', 'purchase', '{"amount": 42.5}', '2026-01-06 10:00+00'),
    ('buys', 'purchase', '{"amount": 99}', '2026-01-06 11:00+00'),        -- converts once
    ('buys_late', 'purchase', '{"amount": 10}', '2026-01-13 10:00+00'),   -- after the 7-day window
    ('buys_after', 'purchase', '{"amount": "n/a"}', '2026-01-09 10:00+00'); -- after the run completed; no numeric value
SELECT * FROM pg_temp.state('goals');
SELECT customer_id, cause, from_node, to_node FROM cjo.transitions
 WHERE journey = 'goals' AND cause IN ('exit', 'goal') ORDER BY customer_id;
SELECT cjo_archive('goals');

-- A goal with exit: the run ends where it is, status converted.
SELECT cjo_publish('{"name": "goal_exit", "entry": {"event": "signup"},
    "goal": {"event": "purchase", "exit": true},
    "start": "w", "nodes": {"w": {"type": "wait", "duration": "2 days", "next": "x"}, "x": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('g', 'signup', '2026-01-05 10:00+00'), ('g', 'purchase', '2026-01-05 12:00+00');
SELECT * FROM pg_temp.state('goal_exit');
SELECT cjo_advance('2026-01-10 00:00+00');  -- its timer is gone
SELECT cjo_archive('goal_exit');

-- Versions: customers inside version 1 finish it there; new entries take
-- version 2; the graph of each version decides.
SELECT cjo_publish('{"name": "versions", "entry": {"event": "signup"}, "start": "w",
    "nodes": {"w": {"type": "wait", "duration": "1 day", "next": "v1_mail"},
              "v1_mail": {"type": "action", "channel": "email", "template": "v1", "next": "x"}, "x": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('old', 'signup', '2026-01-05 10:00+00');
SELECT cjo_publish('{"name": "versions", "entry": {"event": "signup"}, "start": "w",
    "nodes": {"w": {"type": "wait", "duration": "2 days", "next": "v2_mail"},
              "v2_mail": {"type": "action", "channel": "sms", "template": "v2", "next": "x"}, "x": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('new', 'signup', '2026-01-05 10:00+00');
SELECT customer_id, version, node, due_at FROM cjo.customer_journeys WHERE journey = 'versions' ORDER BY 1;
SELECT cjo_advance('2026-01-08 00:00+00');
SELECT customer_id, version, template FROM cjo.actions a JOIN cjo.journeys j USING (journey_id)
 WHERE j.name = 'versions' ORDER BY 1;
SELECT version, node, entered, converted FROM cjo.node_stats WHERE journey = 'versions' ORDER BY version, node_index;

-- Archived: no entries, and customers inside stop moving until it is published again.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('paused', 'signup', '2026-01-09 10:00+00');
SELECT cjo_archive('versions');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('too_late', 'signup', '2026-01-09 11:00+00');
SELECT cjo_advance('2026-01-20 00:00+00');
SELECT customer_id, node, status FROM cjo.customer_journeys WHERE journey = 'versions' ORDER BY 1;
SELECT cjo_archive('no_such_journey');

-- Idempotency keys: a re-sent event is skipped, in later statements and
-- within one statement; the same key for another customer is another event;
-- events without a key are never deduplicated.
SELECT cjo_publish('{"name": "idem", "entry": {"event": "order"}, "reentry": {"policy": "always"}, "start": "m",
    "nodes": {"m": {"type": "action", "channel": "email", "template": "receipt", "next": "x"}, "x": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, idempotency_key, occurred_at) VALUES
    ('i1', 'order', 'order-1', '2026-01-05 10:00+00'),
    ('i1', 'order', 'order-1', '2026-01-05 10:00+00'),
    ('i2', 'order', 'order-1', '2026-01-05 10:00+00'),
    ('i3', 'order', NULL, '2026-01-05 10:00+00'),
    ('i3', 'order', NULL, '2026-01-05 10:01+00');
INSERT INTO cjo.events (customer_id, name, idempotency_key, occurred_at) VALUES
    ('i1', 'order', 'order-1', '2026-01-05 10:05+00');
SELECT customer_id, count(*) AS events FROM cjo.events WHERE name = 'order' GROUP BY 1 ORDER BY 1;
SELECT customer_id, count(*) AS receipts FROM cjo.actions WHERE template = 'receipt' GROUP BY 1 ORDER BY 1;

-- cjo.enabled = off (superusers only): events are stored, nobody moves.
SET cjo.enabled = off;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('quiet', 'order', '2026-01-05 10:00+00');
RESET cjo.enabled;
SELECT count(*) AS stored, (SELECT count(*) FROM cjo.journey_state WHERE customer_id = 'quiet') AS states
  FROM cjo.events WHERE customer_id = 'quiet';
SELECT cjo_archive('idem');
