-- cjo_migrate: customers waiting in an older version move into the latest one.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
\set v1 '{"name": "mg", "entry": {"event": "signup"}, "start": "welcome", "nodes": {"welcome": {"type": "action", "channel": "email", "template": "welcome", "next": "pause"}, "pause": {"type": "wait", "duration": "2 days", "next": "nudge"}, "nudge": {"type": "action", "channel": "email", "template": "nudge_v1", "next": "await_click"}, "await_click": {"type": "wait_event", "events": [{"event": "click", "next": "done"}], "timeout": "3 days", "timeout_next": "done"}, "done": {"type": "exit"}}}'
\set v2 '{"name": "mg", "entry": {"event": "signup"}, "start": "welcome", "nodes": {"welcome": {"type": "action", "channel": "email", "template": "welcome", "next": "pause"}, "pause": {"type": "wait", "duration": "1 day", "next": "nudge"}, "nudge": {"type": "action", "channel": "push", "template": "nudge_v2", "next": "await_click"}, "await_click": {"type": "wait_event", "events": [{"event": "click", "next": "done"}], "timeout": "1 day", "timeout_next": "hold"}, "hold": {"type": "wait", "duration": "12 hours", "next": "done"}, "done": {"type": "exit"}}}'
SELECT cjo_publish(:'v1');
-- a and b wait at pause (2 days); c waits for a click after the nudge; d is done.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('c', 'signup', '2026-04-01 08:00'), ('d', 'signup', '2026-04-01 08:00'),
    ('a', 'signup', '2026-04-04 10:00'), ('b', 'signup', '2026-04-04 22:00');
SELECT cjo_advance('2026-04-03 09:00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('d', 'click', '2026-04-03 10:00');
SELECT customer_id, version, node, status, due_at FROM cjo.customer_journeys ORDER BY 1;

-- Version 2 shortens both waits. Publishing alone leaves everyone in version 1.
SELECT cjo_publish(:'v2');
SELECT customer_id, version, node FROM cjo.customer_journeys ORDER BY 1;

-- Bad mappings are refused before anything moves.
\set VERBOSITY sqlstate
SELECT * FROM cjo_migrate('mg', '{"pause": "nudge"}');
SELECT * FROM cjo_migrate('mg', '{"paws": "pause"}');
SELECT * FROM cjo_migrate('mg', '{"pause": "nowhere"}');
SELECT * FROM cjo_migrate('mg', '["pause"]');
SELECT * FROM cjo_migrate('mg', '{"pause": 1}');
SELECT * FROM cjo_migrate('mg', '{}', 2);
SELECT * FROM cjo_migrate('nope');
\set VERBOSITY default
SELECT customer_id, version, node FROM cjo.customer_journeys ORDER BY 1;

-- Customers at await_click stay in version 1 (null); those at pause move to
-- version 2's pause by name. Time already waited counts: a's wait began on
-- 4 April 10:00, so version 2's one day ends on 5 April 10:00, b's at 22:00.
SELECT * FROM cjo_migrate('mg', '{"await_click": null}');
SELECT customer_id, version, node, status, due_at FROM cjo.customer_journeys ORDER BY 1;
-- The move is in the history, as a migration into version 2.
SELECT customer_id, version, step, cause, from_node, to_node FROM cjo.transitions
 WHERE customer_id = 'a' ORDER BY version, step;

-- From there on, version 2 applies: the sweep sends version 2's nudge.
SELECT cjo_advance('2026-04-05 12:00');
SELECT customer_id, version, node, status FROM cjo.customer_journeys ORDER BY 1;
SELECT customer_id, channel, template FROM cjo.actions ORDER BY action_id;

-- Moving c explicitly into a node of another name: await_click -> hold (12 hours after
-- c reached await_click on 3 April 08:00: due 3 April 20:00, already past).
SELECT * FROM cjo_migrate('mg', '{"await_click": "hold"}');
SELECT customer_id, version, node, due_at FROM cjo.customer_journeys WHERE customer_id = 'c';
SELECT cjo_advance('2026-04-05 12:00');
SELECT customer_id, version, node, status FROM cjo.customer_journeys WHERE customer_id = 'c';
-- Nobody is left in version 1: a second call moves no one.
SELECT count(*) FROM cjo_migrate('mg');

-- Analytics: version 1 shows the migrated runs as neither waiting nor dropped;
-- version 2 counts them from the node they arrived at.
SELECT customer_id, version, run, outcome FROM cjo.runs ORDER BY customer_id, version;
SELECT version, node, entered, waiting, ended, dropped FROM cjo_journey_funnel('mg') WHERE entered > 0;

SELECT cjo_archive('mg');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
