-- The worked scenarios of the product brief, as journeys with the events
-- that exercise them. The journey documents are the ones the demo uses.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;

-- 1. Service ticket: a customer bought a computer; two days later they get an
-- accessory offer, unless a service ticket is open: then marketing waits
-- until the ticket is resolved, and apologises first.
\set doc `cat demo/journeys/service_ticket.json`
SELECT cjo_publish(:'doc');
INSERT INTO cjo.customers (customer_id, attributes) VALUES
    ('happy', '{"open_tickets": 0}'), ('unhappy', '{"open_tickets": 1}'), ('never_fixed', '{"open_tickets": 1}');
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('happy', 'purchase', 'store', '{"category": "computer", "model": "Laptop 14"}', '2026-01-05 10:00+00'),
    ('unhappy', 'purchase', 'store', '{"category": "computer", "model": "Laptop 15"}', '2026-01-05 10:00+00'),
    ('never_fixed', 'purchase', 'web', '{"category": "computer", "model": "Laptop 13"}', '2026-01-05 10:00+00'),
    ('happy', 'purchase', 'web', '{"category": "book"}', '2026-01-05 11:00+00');  -- not a computer: no second entry
SELECT cjo_advance('2026-01-07 10:00+00');
-- 'happy' got the offer; the others are held.
SELECT customer_id, node, status FROM cjo.customer_journeys ORDER BY 1;
SELECT customer_id, template, payload FROM cjo.actions ORDER BY 1;
-- The ticket is resolved: an apology, then the offer.
UPDATE cjo.customers SET attributes = '{"open_tickets": 0}' WHERE customer_id = 'unhappy';
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('unhappy', 'ticket_resolved', 'call_center', '{"ticket_id": "T-9"}', '2026-01-08 15:00+00');
SELECT customer_id, template, payload FROM cjo.actions WHERE customer_id = 'unhappy' ORDER BY action_id;
-- 'happy' buys an accessory within 30 days: the journey's goal.
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('happy', 'purchase', 'web', '{"category": "accessory", "amount": 49}', '2026-01-10 10:00+00');
-- Two weeks on, the ticket that never got fixed times out: no message at all.
SELECT cjo_advance('2026-01-22 00:00+00');
SELECT customer_id, node, status, converted_at, goal_value FROM cjo.customer_journeys ORDER BY 1;
SELECT node, entered, waiting, moved_on, dropped, converted FROM cjo.node_stats
 WHERE journey = 'service_ticket_follow_up' ORDER BY node_index;
SELECT cjo_archive('service_ticket_follow_up');

-- 3. Browse abandonment: a customer viewed a product and left; an hour later
-- they get a reminder, unless they bought (goal, with exit). Half of those
-- who did not buy are a control group.
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
\set doc `cat demo/journeys/browse_abandonment.json`
SELECT cjo_publish(:'doc');
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
SELECT 'v' || i, 'product_viewed', 'web', jsonb_build_object('sku', 'SKU-' || i), '2026-01-05 10:00+00'
  FROM generate_series(1, 20) i;
-- Four of them buy within the hour.
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
SELECT 'v' || i, 'purchase', 'web', '{"amount": 30}', '2026-01-05 10:20+00' FROM generate_series(1, 4) i;
SELECT cjo_advance('2026-01-05 11:00+00');
SELECT status, count(*) FROM cjo.customer_journeys GROUP BY 1 ORDER BY 1;
-- Everyone who did not buy went through the experiment; only the reminder
-- variant got an email, with the viewed product's SKU.
SELECT t.choice AS variant, count(*) AS customers, count(a.action_id) AS emails
  FROM cjo.transitions t
  LEFT JOIN cjo.actions a ON a.customer_id = t.customer_id
 WHERE t.from_node = 'experiment' GROUP BY 1 ORDER BY 1;
SELECT bool_and(payload->>'sku' = 'SKU-' || substr(customer_id, 2)) AS sku_from_the_viewed_product FROM cjo.actions;
-- A customer who views again the next day comes back in (after_exit, 1 day cooldown).
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('v1', 'product_viewed', 'web', '{"sku": "SKU-99"}', '2026-01-05 12:00+00'),   -- within the cooldown
    ('v2', 'product_viewed', 'web', '{"sku": "SKU-98"}', '2026-01-06 10:30+00');   -- after it
SELECT customer_id, run, node, status FROM cjo.customer_journeys WHERE customer_id IN ('v1', 'v2') ORDER BY 1;
SELECT node, entered, waiting, moved_on, dropped, converted FROM cjo.node_stats
 WHERE journey = 'browse_abandonment' ORDER BY node_index;
SELECT cjo_archive('browse_abandonment');
