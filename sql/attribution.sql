-- Multi-touch attribution: every model against published examples and cases
-- worked out by hand. Touches are events with a channel; conversions are the
-- named event, with properties.value as value.
SET timezone = 'UTC';
SET extra_float_digits = 0;
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
SET cjo.enabled = off;   -- no journey needs these events

-- 1. The Markov chain example of S. Bryl, "Marketing Multi-Channel Attribution
--    model with R (part 1: Markov chains concept)", analyzecore.com, 2016:
--    paths c1 > c2 > c3 > conversion, c1 > null, c2 > c3 > null.
--    Transitions: start->c1 2/3, start->c2 1/3, c1->c2 1/2, c1->null 1/2,
--    c2->c3 1, c3->conv 1/2, c3->null 1/2; P(conv) = 2/3*1/2*1/2 + 1/3*1/2 = 1/3.
--    Without c1: 1/3*1/2 = 1/6, removal effect 1/2; without c2 or c3: 0,
--    removal effect 1. Shares 0.5/2.5, 1/2.5, 1/2.5 = 0.2, 0.4, 0.4 (as published).
SELECT x.key, round(x.value::text::numeric, 10) AS share
  FROM (SELECT cjo.markov_shares(p, c, n) AS s
          FROM (VALUES (ARRAY['c1', 'c2', 'c3'], 1.0::float8, 0.0::float8),
                       (ARRAY['c1'], 0, 1), (ARRAY['c2', 'c3'], 0, 1)) v(p, c, n)) m
 CROSS JOIN LATERAL jsonb_each(m.s) x ORDER BY 1;
-- The same through the events: three customers, one conversion.
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES
    ('m1', 'visit', 'c1', '2001-01-01 10:00'), ('m1', 'visit', 'c2', '2001-01-01 11:00'),
    ('m1', 'visit', 'c3', '2001-01-01 12:00'), ('m1', 'buy', NULL, '2001-01-01 13:00'),
    ('m2', 'visit', 'c1', '2001-01-01 10:00'),
    ('m3', 'visit', 'c2', '2001-01-01 10:00'), ('m3', 'visit', 'c3', '2001-01-01 11:00');
SELECT model, channel, round(conversions::numeric, 6) AS conversions
  FROM cjo_attribution('buy', since => '2001-01-01', "until" => '2001-01-02') WHERE model = 'markov';
-- Consecutive repeats collapse: c1 c1 c2 c2 c3 is the path c1 c2 c3.
SELECT x.key, round(x.value::text::numeric, 10) AS share
  FROM (SELECT cjo.markov_shares(p, c, n) AS s
          FROM (VALUES (ARRAY['c1', 'c1', 'c2', 'c2', 'c3'], 1.0::float8, 0.0::float8),
                       (ARRAY['c1', 'c1'], 0, 1), (ARRAY['c2', 'c3', 'c3'], 0, 1)) v(p, c, n)) m
 CROSS JOIN LATERAL jsonb_each(m.s) x ORDER BY 1;

-- 2. Rule-based models on one conversion with four touches (Google Analytics
--    attribution models: position-based gives 40% to the first and the last
--    touch and spreads 20% evenly over the middle; time decay halves the credit
--    every half-life, 7 days by default).
--    Touches: email 2001-02-01, social 02-02, direct 02-05, direct 02-08,
--    conversion 02-08 12:00 (the last touch 12 hours before), value 100.
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('r1', 'visit', 'email', '{}', '2001-02-01 00:00'), ('r1', 'visit', 'social', '{}', '2001-02-02 00:00'),
    ('r1', 'visit', 'direct', '{}', '2001-02-05 00:00'), ('r1', 'visit', 'direct', '{}', '2001-02-08 00:00'),
    ('r1', 'buy', NULL, '{"value": 100}', '2001-02-08 12:00');
-- first: email 1; last: direct 1; last non-direct: social 1 (the directs are skipped);
-- linear: 1/4 each, direct twice = 2/4; position: 0.4 email, 0.1 social, 0.1 + 0.4 direct;
-- time decay: ages 7.5, 6.5, 3.5, 0.5 days, weights 2^(-age/7) = 0.47585, 0.52538,
-- 0.70711, 0.95170 (sum 2.66003): email 0.17889, social 0.19751, direct 0.26583 + 0.35778 = 0.62360.
SELECT model, channel, round(conversions::numeric, 5) AS conversions, round(value::numeric, 3) AS value
  FROM cjo_attribution('buy', since => '2001-02-01', "until" => '2001-03-01')
 WHERE model NOT IN ('markov', 'shapley');
-- Time decay, the published rule: a touch 8 days before the conversion gets
-- half the credit of a touch 1 day before (7-day half-life): 1/3 and 2/3.
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES
    ('t1', 'visit', 'email', '2001-03-02 00:00'), ('t1', 'visit', 'search', '2001-03-09 00:00'),
    ('t1', 'buy', NULL, '2001-03-10 00:00');
SELECT channel, round(conversions::numeric, 6) AS conversions
  FROM cjo_attribution('buy', since => '2001-03-01', "until" => '2001-04-01') WHERE model = 'time_decay';
-- A 1-day half-life: weights 2^-8 and 2^-1, email 2^-8 / (2^-8 + 2^-1) = 1/129 = 0.007752.
SELECT channel, round(conversions::numeric, 6) AS conversions
  FROM cjo_attribution('buy', half_life => '1 day', since => '2001-03-01', "until" => '2001-04-01') WHERE model = 'time_decay';

-- 3. Edge cases of the rules: one touch gets everything in every model; two
--    touches split 50/50 in position-based; only direct touches: last
--    non-direct falls back to the last direct; equal times: events in id order.
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('e1', 'visit', 'email', '{}', '2001-04-01 10:00'), ('e1', 'buy', NULL, '{"value": 10}', '2001-04-01 11:00'),
    ('e2', 'visit', 'email', '{}', '2001-04-01 10:00'), ('e2', 'visit', 'social', '{}', '2001-04-01 10:30'),
    ('e2', 'buy', NULL, '{"value": 20}', '2001-04-01 11:00'),
    ('e3', 'visit', 'direct', '{}', '2001-04-01 10:00'), ('e3', 'visit', 'direct', '{}', '2001-04-01 10:30'),
    ('e3', 'buy', NULL, '{"value": 30}', '2001-04-01 11:00'),
    ('e4', 'visit', 'search', '{}', '2001-04-01 10:00'), ('e4', 'visit', 'email', '{}', '2001-04-01 10:00'),
    ('e4', 'buy', NULL, '{"value": 40}', '2001-04-01 11:00');
SELECT model, channel, round(conversions::numeric, 4) AS conversions, round(value::numeric, 4) AS value
  FROM cjo_attribution('buy', since => '2001-04-01', "until" => '2001-04-02')
 WHERE model IN ('first_touch', 'last_touch', 'last_non_direct', 'position_based');

-- 4. Values: NULL, missing, a string or an object count as 0; the conversion
--    still counts (v1, v2). v3 converts without a touch: (none). v4's social
--    touch lies before the 7-day lookback, its email after the conversion; its
--    search at the very instant counts. Markov: paths email (2 conversions)
--    and search (1): removal effects 2/3 and 1/3; the value with touches (5)
--    is shared the same way.
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('v1', 'visit', 'email', '{}', '2001-05-01 10:00'), ('v1', 'buy', NULL, '{"value": null}', '2001-05-01 11:00'),
    ('v2', 'visit', 'email', '{}', '2001-05-01 10:00'), ('v2', 'buy', NULL, '{"value": "12"}', '2001-05-01 11:00'),
    ('v3', 'buy', NULL, '{"value": 7}', '2001-05-10 11:00'),
    ('v4', 'visit', 'social', '{}', '2001-04-01 10:00'), ('v4', 'buy', NULL, '{"value": 5}', '2001-05-10 11:00'),
    ('v4', 'visit', 'search', '{}', '2001-05-10 11:00'), ('v4', 'visit', 'email', '{}', '2001-05-10 12:00');
SELECT model, channel, conversions, value
  FROM cjo_attribution('buy', lookback => '7 days', since => '2001-05-01', "until" => '2001-06-01')
 WHERE model IN ('linear', 'markov');

-- 5. Shapley, worked by hand. The game: v(S) = the sum, over the channel sets T
--    within S, of the conversion rate of the paths whose channels are exactly T
--    (the simplified Shapley value of Zhao et al., "Shapley Value Methods for
--    Attribution Modeling in Online Advertising", 2018, with conversion rates in
--    place of conversion counts, so that paths without a conversion count too).
--    Such a game is a sum of unanimity games, and Shapley gives each member of T
--    rate(T) / |T|. Paths: A (1 conversion, 1 without), B (1 conversion, 3
--    without), A B (2 conversions): rates 1/2, 1/4, 1.
--    phi(A) = 1/2 + 1/2 = 1, phi(B) = 1/4 + 1/2 = 3/4; shares 4/7 and 3/7.
SELECT x.key, round(x.value::text::numeric, 10) AS share
  FROM (SELECT cjo.shapley_shares(p, c, n) AS s
          FROM (VALUES (ARRAY['A'], 1.0::float8, 1.0::float8), (ARRAY['B'], 1, 3), (ARRAY['A', 'B'], 2, 0)) v(p, c, n)) m
 CROSS JOIN LATERAL jsonb_each(m.s) x ORDER BY 1;
-- The same as the exact sum over all coalitions: with N = {A, B},
-- phi(A) = 1/2 (v(A) - v()) + 1/2 (v(AB) - v(B)) = 1/2 * 1/2 + 1/2 * (7/4 - 1/4) = 1.
-- Non-converting paths lower a set's rate: B never converts alone (rate 0) and
-- gets only its half of A B's rate: A (1 conversion), B (1 without), A B (1 conversion):
-- phi(A) = 1 + 1/2, phi(B) = 0 + 1/2; shares 3/4, 1/4.
SELECT x.key, round(x.value::text::numeric, 10) AS share
  FROM (SELECT cjo.shapley_shares(p, c, n) AS s
          FROM (VALUES (ARRAY['A'], 1.0::float8, 0.0::float8), (ARRAY['B'], 0, 1), (ARRAY['A', 'B'], 1, 0)) v(p, c, n)) m
 CROSS JOIN LATERAL jsonb_each(m.s) x ORDER BY 1;
-- Order and repeats do not matter to Shapley: B A A is the set {A, B}.
SELECT cjo.shapley_shares(p, c, n) = (SELECT cjo.shapley_shares(p, c, n)
                                        FROM (VALUES (ARRAY['A'], 1.0::float8, 1.0::float8), (ARRAY['B'], 1, 3), (ARRAY['A', 'B'], 2, 0)) v(p, c, n))
  FROM (VALUES (ARRAY['A'], 1.0::float8, 1.0::float8), (ARRAY['B'], 1, 3), (ARRAY['B', 'A', 'A'], 2, 0)) v(p, c, n);

-- 6. Every model's credits add up to the conversions and the value, over all
--    of the above.
SELECT model, round(sum(conversions)::numeric, 9) AS conversions, round(sum(value)::numeric, 6) AS value
  FROM cjo_attribution('buy', since => '2001-01-01', "until" => '2002-01-01') GROUP BY 1 ORDER BY 1;
SELECT count(*) AS conversions, sum(CASE WHEN jsonb_typeof(properties -> 'value') = 'number' THEN (properties ->> 'value')::numeric ELSE 0 END) AS value
  FROM cjo.events WHERE name = 'buy';

-- 7. Actions cjo delivered are touches (when sent), pending ones are not.
INSERT INTO cjo.actions (customer_id, journey_id, version, run, node, channel, template, status, updated_at)
VALUES ('a1', 0, 1, 1, 0, 'sms', 'offer', 'sent', '2001-06-01 09:00'),
       ('a1', 0, 1, 1, 0, 'push', 'offer', 'pending', '2001-06-01 09:30');
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES
    ('a1', 'visit', 'email', '2001-06-01 08:00'), ('a1', 'buy', NULL, '2001-06-01 10:00');
SELECT model, channel, conversions FROM cjo_attribution('buy', since => '2001-06-01', "until" => '2001-06-02')
 WHERE model IN ('last_touch', 'linear');
SELECT model, channel, conversions FROM cjo_attribution('buy', since => '2001-06-01', "until" => '2001-06-02', include_actions => false)
 WHERE model = 'last_touch';

-- 8. Zero conversions and empty input: no rows.
SELECT count(*) FROM cjo_attribution('buy', since => '1990-01-01', "until" => '1990-01-02');
SELECT count(*) FROM cjo_attribution('never_happens');
SELECT cjo.markov_shares(p, c, n), cjo.shapley_shares(p, c, n)
  FROM (VALUES (ARRAY['x'], 0.0::float8, 1.0::float8)) v(p, c, n);
SELECT cjo.markov_shares(p, c, n), cjo.shapley_shares(p, c, n) FROM (SELECT NULL::text[], 1.0::float8, 0.0::float8 WHERE false) v(p, c, n);

-- 9. Bad input.
\set VERBOSITY sqlstate
SELECT * FROM cjo_attribution(NULL);
SELECT * FROM cjo_attribution('buy', lookback => '-1 day');
SELECT * FROM cjo_attribution('buy', half_life => '0 seconds');
SELECT cjo.shapley_shares(ARRAY['c' || i], 1, 0) FROM generate_series(1, 65) i;
SELECT cjo.markov_shares(ARRAY['a'], -1, 0);
\set VERBOSITY default

RESET cjo.enabled;
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
