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
-- The example of S. Puzyrov, "Markov Chain Attribution - Simple Explanation Of
-- Removal Effect" (2019): google ads (2 conversions), mailing (1), google ads >
-- mailing (1), google ads (no conversion). His published transitions: start ->
-- google ads 4/5, start -> mailing 1/5, google ads -> conv 2/4, -> mailing 1/4,
-- -> null 1/4, mailing -> conv 1. By hand from them: P(conv) = 0.8 * (0.5 +
-- 0.25 * 1) + 0.2 * 1 = 0.8; without google ads 0.2 (removal effect 1 - 0.2/0.8
-- = 0.75); without mailing 0.8 * 0.5 = 0.4 (removal effect 0.5); shares 0.75/1.25
-- = 0.6 and 0.4 (of 4 conversions: 2.4 and 1.6).
SELECT x.key, round(x.value::text::numeric, 10) AS share
  FROM (SELECT cjo.markov_shares(p, c, n) AS s
          FROM (VALUES (ARRAY['google ads'], 2.0::float8, 0.0::float8), (ARRAY['mailing'], 1, 0),
                       (ARRAY['google ads', 'mailing'], 1, 0), (ARRAY['google ads'], 0, 1)) v(p, c, n)) m
 CROSS JOIN LATERAL jsonb_each(m.s) x ORDER BY 1;
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
-- The example path of the Google Analytics Help article on the default
-- attribution models (Multi-Channel Funnels): paid search, a week later a social
-- network, the same day email, a few hours later a direct visit and the purchase.
-- Published credits: last interaction direct 100%; last non-direct click email
-- 100%; first interaction paid search 100%; linear 25% each; position-based 40%
-- paid search and direct, 10% social and email; time decay most to direct and
-- email, less to social, much less to paid search. Times chosen here: paid search
-- 2001-07-01 09:00, social 07-08 09:00, email 07-08 13:00, direct 07-08 17:00,
-- purchase 07-08 18:00. Time decay by hand, ages 7.375, 0.375, 0.2083, 0.0417
-- days: weights 2^(-age/7) = 0.48177, 0.96355, 0.97958, 0.99588 (sum 3.42079):
-- paid search 0.14084, social 0.28167, email 0.28636, direct 0.29113.
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES
    ('g1', 'visit', 'paid search', '2001-07-01 09:00'), ('g1', 'visit', 'social', '2001-07-08 09:00'),
    ('g1', 'visit', 'email', '2001-07-08 13:00'), ('g1', 'visit', 'direct', '2001-07-08 17:00'),
    ('g1', 'buy', NULL, '2001-07-08 18:00');
SELECT model, channel, round(conversions::numeric, 5) AS conversions
  FROM cjo_attribution('buy', since => '2001-07-01', "until" => '2001-07-09',
                       models => '{first_touch,last_touch,last_non_direct,linear,position_based,time_decay}');
-- Time decay, the published rule: a touch 8 days before the conversion gets
-- half the credit of a touch 1 day before (7-day half-life; Google Ads Help,
-- "About attribution models"): 1/3 and 2/3.
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
--    touch lies before the 7-day lookback (and before since), its email after
--    the conversion (a non-converting path); its search at the very instant
--    counts. Markov: paths email (2 conversions, 1 without) and search (1):
--    P(conv) = 3/4 * 2/3 + 1/4 = 3/4, without email 1/4 (removal effect 2/3),
--    without search 1/2 (1/3); the value with touches (5) is shared the same
--    way. Shapley: every conversion has one channel: email 2 (value 0), search 1
--    (value 5).
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('v1', 'visit', 'email', '{}', '2001-05-01 10:00'), ('v1', 'buy', NULL, '{"value": null}', '2001-05-01 11:00'),
    ('v2', 'visit', 'email', '{}', '2001-05-01 10:00'), ('v2', 'buy', NULL, '{"value": "12"}', '2001-05-01 11:00'),
    ('v3', 'buy', NULL, '{"value": 7}', '2001-05-10 11:00'),
    ('v4', 'visit', 'social', '{}', '2001-04-01 10:00'), ('v4', 'buy', NULL, '{"value": 5}', '2001-05-10 11:00'),
    ('v4', 'visit', 'search', '{}', '2001-05-10 11:00'), ('v4', 'visit', 'email', '{}', '2001-05-10 12:00');
SELECT model, channel, conversions, value
  FROM cjo_attribution('buy', lookback => '7 days', since => '2001-05-01', "until" => '2001-06-01')
 WHERE model IN ('linear', 'markov', 'shapley');

-- 5. Shapley. The game: a set S of channels is worth rate(S), the conversion
--    rate of the paths whose channels are exactly S (converting and
--    non-converting paths; 0 for a set never seen and for the empty set), as in
--    Shao and Li, "Data-driven multi-touch attribution models" (KDD 2011). Each
--    conversion is split among its path's channels T by their Shapley values in
--    the game of the players T; negative values count as 0.
--    Paths: A (1 conversion, 1 without, value 10), B (1 conversion, 3 without,
--    value 20), A B (2 conversions, value 40): rates 1/2, 1/4, 1.
--    Set A: all to A; set B: all to B. Set A B, the two orders of arrival:
--    phi(A) = 1/2 (rate(A) - 0) + 1/2 (rate(AB) - rate(B)) = 1/4 + 3/8 = 0.625,
--    phi(B) = 1/2 (rate(B) - 0) + 1/2 (rate(AB) - rate(A)) = 1/8 + 1/4 = 0.375
--    (sum 1 = rate(AB)). Credits: A 1 + 2 * 0.625 = 2.25 conversions, value
--    10 + 40 * 0.625 = 35; B 1 + 2 * 0.375 = 1.75, value 20 + 15 = 35.
SELECT x.key, round((x.value ->> 0)::numeric, 10) AS conversions, round((x.value ->> 1)::numeric, 10) AS value
  FROM (SELECT cjo.shapley_credits(p, c, n, v) AS s
          FROM (VALUES (ARRAY['A'], 1.0::float8, 1.0::float8, 10.0::float8), (ARRAY['B'], 1, 3, 20),
                       (ARRAY['A', 'B'], 2, 0, 40)) v(p, c, n, v)) m
 CROSS JOIN LATERAL jsonb_each(m.s) x ORDER BY 1;
-- A channel that lowers the rate gets nothing: A (1 conversion), B (1 without),
-- A B (1 conversion, 1 without): rates 1, 0, 1/2. Set A B: phi(A) = 1/2 * 1 +
-- 1/2 (1/2 - 0) = 0.75, phi(B) = 1/2 * 0 + 1/2 (1/2 - 1) = -0.25 -> 0: A gets
-- both conversions, B nothing (but is listed).
SELECT x.key, x.value
  FROM (SELECT cjo.shapley_credits(p, c, n, v) AS s
          FROM (VALUES (ARRAY['A'], 1.0::float8, 0.0::float8, 1.0::float8), (ARRAY['B'], 0, 1, 0),
                       (ARRAY['A', 'B'], 1, 1, 2)) v(p, c, n, v)) m
 CROSS JOIN LATERAL jsonb_each(m.s) x ORDER BY 1;
-- Order and repeats do not matter to Shapley: B A A is the set {A, B}.
SELECT cjo.shapley_credits(p, c, n, v) = (SELECT cjo.shapley_credits(p, c, n, v)
                                            FROM (VALUES (ARRAY['A'], 1.0::float8, 1.0::float8, 10.0::float8), (ARRAY['B'], 1, 3, 20), (ARRAY['A', 'B'], 2, 0, 40)) v(p, c, n, v))
  FROM (VALUES (ARRAY['A'], 1.0::float8, 1.0::float8, 10.0::float8), (ARRAY['B'], 1, 3, 20), (ARRAY['B', 'A', 'A'], 2, 0, 40)) v(p, c, n, v);
-- Against the textbook definition (Shapley 1953), enumerated here in SQL over
-- every coalition S of T \ {j}: phi_T(j) = sum |S|! (|T| - |S| - 1)! / |T|!
-- (rate(S + j) - rate(S)), with three channels and every kind of set.
CREATE TEMP TABLE shapley_paths (path text[], c float8, n float8, v float8);
INSERT INTO shapley_paths VALUES (ARRAY['A'], 3, 7, 30), (ARRAY['B'], 1, 9, 5), (ARRAY['C'], 2, 2, 8),
    (ARRAY['A', 'B'], 4, 4, 40), (ARRAY['B', 'C'], 1, 5, 3), (ARRAY['A', 'C'], 0, 3, 0),
    (ARRAY['C', 'B', 'A'], 5, 1, 70), (ARRAY['A', 'C', 'A'], 1, 0, 9);
WITH sets AS (
    SELECT (SELECT sum(DISTINCT CASE x WHEN 'A' THEN 1 WHEN 'B' THEN 2 ELSE 4 END) FROM unnest(path) x)::int AS m,
           sum(c) AS c, sum(n) AS n, sum(v) AS v
      FROM shapley_paths GROUP BY 1
), rate AS (
    SELECT m, c / (c + n) AS r FROM sets
), players(j, bit) AS (
    VALUES ('A', 1), ('B', 2), ('C', 4)
), phi AS (
    SELECT t.m, p.j, t.c, t.v,
           sum(factorial((s & 1) + (s >> 1 & 1) + (s >> 2 & 1))
               * factorial((t.m & 1) + (t.m >> 1 & 1) + (t.m >> 2 & 1) - ((s & 1) + (s >> 1 & 1) + (s >> 2 & 1)) - 1)
               / factorial((t.m & 1) + (t.m >> 1 & 1) + (t.m >> 2 & 1))::float8
               * (coalesce((SELECT r FROM rate WHERE rate.m = s | p.bit), 0)
                  - coalesce((SELECT r FROM rate WHERE rate.m = s), 0))) AS phi
      FROM sets t
      JOIN players p ON t.m & p.bit <> 0
     CROSS JOIN generate_series(0, 7) s
     WHERE t.c > 0 AND s & t.m = s AND s & p.bit = 0
     GROUP BY 1, 2, 3, 4
), brute AS (
    SELECT j, sum(c * greatest(phi, 0) / sum_pos) AS conversions, sum(v * greatest(phi, 0) / sum_pos) AS value
      FROM (SELECT phi.*, sum(greatest(phi, 0)) OVER (PARTITION BY m) AS sum_pos FROM phi) x
     GROUP BY 1
)
SELECT b.j, round(b.conversions::numeric, 6) AS conversions, round(b.value::numeric, 6) AS value,
       abs(b.conversions - (x.value ->> 0)::float8) < 1e-9 AND abs(b.value - (x.value ->> 1)::float8) < 1e-9 AS same_in_c
  FROM brute b
  JOIN (SELECT cjo.shapley_credits(path, c, n, v) AS s FROM shapley_paths) m ON true
 CROSS JOIN LATERAL jsonb_each(m.s) x
 WHERE x.key = b.j
 ORDER BY 1;
-- Converting paths only: every observed set's rate is 1, an unseen set's 0.
-- Conversions: 20 F, 10 O, 17 L, 17 F+O, 30 F+L, 6 F+L+O (the data of the
-- Dataiku example "Data-driven marketing attribution"; L+O never seen). In F+O
-- and F+L both singletons are worth 1: equal halves. In F+L+O, with u = |U|,
-- members of an observed U get 1/(u C(3,u)), non-members lose 1/((3-u) C(3,u)):
-- F: U = F +1/3, O -1/6, L -1/6, FO +1/6, FL +1/6, FLO +1/3 = 2/3;
-- O: F -1/6, O +1/3, L -1/6, FO +1/6, FL -1/3, FLO +1/3 = 1/6; L likewise 1/6.
-- F = 20 + 17/2 + 30/2 + 6 * 2/3 = 47.5, O = 10 + 8.5 + 1 = 19.5,
-- L = 17 + 15 + 1 = 33. (The simplified Shapley value of Zhao, Mahboobi and
-- Bagheri 2018, which counts conversions instead of rates, would split F+L+O
-- equally: 45.5, 20.5, 34.)
SELECT x.key, round((x.value ->> 0)::numeric, 10) AS conversions
  FROM (SELECT cjo.shapley_credits(p, c, 0, 0) AS s
          FROM (VALUES (ARRAY['F'], 20.0::float8), (ARRAY['O'], 10), (ARRAY['L'], 17), (ARRAY['F', 'O'], 17),
                       (ARRAY['F', 'L'], 30), (ARRAY['F', 'L', 'O'], 6)) v(p, c)) m
 CROSS JOIN LATERAL jsonb_each(m.s) x ORDER BY 1;
DROP TABLE shapley_paths;

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
SELECT cjo.markov_shares(p, c, n), cjo.shapley_credits(p, c, n, 0)
  FROM (VALUES (ARRAY['x'], 0.0::float8, 1.0::float8)) v(p, c, n);
SELECT cjo.markov_shares(p, c, n), cjo.shapley_credits(p, c, n, 0) FROM (SELECT NULL::text[], 1.0::float8, 0.0::float8 WHERE false) v(p, c, n);
-- NULL paths, NULL channels and NULL counts: skipped (a NULL count is 0).
SELECT cjo.markov_shares(p, c, n), cjo.shapley_credits(p, c, n, v)
  FROM (VALUES (NULL::text[], 1.0::float8, 0.0::float8, 5.0::float8), (ARRAY['x', NULL, 'y'], 1, NULL, NULL),
               (ARRAY[NULL]::text[], 1, 0, 1), (ARRAY['x'], NULL, NULL, 1)) v(p, c, n, v);

-- 9. Bad input.
\set VERBOSITY sqlstate
SELECT * FROM cjo_attribution(NULL);
SELECT * FROM cjo_attribution('buy', lookback => '-1 day');
SELECT * FROM cjo_attribution('buy', half_life => '0 seconds');
SELECT cjo.shapley_credits(ARRAY['c' || i], 1, 0, 0) FROM generate_series(1, 65) i;
SELECT cjo.markov_shares(ARRAY['c' || i], 1, 0) FROM generate_series(1, 201) i;
SELECT cjo.markov_shares(ARRAY['a'], -1, 0);
SELECT cjo.shapley_credits(ARRAY['a'], 1, 0, 'NaN');
SELECT * FROM cjo_attribution('buy', models => '{linear,u_shaped}');
SELECT * FROM cjo_attribution('buy', models => ARRAY[NULL]);
\set VERBOSITY default

-- 10. Non-converting paths (Markov, Shapley): a customer's touches in [since,
--     until) after the last conversion there, within the lookback before the
--     last of them. n1: email, buy, then social (a non-converting path social);
--     n2: search, buy; n3: display 40 days before sms, no conversion (the path
--     is sms alone with a 30-day lookback: display takes no part). Markov: paths
--     email (conv), search (conv), social (null), sms (null): P(conv) = 2/4;
--     removing email or search halves it (removal effect 1/2 each), removing
--     social or sms changes nothing (0): email 1, search 1, social 0, sms 0.
TRUNCATE cjo.events, cjo.actions RESTART IDENTITY;
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES
    ('n1', 'visit', 'email', '2002-03-01 10:00'), ('n1', 'buy', NULL, '2002-03-01 11:00'),
    ('n1', 'visit', 'social', '2002-03-05 10:00'),
    ('n2', 'visit', 'search', '2002-03-01 10:00'), ('n2', 'buy', NULL, '2002-03-02 10:00'),
    ('n3', 'visit', 'display', '2002-02-01 10:00'), ('n3', 'visit', 'sms', '2002-03-13 10:00');
SELECT model, channel, conversions
  FROM cjo_attribution('buy', since => '2002-01-01', "until" => '2002-04-01', models => '{markov,shapley}');

-- 11. models picks the models (one, several, in any order; rows come sorted).
SELECT model, channel, conversions
  FROM cjo_attribution('buy', since => '2002-01-01', "until" => '2002-04-01', models => '{last_touch,first_touch}');
SELECT count(*) FROM cjo_attribution('buy', models => '{}');
-- One touch serves every conversion whose lookback it lies in: d1's email
-- before two purchases gets both.
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES
    ('d1', 'visit', 'email', '2002-05-01 10:00'), ('d1', 'buy', NULL, '2002-05-01 11:00'),
    ('d1', 'buy', NULL, '2002-05-01 12:00');
SELECT model, channel, conversions
  FROM cjo_attribution('buy', since => '2002-05-01', "until" => '2002-06-01', models => '{linear,markov}');

RESET cjo.enabled;
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
