-- cjo_simulate: a journey run over past events by the real engine, rolled
-- back; it must match a real run on the same events, and leave nothing behind.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
\set doc '{"name": "sim_cart", "entry": {"event": "cart_added"}, "exit_on": [{"event": "unsubscribed"}], "goal": {"event": "purchase", "within": "7 days", "exit": true}, "start": "wait", "nodes": {"wait": {"type": "wait_event", "events": [{"event": "purchase", "next": "done"}], "timeout": "2 hours", "timeout_next": "ab"}, "ab": {"type": "split", "variants": [{"name": "mail", "weight": 50, "next": "remind"}, {"name": "none", "weight": 50, "next": "later", "control": true}]}, "remind": {"type": "action", "channel": "email", "template": "cart_reminder", "next": "later"}, "later": {"type": "wait", "duration": "1 day", "next": "push"}, "push": {"type": "action", "channel": "push", "template": "last_call", "next": "done"}, "done": {"type": "exit"}}}'
SELECT cjo_publish(:'doc');

-- 60 customers add to cart on 1 March 2025; a third buy within the hour, one
-- in ten of the others buys the next day, customer 7 unsubscribes.
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'c' || i, 'cart_added', timestamptz '2025-03-01 08:00' + i * interval '1 minute'
  FROM generate_series(1, 60) i;
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'c' || i, 'purchase', timestamptz '2025-03-01 08:30' + i * interval '1 minute'
  FROM generate_series(1, 60) i WHERE i % 3 = 0;
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'c' || i, 'purchase', timestamptz '2025-03-02 09:00' + i * interval '1 minute'
  FROM generate_series(1, 60) i WHERE i % 3 <> 0 AND i % 10 = 1;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('c7', 'unsubscribed', '2025-03-01 09:00');
-- The real run, as of 2 March noon.
SELECT cjo_advance('2025-03-02 12:00');

-- What a real run left behind, to compare with after the simulations.
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM cjo.events) AS events, (SELECT count(*) FROM cjo.journeys) AS journeys,
       (SELECT count(*) FROM cjo.journey_versions) AS versions, (SELECT count(*) FROM cjo.journey_state) AS states,
       (SELECT count(*) FROM cjo.history) AS moves, (SELECT count(*) FROM cjo.actions) AS actions,
       (SELECT string_agg(name || ':' || status, ',' ORDER BY name) FROM cjo.journeys) AS statuses;

-- The simulation of the same definition over the same events.
SELECT cjo_simulate(:'doc', until => '2025-03-02 12:00') AS report \gset
SELECT jsonb_pretty(:'report'::jsonb - 'nodes' - 'actions');
SELECT * FROM jsonb_to_recordset(:'report'::jsonb -> 'nodes')
    AS n(node text, node_type text, entered bigint, waiting bigint, moved_on bigint, ended bigint, converted bigint, dropped bigint);
SELECT * FROM jsonb_to_recordset(:'report'::jsonb -> 'actions')
    AS a(node text, channel text, template text, actions bigint, customers bigint);

-- It matches the real run: the funnel node by node, the outcomes, the actions.
SELECT n.node, f.entered = n.entered AND f.waiting = n.waiting AND f.moved_on = n.moved_on
       AND f.ended = n.ended AND f.converted = n.converted AND f.dropped = n.dropped AS same
  FROM cjo_journey_funnel('sim_cart', 1) f
  JOIN jsonb_to_recordset(:'report'::jsonb -> 'nodes')
       AS n(node text, entered bigint, waiting bigint, moved_on bigint, ended bigint, converted bigint, dropped bigint)
    USING (node)
 ORDER BY f.node_index;
SELECT (SELECT jsonb_object_agg(outcome, n) FROM (SELECT outcome, count(*) AS n FROM cjo.runs GROUP BY 1) o)
       = :'report'::jsonb -> 'outcomes' AS same_outcomes;
SELECT (SELECT jsonb_agg(jsonb_build_array(channel, template, n) ORDER BY channel, template)
          FROM (SELECT channel, template, count(*) AS n FROM cjo.actions GROUP BY 1, 2) a)
       = (SELECT jsonb_agg(jsonb_build_array(x ->> 'channel', x ->> 'template', (x ->> 'actions')::int)
                           ORDER BY x ->> 'channel', x ->> 'template')
            FROM jsonb_array_elements(:'report'::jsonb -> 'actions') x) AS same_actions;

-- Nothing of the simulation stayed: no version, no state, no action, no event.
SELECT b = a AS nothing_changed
  FROM before b,
       (SELECT (SELECT count(*) FROM cjo.events) AS events, (SELECT count(*) FROM cjo.journeys) AS journeys,
               (SELECT count(*) FROM cjo.journey_versions) AS versions, (SELECT count(*) FROM cjo.journey_state) AS states,
               (SELECT count(*) FROM cjo.history) AS moves, (SELECT count(*) FROM cjo.actions) AS actions,
               (SELECT string_agg(name || ':' || status, ',' ORDER BY name) FROM cjo.journeys) AS statuses) a;

-- What if: a journey that does not exist yet, reminding after 30 minutes
-- instead of 2 hours, with every customer getting the e-mail (weight 0 for
-- "none"); other live journeys (sim_cart) take no part. The early buyers buy
-- exactly 30 minutes after their cart, and a timer due at the instant of an
-- event fires first: all 60 time out and get the reminder; the 20 buyers
-- convert at "later", c7 exits there, the other 39 get the push.
SELECT cjo_simulate(replace(replace(replace(:'doc', '"2 hours"', '"30 minutes"'), '"weight": 50, "next": "later"', '"weight": 0, "next": "later"'),
                            'sim_cart', 'sim_cart_fast'), until => '2025-03-02 12:00') AS fast \gset
SELECT :'fast'::jsonb -> 'runs' AS runs, :'fast'::jsonb -> 'outcomes' AS outcomes;
SELECT * FROM jsonb_to_recordset(:'fast'::jsonb -> 'actions')
    AS a(node text, channel text, template text, actions bigint, customers bigint);
SELECT count(*) AS sim_cart_fast_left FROM cjo.journeys WHERE name = 'sim_cart_fast';

-- since and until choose the events: only the first 30 carts (08:01 - 08:30).
SELECT cjo_simulate(:'doc', since => '2025-03-01 00:00', until => '2025-03-01 08:30:30') -> 'runs' AS runs;
-- No events: an empty report.
SELECT cjo_simulate(:'doc', since => '2020-01-01', until => '2020-01-02') - 'since' - 'until';

-- Bad input.
\set VERBOSITY sqlstate
SELECT cjo_simulate(:'doc', since => '2025-03-02', until => '2025-03-01');
SELECT cjo_simulate(:'doc', until => NULL);
SELECT cjo_simulate('{"name": "x"}');
SET cjo.enabled = off;
SELECT cjo_simulate(:'doc');
RESET cjo.enabled;
\set VERBOSITY default

SELECT cjo_archive('sim_cart');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
