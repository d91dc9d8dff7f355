-- cjo.enabled = off stops the whole engine: inserted events are stored
-- without moving anyone, and a sweep fires no timers (a NOTICE says so).
-- A DBA restoring or repairing a database expects nothing to move; the timers
-- stay due and the first sweep after the switch is back on fires them.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
SELECT cjo_publish('{"name": "switch", "entry": {"event": "signup"}, "start": "pause",
  "nodes": {"pause": {"type": "wait", "duration": "1 day", "next": "hello"},
            "hello": {"type": "action", "channel": "email", "template": "hello", "next": "done"},
            "done": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('on', 'signup', '2026-01-01 10:00');

SET cjo.enabled = off;
-- Stored, moves nobody.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('off', 'signup', '2026-01-01 11:00');
-- The timer of "on" is due, but the sweep does nothing.
SELECT cjo_advance('2026-01-03');
SELECT customer_id, node, status, due_at FROM cjo.customer_journeys ORDER BY 1;
SELECT count(*) AS actions FROM cjo.actions;

RESET cjo.enabled;
-- Back on: the first sweep fires the timer that stayed due; "off" was never entered.
SELECT cjo_advance('2026-01-03');
SELECT customer_id, node, status, due_at FROM cjo.customer_journeys ORDER BY 1;
SELECT customer_id, template FROM cjo.actions ORDER BY action_id;
SELECT customer_id, name FROM cjo.events ORDER BY event_id;

SELECT cjo_archive('switch');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
