-- cjo.node_stats on a small journey whose numbers are worked out by hand,
-- plus the views that explain individual customers.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
SELECT cjo_publish('{"name": "funnel", "entry": {"event": "visit"},
    "exit_on": [{"event": "stop"}],
    "goal": {"event": "buy", "within": "30 days"},
    "start": "hello",
    "nodes": {
      "hello": {"type": "action", "channel": "email", "template": "hello", "next": "wait"},
      "wait": {"type": "wait_event", "events": [{"event": "click", "next": "offer"}],
               "timeout": "1 day", "timeout_next": "bye"},
      "offer": {"type": "action", "channel": "email", "template": "offer", "next": "done"},
      "done": {"type": "exit"},
      "bye": {"type": "exit"}}}');

-- Five customers:
--   A clicks (hello > wait > offer > done), then buys at done;
--   B never clicks and times out (> bye);
--   C stops while waiting (exit event at wait);
--   D arrives late and is still waiting;
--   E buys while waiting and still waits.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('B', 'visit', '2026-01-04 10:00+00'),
    ('A', 'visit', '2026-01-05 10:00+00'),
    ('C', 'visit', '2026-01-05 10:00+00'),
    ('E', 'visit', '2026-01-05 10:00+00'),
    ('A', 'click', '2026-01-05 11:00+00'),
    ('C', 'stop',  '2026-01-05 11:00+00'),
    ('E', 'buy',   '2026-01-05 11:00+00'),
    ('A', 'buy',   '2026-01-05 12:00+00'),
    ('D', 'visit', '2026-01-06 09:00+00');
SELECT cjo_advance('2026-01-06 09:30+00');

-- Worked out by hand:
--   node   entered waiting moved_on dropped converted
--   hello     5       0       5        0       0      everyone passes through
--   wait      5       2       2        1       1      D, E wait; A, B moved on; C left by "stop"; E bought here
--   offer     1       0       1        0       0      A
--   bye       1       0       0        1       0      B timed out
--   done      1       0       0        0       1      A ended here, but converted: not a drop-off
-- (Rows come in graph order: breadth first from the start node.)
SELECT node, node_type, entered, waiting, moved_on, dropped, converted
  FROM cjo.node_stats WHERE journey = 'funnel' ORDER BY node_index;

SELECT customer_id, node, status, converted_at FROM cjo.customer_journeys WHERE journey = 'funnel' ORDER BY 1;
SELECT step, at, cause, from_node, to_node, event, status FROM cjo_explain('A');
SELECT customer_id, step, cause, from_node, to_node, choice, event FROM cjo.transitions
 WHERE customer_id IN ('B', 'C') ORDER BY customer_id, step;
SELECT journey, version, node_index, node, node_type, next_nodes FROM cjo.journey_nodes WHERE journey = 'funnel';
SELECT journey, node, choice, label, next_node FROM cjo.journey_choices WHERE journey = 'funnel';
SELECT cjo_archive('funnel');
