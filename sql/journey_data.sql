-- Journey data: set nodes store values in the run, for later conditions and
-- payloads ($.journey).
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;

-- A cart journey: keep the cart id and total from the cart event; wait for
-- the checkout of that very cart (a checkout of another cart does not count);
-- remind with the stored values; on a coupon, store it too and offer more.
SELECT cjo_publish('{"name": "jd_cart", "entry": {"event": "cart_created"},
  "start": "remember",
  "nodes": {
    "remember": {"type": "set", "values": {"cart": "{{$.event.properties.cart_id}}",
                                            "total": "{{$.event.properties.total}}", "stage": "open"},
                 "next": "wait"},
    "wait": {"type": "wait_event",
             "events": [{"event": "checkout", "when": "$.event.properties.cart_id == $.journey.cart", "next": "done"},
                        {"event": "coupon_used", "next": "coupon"}],
             "timeout": "1 day", "timeout_next": "big"},
    "coupon": {"type": "set", "values": {"coupon": "{{$.event.properties.code}}", "stage": "coupon"}, "next": "wait"},
    "big": {"type": "branch", "cases": [{"when": "$.journey.total >= 100", "next": "remind_big"}], "else": "remind"},
    "remind_big": {"type": "action", "channel": "email", "template": "cart_big",
                   "payload": {"cart": "{{$.journey.cart}}", "total": "{{$.journey.total}}",
                               "coupon": "{{$.journey.coupon}}", "everything": "{{$.journey}}"}, "next": "done"},
    "remind": {"type": "action", "channel": "email", "template": "cart", "payload": {"cart": "{{$.journey.cart}}"}, "next": "done"},
    "done": {"type": "exit"}}}');
-- The canonical document keeps the values and their templates.
SELECT jsonb_pretty(graph::jsonb -> 'nodes' -> 'remember') FROM cjo.journey_versions v JOIN cjo.journeys j USING (journey_id) WHERE j.name = 'jd_cart';

INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('ann', 'cart_created', '{"cart_id": "C1", "total": 150}', '2026-06-01 10:00'),
    ('bob', 'cart_created', '{"cart_id": "C2", "total": 30}', '2026-06-01 10:00'),
    ('cat', 'cart_created', '{"cart_id": "C3", "total": 80}', '2026-06-01 10:00');
SELECT customer_id, node, data FROM cjo.customer_journeys WHERE journey = 'jd_cart' ORDER BY 1;
-- cat checks out cart C3: done. bob checks out another cart (C9): not this one.
-- ann uses a coupon: stored, stage updated, the cart kept.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('cat', 'checkout', '{"cart_id": "C3"}', '2026-06-01 11:00'),
    ('bob', 'checkout', '{"cart_id": "C9"}', '2026-06-01 11:00'),
    ('ann', 'coupon_used', '{"code": "SAVE10"}', '2026-06-01 11:00');
SELECT customer_id, node, status, data FROM cjo.customer_journeys WHERE journey = 'jd_cart' ORDER BY 1;
-- A day later: ann (total 150) gets the big reminder with everything stored;
-- bob (30) the plain one.
SELECT cjo_advance('2026-06-03');
SELECT customer_id, template, payload FROM cjo.actions ORDER BY customer_id;
-- Values survive between statements and sweeps (they are stored with the state).
SELECT customer_id, data ->> 'cart' AS cart, data ->> 'stage' AS stage FROM cjo.journey_state ORDER BY 1;

-- A new run starts without the old run's data.
SELECT cjo_publish('{"name": "jd_again", "entry": {"event": "ping"}, "reentry": {"policy": "always"}, "start": "s",
  "nodes": {"s": {"type": "branch", "cases": [{"when": "exists($.journey.seen)", "next": "x"}], "else": "mark"},
            "mark": {"type": "set", "values": {"seen": true, "first_at": "{{$.event.occurred_at}}"}, "next": "w"},
            "w": {"type": "wait", "duration": "1 hour", "next": "x"},
            "x": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('dan', 'ping', '2026-06-01 10:00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('dan', 'ping', '2026-06-01 10:10');
SELECT run, node, data FROM cjo.customer_journeys WHERE journey = 'jd_again';
SELECT step, cause, from_node, to_node FROM cjo.transitions WHERE journey = 'jd_again' AND run = 2 ORDER BY step;

-- Bad documents.
\set VERBOSITY terse
SELECT '{"name": "jd", "entry": {"event": "e"}, "start": "s", "nodes": {"s": {"type": "set", "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "jd", "entry": {"event": "e"}, "start": "s", "nodes": {"s": {"type": "set", "values": {}, "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "jd", "entry": {"event": "e"}, "start": "s", "nodes": {"s": {"type": "set", "values": [1], "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "jd", "entry": {"event": "e"}, "start": "s", "nodes": {"s": {"type": "set", "values": {"a": "{{ }}"}, "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "jd", "entry": {"event": "e"}, "start": "s", "nodes": {"s": {"type": "set", "values": {"a": "{{$.(}}"}, "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "jd", "entry": {"event": "e"}, "start": "s", "nodes": {"s": {"type": "set", "values": {"a": 1}, "next": "s"}}}'::cjo.journey;
\set VERBOSITY default

-- Diagrams draw set nodes.
SELECT line FROM regexp_split_to_table(cjo_diagram('jd_cart', counts => false), E'\n') AS line WHERE line LIKE '%set %';

SELECT cjo_archive('jd_cart'), cjo_archive('jd_again');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
