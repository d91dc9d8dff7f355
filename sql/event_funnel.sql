-- Ad-hoc funnels over cjo.events (cjo_funnel), checked against the published
-- examples of the ClickHouse windowFunnel semantics they follow, and against
-- small cases worked out by hand. Each case uses its own day of 2001 and the
-- since/until arguments, so cases do not see each other's events.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
CREATE FUNCTION pg_temp.funnel(day integer, steps jsonb, win interval, mode text[] DEFAULT '{}')
    RETURNS TABLE (step integer, event text, customers bigint, dropped bigint)
    LANGUAGE sql AS
$$ SELECT step, event, customers, dropped
     FROM cjo_funnel(steps, win, mode, timestamptz '2001-01-01' + (day - 1) * interval '1 day',
                     timestamptz '2001-01-01' + day * interval '1 day') $$;
-- Events of a customer on day d: (customer, name, seconds after midnight).
CREATE FUNCTION pg_temp.load(day integer, rows text[][])
    RETURNS void LANGUAGE sql AS
$$ INSERT INTO cjo.events (customer_id, name, occurred_at)
   SELECT rows[i][1], rows[i][2], timestamptz '2001-01-01' + (day - 1) * interval '1 day' + rows[i][3]::integer * interval '1 second'
     FROM generate_subscripts(rows, 1) AS i $$;

-- 1. The window (ClickHouse windowFunnel, as walked through in a well-known
--    blog example): uid1 has event1, event2 (+2 s), event3 (+4 s); uid2 event2,
--    event3 3 s later; uid3 only event3, event4. Funnel event2 -> event3:
--    window 4 s: uid1 and uid2 reach level 2; window 2 s: uid2's 3 s gap is too
--    long (level 1); uid3 has no event2 and is not in the funnel.
SELECT pg_temp.load(1, ARRAY[['uid1', 'event1', '4'], ['uid1', 'event2', '6'], ['uid1', 'event3', '8'],
                             ['uid2', 'event2', '12'], ['uid2', 'event3', '15'],
                             ['uid3', 'event3', '10'], ['uid3', 'event4', '13']]);
SELECT * FROM pg_temp.funnel(1, '["event2", "event3"]', '4 seconds');
SELECT * FROM pg_temp.funnel(1, '["event2", "event3"]', '2 seconds');
-- The window is inclusive: a gap of exactly the window counts (uid1's 2 s).
SELECT * FROM pg_temp.funnel(1, '["event2", "event3"]', '3 seconds');

-- 2. Order (Hologres windowFunnel documentation, table of user events against
--    conditions c1, c2, c3): c1 c2 c3 c4 -> 3; c4 c3 c2 c1 -> 1; c4 c3 -> 0.
SELECT pg_temp.load(2, ARRAY[['h1', 'c1', '1'], ['h1', 'c2', '2'], ['h1', 'c3', '3'], ['h1', 'c4', '4'],
                             ['h2', 'c4', '1'], ['h2', 'c3', '2'], ['h2', 'c2', '3'], ['h2', 'c1', '4'],
                             ['h3', 'c4', '1'], ['h3', 'c3', '2']]);
SELECT e.customer_id, (cjo.window_funnel(e.occurred_at,
           CASE e.name WHEN 'c1' THEN 1 WHEN 'c2' THEN 2 WHEN 'c3' THEN 4 ELSE 0 END, 3, '1 day', 0))[1] AS level
  FROM cjo.events e WHERE e.customer_id IN ('h1', 'h2', 'h3') GROUP BY 1 ORDER BY 1;
SELECT * FROM pg_temp.funnel(2, '["c1", "c2", "c3"]', '1 day');

-- 3. Modes (StarRocks window_funnel documentation, steps A, B, C, D):
--    deduplication: A-B-C-B-D stops at the repeated B: level 3;
--    fixed order:   A-B-D-C stops at D, which breaks the order: level 2;
--    default mode:  A-B-C-B-D reaches D: level 4; in A-B-D-C the D comes before C,
--                   so A-B-C is reached but no D after it: level 3.
SELECT pg_temp.load(3, ARRAY[['s1', 'A', '1'], ['s1', 'B', '2'], ['s1', 'C', '3'], ['s1', 'B', '4'], ['s1', 'D', '5'],
                             ['s2', 'A', '1'], ['s2', 'B', '2'], ['s2', 'D', '3'], ['s2', 'C', '4']]);
CREATE FUNCTION pg_temp.levels(day integer, mode integer)
    RETURNS TABLE (customer_id text, level bigint) LANGUAGE sql AS
$$ SELECT e.customer_id, (cjo.window_funnel(e.occurred_at,
              CASE e.name WHEN 'A' THEN 1 WHEN 'B' THEN 2 WHEN 'C' THEN 4 WHEN 'D' THEN 8 ELSE 0 END,
              4, '1 hour', mode))[1]
     FROM cjo.events e
    WHERE e.occurred_at >= timestamptz '2001-01-01' + (day - 1) * interval '1 day'
      AND e.occurred_at < timestamptz '2001-01-01' + day * interval '1 day'
    GROUP BY 1 ORDER BY 1 $$;
SELECT * FROM pg_temp.levels(3, 0);   -- s1 4, s2 3
SELECT * FROM pg_temp.levels(3, 2);   -- strict_deduplication: s1 3, s2 3
SELECT * FROM pg_temp.levels(3, 1);   -- strict_order: s1 4, s2 2
SELECT * FROM pg_temp.funnel(3, '["A", "B", "C", "D"]', '1 hour', '{strict_deduplication}');
SELECT * FROM pg_temp.funnel(3, '["A", "B", "C", "D"]', '1 hour', '{strict_order}');
-- Strict order: any other event in between breaks the chain, not only funnel steps.
SELECT pg_temp.load(4, ARRAY[['o1', 'A', '1'], ['o1', 'page_view', '2'], ['o1', 'B', '3'],
                             ['o2', 'page_view', '1'], ['o2', 'A', '2'], ['o2', 'B', '3']]);
SELECT * FROM pg_temp.funnel(4, '["A", "B"]', '1 hour');                     -- both reach B
SELECT * FROM pg_temp.funnel(4, '["A", "B"]', '1 hour', '{strict_order}');   -- o1 stops at A

-- 4. Equal timestamps: by default steps at the same instant count in step
--    order; strict_increase needs each step strictly later than the previous.
SELECT pg_temp.load(5, ARRAY[['t1', 'A', '10'], ['t1', 'B', '10'], ['t2', 'B', '10'], ['t2', 'A', '10'], ['t2', 'C', '10']]);
SELECT * FROM pg_temp.funnel(5, '["A", "B", "C"]', '1 hour');
SELECT * FROM pg_temp.funnel(5, '["A", "B", "C"]', '1 hour', '{strict_increase}');

-- 5. The window is anchored on the first step: a later first step starts a
--    new chain. w1: A at 0, A at 100, B at 150, window 60 s: the first A is
--    too early, the second A (50 s before B) completes the chain. w2: A at 0,
--    B at 100: too late.
SELECT pg_temp.load(6, ARRAY[['w1', 'A', '0'], ['w1', 'A', '100'], ['w1', 'B', '150'],
                             ['w2', 'A', '0'], ['w2', 'B', '100']]);
SELECT * FROM pg_temp.funnel(6, '["A", "B"]', '60 seconds');
-- Time from the first step: w1's chain took 50 s.
SELECT step, customers, median_time_from_first, p90_time_from_first, avg_time_from_first
  FROM cjo_funnel('["A", "B"]', '60 seconds', '{}', '2001-01-06', '2001-01-07');

-- 6. A step repeated inside the funnel (view, view, buy), where one event
--    matches two steps: it counts for both, as in ClickHouse (r2 reaches buy
--    with a single view). Under strict_increase each step must be later than
--    the previous one: r1 (view, view, buy at 1, 2, 3 s) reaches buy, r2 does
--    not. (ClickHouse would also stop r1, as its second view restarts the
--    chain before extending it; cjo extends first.)
SELECT pg_temp.load(7, ARRAY[['r1', 'view', '1'], ['r1', 'view', '2'], ['r1', 'buy', '3'],
                             ['r2', 'view', '1'], ['r2', 'buy', '2']]);
SELECT * FROM pg_temp.funnel(7, '["view", "view", "buy"]', '1 hour');
SELECT * FROM pg_temp.funnel(7, '["view", "view", "buy"]', '1 hour', '{strict_increase}');

-- 7. Conditions on the event (the same jsonpath as journeys: $.event.*) and labels.
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('k1', 'view', 'web', '{"price": 1200}', '2001-01-08 10:00+00'),
    ('k1', 'buy', 'web', '{"amount": 1200}', '2001-01-08 10:05+00'),
    ('k2', 'view', 'app', '{"price": 20}', '2001-01-08 10:00+00'),
    ('k2', 'buy', 'app', '{"amount": 20}', '2001-01-08 10:05+00'),
    ('k3', 'view', 'web', '{"price": "expensive"}', '2001-01-08 10:00+00'),
    ('k3', 'buy', 'web', '{}', '2001-01-08 10:05+00');
SELECT * FROM pg_temp.funnel(8, '[{"event": "view", "when": "$.event.properties.price > 100", "label": "viewed an expensive item"},
                                 {"event": "buy", "when": "$.event.channel == \"web\""}]', '1 hour');
SELECT step, event, customers, dropped, conversion_from_first, conversion_from_previous
  FROM cjo_funnel('["view", "buy"]', '1 hour', '{}', '2001-01-08', '2001-01-09');

-- 8. Empty input: no events in the range gives every step with 0 customers.
SELECT * FROM cjo_funnel('["view", "buy"]', '1 hour', '{}', '1990-01-01', '1990-01-02');
-- NULL events and NULL mask take no part.
SELECT cjo.window_funnel(t, m, 2, '1 hour', 0)
  FROM (VALUES (NULL::timestamptz, 1::bigint), ('2001-01-01', NULL), ('2001-01-01', 1)) v(t, m);

-- 9. Bad input: a clear error with its SQLSTATE.
\set VERBOSITY sqlstate
SELECT * FROM cjo_funnel('[]');
SELECT * FROM cjo_funnel('{"event": "view"}');
SELECT * FROM cjo_funnel(NULL);
SELECT * FROM cjo_funnel('[1]');
SELECT * FROM cjo_funnel('[{"event": "view", "if": "$.x"}]');
SELECT * FROM cjo_funnel('[{"event": "view", "when": "$.event.("}]');
SELECT * FROM cjo_funnel('["view"]', '1 hour', '{strict}');
SELECT * FROM cjo_funnel('["view"]', '-1 hour');
SELECT * FROM cjo_funnel((SELECT jsonb_agg('s' || i) FROM generate_series(1, 33) i));
SELECT cjo.window_funnel(now(), 1, 0, '1 hour', 0);
SELECT cjo.window_funnel(now(), 1, 2, '1 month', 0);
\set VERBOSITY default

TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
