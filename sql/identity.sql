-- Identity: an anonymous visitor identifies and becomes the known customer.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
-- Browsing: a view starts a wait for a purchase (1 day), else a reminder.
SELECT cjo_publish('{"name": "id_browse", "entry": {"event": "view"}, "reentry": {"policy": "after_exit"},
    "goal": {"event": "purchase", "exit": true}, "start": "wait",
    "nodes": {"wait": {"type": "wait_event", "events": [{"event": "purchase", "next": "done"}],
                       "timeout": "1 day", "timeout_next": "remind"},
              "remind": {"type": "action", "channel": "email", "template": "reminder", "next": "done"},
              "done": {"type": "exit"}}}');
-- Welcome: a signup starts a welcome series.
SELECT cjo_publish('{"name": "id_welcome", "entry": {"event": "signup"}, "start": "hello",
    "nodes": {"hello": {"type": "action", "channel": "email", "template": "hello", "next": "later"},
              "later": {"type": "wait", "duration": "2 days", "next": "done"},
              "done": {"type": "exit"}}}');

-- anon-1 browses mid-journey (waiting in id_browse); anon-2 as well, and
-- cust-2 (known) is also waiting in id_browse: both in the same journey.
INSERT INTO cjo.customers (customer_id, attributes) VALUES
    ('anon-1', '{"utm_source": "ad", "name": "visitor"}'), ('cust-1', '{"name": "Ada"}');
INSERT INTO cjo.events (customer_id, name, idempotency_key, occurred_at) VALUES
    ('anon-1', 'view', 'k1', '2026-05-01 10:00'),
    ('anon-2', 'view', NULL, '2026-05-01 10:00'),
    ('cust-2', 'view', NULL, '2026-05-01 09:00'),
    ('cust-1', 'signup', 'k1', '2026-05-01 10:30');
SELECT customer_id, journey, run, node, status FROM cjo.customer_journeys ORDER BY 1, 2;

-- cust-1 identifies as anon-1 (a function call): anon-1's events, profile,
-- state in id_browse (still waiting), history and actions become cust-1's.
SELECT * FROM cjo_identify('anon-1', 'cust-1');
SELECT customer_id, name, idempotency_key FROM cjo.events WHERE customer_id IN ('anon-1', 'cust-1') ORDER BY event_id;
SELECT customer_id, attributes FROM cjo.customers ORDER BY 1;
SELECT customer_id, journey, run, node, status FROM cjo.customer_journeys ORDER BY 1, 2;
-- Nothing of anon-1 is left anywhere.
SELECT (SELECT count(*) FROM cjo.events WHERE customer_id = 'anon-1') AS events,
       (SELECT count(*) FROM cjo.journey_state WHERE customer_id = 'anon-1') AS states,
       (SELECT count(*) FROM cjo.history WHERE customer_id = 'anon-1') AS moves,
       (SELECT count(*) FROM cjo.actions WHERE customer_id = 'anon-1') AS actions,
       (SELECT count(*) FROM cjo.customers WHERE customer_id = 'anon-1') AS profiles;
-- The merged customer goes on mid-journey: the purchase converts the browse
-- run that started as anon-1, once.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('cust-1', 'purchase', '2026-05-01 12:00');
SELECT customer_id, journey, run, node, status, converted_at FROM cjo.customer_journeys WHERE customer_id = 'cust-1' ORDER BY 2;

-- An identify event does the same before it is processed: anon-2 and cust-2
-- are both waiting in id_browse, so cust-2's state stays; anon-2's run is
-- kept in the history as run 1 and ends there (cause i, merged); cust-2's own
-- run becomes run 2.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('cust-2', 'identify', '{"anonymous_id": "anon-2"}', '2026-05-01 11:00');
SELECT customer_id, journey, run, node, status FROM cjo.customer_journeys WHERE customer_id IN ('anon-2', 'cust-2') ORDER BY 1, 2;
SELECT customer_id, journey, run, step, cause, from_node, to_node FROM cjo.transitions
 WHERE customer_id = 'cust-2' ORDER BY journey, run, step;
SELECT customer_id, run, outcome FROM cjo.runs WHERE customer_id = 'cust-2' ORDER BY run;
-- One timer sweep: only cust-2's own run is due (1 day after 09:00); it is
-- reminded once, not twice.
SELECT cjo_advance('2026-05-02 09:30');
SELECT customer_id, template FROM cjo.actions WHERE customer_id = 'cust-2' ORDER BY action_id;
-- An identify event naming the customer itself, or without anonymous_id, is
-- an ordinary event.
INSERT INTO cjo.events (customer_id, name, properties) VALUES ('cust-2', 'identify', '{"anonymous_id": "cust-2"}'), ('cust-2', 'identify', '{}');
SELECT count(*) FROM cjo.events WHERE customer_id = 'cust-2' AND name = 'identify';
-- Merging someone unknown moves nothing.
SELECT * FROM cjo_identify('anon-unknown', 'cust-2');

\set VERBOSITY sqlstate
SELECT * FROM cjo_identify('cust-1', 'cust-1');
SELECT * FROM cjo_identify(NULL, 'cust-1');
\set VERBOSITY default

SELECT cjo_archive('id_browse'), cjo_archive('id_welcome');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
