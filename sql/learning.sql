-- Learning splits and next_best_action nodes: Thompson sampling on the
-- journey's goal, counts kept per arm, reproducible draws.
SET cjo.learning_refresh = 0;   -- read the counts at every choice: no timing in this test
TRUNCATE cjo.events, cjo.journey_state, cjo.history, cjo.actions, cjo.customers, cjo.arm_stats, cjo.arm_deltas RESTART IDENTITY;

-- 1. The chooser on its own: the same counts and seed give the same arm.
SELECT cjo.thompson_choose('{100, 100}', '{10, 30}', 0.05, 42) = cjo.thompson_choose('{100, 100}', '{10, 30}', 0.05, 42) AS same_pick;
-- No data: both arms equally likely (20000 seeds).
SELECT arm, round(count(*) / 20000.0, 2) AS share
  FROM (SELECT cjo.thompson_choose('{0, 0}', '{0, 0}', 0.05, s) AS arm FROM generate_series(1, 20000) s) x
 GROUP BY 1 ORDER BY 1;
-- Clear evidence: arm 2 gets everything but the exploration share of arm 1 (5%).
SELECT arm, round(count(*) / 20000.0, 3) AS share
  FROM (SELECT cjo.thompson_choose('{1000, 1000}', '{50, 150}', 0.05, s) AS arm FROM generate_series(1, 20000) s) x
 GROUP BY 1 ORDER BY 1;
-- Without exploration the losing arm gets nothing.
SELECT count(*) FILTER (WHERE cjo.thompson_choose('{1000, 1000}', '{50, 150}', 0, s) = 1) AS arm1_picks
  FROM generate_series(1, 20000) s;
-- Close evidence: shares follow the probability of being best.
SELECT round(count(*) FILTER (WHERE cjo.thompson_choose('{100, 100}', '{10, 12}', 0, s) = 2) / 20000.0, 2) AS arm2_share,
       round((cjo.probability_best('{100, 100}', '{10, 12}', 100000))[2]::numeric, 2) AS arm2_probability_best
  FROM generate_series(1, 20000) s;
SELECT cjo.probability_best('{10, 10, 10}', '{0, 0, 10}');
SELECT cjo.probability_best('{1000000, 1000000}', '{500000, 501000}', 1000);
-- Errors are shown with their SQLSTATE.
CREATE FUNCTION pg_temp.try(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
CREATE FUNCTION pg_temp.refused(doc text) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.try(format('SELECT %L::cjo.journey', doc))
$$;
-- Bad counts.
SELECT pg_temp.try($q$SELECT cjo.thompson_choose('{10}', '{11}', 0, 1)$q$);
SELECT pg_temp.try($q$SELECT cjo.thompson_choose('{10, 10}', '{1}', 0, 1)$q$);
SELECT pg_temp.try($q$SELECT cjo.thompson_choose('{}', '{}', 0, 1)$q$);
SELECT pg_temp.try($q$SELECT cjo.thompson_choose('{-1}', '{0}', 0, 1)$q$);
SELECT pg_temp.try($q$SELECT cjo.thompson_choose('{1, NULL}', '{0, 0}', 0, 1)$q$);
SELECT pg_temp.try($q$SELECT cjo.thompson_choose('{1, 1}', '{0, 0}', 0.6, 1)$q$);
SELECT pg_temp.try($q$SELECT cjo.probability_best('{1}', '{0}', 0)$q$);

-- 2. Definitions: what is refused, and the canonical form.
SELECT pg_temp.refused('{"name": "l_nogoal", "entry": {"event": "signup"}, "start": "s",
  "nodes": {"s": {"type": "split", "learn": true, "variants": [{"name": "a", "next": "x"}, {"name": "b", "next": "x"}]},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "goal": {"event": "purchase"}, "start": "s",
  "nodes": {"s": {"type": "split", "learn": true, "min_share": 0.6, "variants": [{"name": "a", "next": "x"}, {"name": "b", "next": "x"}]},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "goal": {"event": "purchase"}, "start": "s",
  "nodes": {"s": {"type": "split", "learn": true, "seed": 1.5, "variants": [{"name": "a", "next": "x"}, {"name": "b", "next": "x"}]},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "goal": {"event": "purchase"}, "start": "s",
  "nodes": {"s": {"type": "split", "learn": "yes", "variants": [{"name": "a", "next": "x"}, {"name": "b", "next": "x"}]},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "goal": {"event": "purchase"}, "start": "s",
  "nodes": {"s": {"type": "split", "seed": 3, "variants": [{"name": "a", "weight": 1, "next": "x"}]},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "goal": {"event": "purchase"}, "start": "s",
  "nodes": {"s": {"type": "split", "variants": [{"name": "a", "next": "x"}]},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "goal": {"event": "purchase"}, "start": "s",
  "nodes": {"s": {"type": "split", "learn": true, "variants": [{"name": "a", "weight": 0, "next": "x"}, {"name": "h", "control": true, "next": "x"}]},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "goal": {"event": "purchase"}, "start": "s",
  "nodes": {"s": {"type": "split", "learn": true, "variants": [{"name": "a", "next": "k"}, {"name": "b", "next": "k"}]},
            "k": {"type": "set", "values": {"s": "overwritten"}, "next": "x"},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "start": "n",
  "nodes": {"n": {"type": "next_best_action", "candidates": [{"name": "a", "next": "x"}], "else": "x"},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "start": "n",
  "nodes": {"n": {"type": "next_best_action", "choose_by": "magic", "candidates": [{"name": "a", "score": "1", "next": "x"}], "else": "x"},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "start": "n",
  "nodes": {"n": {"type": "next_best_action", "choose_by": "conversion", "candidates": [{"name": "a", "next": "x"}], "else": "x"},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "start": "n",
  "nodes": {"n": {"type": "next_best_action", "candidates": [{"name": "a", "score": "1", "next": "x"}, {"name": "a", "score": "2", "next": "x"}], "else": "x"},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "start": "n",
  "nodes": {"n": {"type": "next_best_action", "candidates": [{"name": "a", "score": "1", "next": "x"}]},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "start": "n",
  "nodes": {"n": {"type": "next_best_action", "candidates": [{"name": "a", "score": "1", "next": "x"}], "else": "x", "min_share": 0.1},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "start": "n",
  "nodes": {"n": {"type": "next_best_action", "candidates": [{"name": "a", "score": "$.profile.x +", "next": "x"}], "else": "x"},
            "x": {"type": "exit"}}}');
SELECT pg_temp.refused('{"name": "l_bad", "entry": {"event": "signup"}, "start": "n",
  "nodes": {"n": {"type": "next_best_action", "candidates": [{"name": "a", "score": "1", "weight": 2, "next": "x"}], "else": "x"},
            "x": {"type": "exit"}}}');
-- The canonical form names every setting and compiles back to the same graph.
SELECT '{"name": "l_form", "entry": {"event": "signup"}, "goal": {"event": "purchase"}, "start": "s",
  "nodes": {"s": {"type": "split", "learn": true, "seed": -12, "variants": [{"name": "a", "next": "n"}, {"name": "b", "next": "n"}, {"name": "h", "weight": 0.5, "control": true, "next": "x"}]},
            "n": {"type": "next_best_action", "choose_by": "conversion", "min_share": 0.1,
                  "candidates": [{"name": "c1", "when": "$.profile.vip == true", "score": "$.profile.margin * 2", "next": "x"}, {"name": "c2", "next": "x"}], "else": "x"},
            "x": {"type": "exit"}}}'::cjo.journey AS canonical \gset
SELECT :'canonical';
SELECT :'canonical'::cjo.journey::text = :'canonical' AS round_trip;
SELECT node_index, choice, label, next_node, control FROM cjo.journey_choices(:'canonical'::cjo.journey) ORDER BY 1, 2;

-- 3. A learning split converges (the acceptance scenario): variant "b"
-- converts 15% of the time, "a" 5%; a holdout keeps 10% of customers.
-- Forty days of 100 new customers each; each day the customers convert by
-- their variant's rate (random(), seeded) and the sweep folds the counts.
SELECT cjo_publish('{"name": "l_bandit", "entry": {"event": "signup"}, "goal": {"event": "purchase", "within": "7 days"},
  "start": "offer",
  "nodes": {"offer": {"type": "split", "learn": true, "min_share": 0.05, "seed": 2026,
                      "variants": [{"name": "a", "next": "mail_a"}, {"name": "b", "next": "mail_b"},
                                   {"name": "holdout", "weight": 0.2222222222, "control": true, "next": "done"}]},
            "mail_a": {"type": "action", "channel": "email", "template": "offer_a", "payload": {"variant": "{{$.journey.offer}}"}, "next": "done"},
            "mail_b": {"type": "action", "channel": "email", "template": "offer_b", "payload": {"variant": "{{$.journey.offer}}"}, "next": "done"},
            "done": {"type": "exit"}}}') IS NOT NULL AS published;
CREATE TEMP TABLE l_days (day integer, customer_id text, variant text, converted boolean);
CREATE FUNCTION pg_temp.run_days() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    d integer;
    t timestamptz;
BEGIN
    FOR d IN 1..40 LOOP
        t := timestamptz '2026-03-01 09:00+00' + (d - 1) * interval '1 day';
        INSERT INTO cjo.events (customer_id, name, occurred_at)
        SELECT format('lb-%s-%s', d, i), 'signup', t FROM generate_series(1, 100) i;
        INSERT INTO l_days
        SELECT d, s.customer_id, s.data ->> 'offer',
               random() < CASE s.data ->> 'offer' WHEN 'a' THEN 0.05 WHEN 'b' THEN 0.15 ELSE 0.03 END
          FROM cjo.journey_state s JOIN cjo.journeys j USING (journey_id)
         WHERE j.name = 'l_bandit' AND s.customer_id LIKE format('lb-%s-%%', d)
         ORDER BY s.customer_id;
        INSERT INTO cjo.events (customer_id, name, occurred_at)
        SELECT customer_id, 'purchase', t + interval '1 hour' FROM l_days WHERE l_days.day = d AND converted;
        PERFORM cjo_advance(t + interval '2 hours');
    END LOOP;
END
$$;
SELECT setseed(0.2026);
SELECT pg_temp.run_days();
-- Traffic per variant: the first days one by one, then the last ten.
SELECT CASE WHEN day <= 5 THEN 'day ' || day ELSE 'days 31-40' END AS period,
       count(*) FILTER (WHERE variant = 'a') AS a, count(*) FILTER (WHERE variant = 'b') AS b,
       count(*) FILTER (WHERE variant = 'holdout') AS holdout,
       count(*) FILTER (WHERE variant = 'a' AND converted) AS a_converted,
       count(*) FILTER (WHERE variant = 'b' AND converted) AS b_converted
  FROM l_days WHERE day <= 5 OR day > 30 GROUP BY 1 ORDER BY 1;
-- The acceptance: after enough conversions the better variant gets most of
-- the learned traffic; the worse one keeps at least its exploration share;
-- the holdout keeps its fixed 10%.
SELECT count(*) FILTER (WHERE variant = 'b')::float8 / count(*) FILTER (WHERE variant <> 'holdout') > 0.8 AS b_gets_most_late,
       count(*) FILTER (WHERE variant = 'a')::float8 / count(*) FILTER (WHERE variant <> 'holdout') >= 0.03 AS a_still_explored,
       count(*) FILTER (WHERE variant = 'holdout') BETWEEN 70 AND 130 AS holdout_near_10_percent
  FROM l_days WHERE day > 30;
SELECT count(*) FILTER (WHERE variant = 'holdout') BETWEEN 300 AND 500 AS holdout_near_10_percent_overall FROM l_days;
-- Counts agree with what happened, folded: no deltas left after the sweep.
SELECT r.arm, r.assigned, r.converted,
       r.assigned = (SELECT count(*) FROM l_days d WHERE d.variant = r.arm) AS assigned_right,
       r.converted = (SELECT count(*) FROM l_days d WHERE d.variant = r.arm AND d.converted) AS converted_right,
       r.probability_best > 0.99 AS surely_best
  FROM cjo.arm_results r WHERE r.journey = 'l_bandit' ORDER BY r.arm;
SELECT count(*) AS deltas_left FROM cjo.arm_deltas;
-- The variant is in the journey data, so the payload names it.
SELECT a.template, a.payload ->> 'variant' AS variant, count(*)
  FROM cjo.actions a JOIN cjo.journeys j USING (journey_id) WHERE j.name = 'l_bandit' GROUP BY 1, 2 ORDER BY 1, 2;
-- The holdout is stable per customer (by the customer's position, as a fixed split).
SELECT count(*) AS holdout_customers FROM l_days WHERE variant = 'holdout';

-- 4. Reproducible: the same history replayed gives the same choices.
CREATE TEMP TABLE l_first AS SELECT customer_id, variant FROM l_days;
TRUNCATE cjo.events, cjo.journey_state, cjo.history, cjo.actions, cjo.arm_stats, cjo.arm_deltas RESTART IDENTITY;
TRUNCATE l_days;
SELECT setseed(0.2026);
SELECT pg_temp.run_days();
SELECT count(*) AS customers, count(*) FILTER (WHERE f.variant = d.variant) AS same_variant
  FROM l_first f JOIN l_days d USING (customer_id);

-- 5. Unfolded increments count at once; a rolled-back batch counts nothing.
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'lb-late-' || i, 'signup', '2026-04-15 09:00+00' FROM generate_series(1, 50) i;
SELECT count(*) > 0 AS deltas_waiting FROM cjo.arm_deltas;
SELECT sum(assigned) AS assigned_after_50 FROM cjo.arm_results WHERE journey = 'l_bandit';
BEGIN;
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'lb-rolled-' || i, 'signup', '2026-04-15 09:00+00' FROM generate_series(1, 50) i;
ROLLBACK;
SELECT sum(assigned) AS assigned_after_rollback FROM cjo.arm_results WHERE journey = 'l_bandit';
SELECT cjo_advance('2026-04-15 10:00+00');
SELECT count(*) AS deltas_left, (SELECT sum(assigned) FROM cjo.arm_stats) AS folded_assigned FROM cjo.arm_deltas;
-- A conversion credits the arm of its own run only: a purchase from a
-- customer who never went through the split credits nothing.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('never-entered', 'purchase', '2026-04-15 11:00+00');
SELECT sum(converted) = (SELECT count(*) FROM l_days WHERE converted) AS credits_unchanged FROM cjo.arm_results WHERE journey = 'l_bandit';

-- 6. next_best_action by score: eligibility, scores from the profile,
-- ties, a missing score, nothing eligible.
INSERT INTO cjo.customers (customer_id, attributes) VALUES
  ('n1', '{"credit": 750, "card": 0.8, "loan": 0.3}'),
  ('n2', '{"credit": 750, "card": 0.2, "loan": 0.6}'),
  ('n3', '{"credit": 600, "card": 0.9}'),
  ('n4', '{"credit": 600}'),
  ('n5', '{"credit": 750, "card": 0.5, "loan": 0.5}'),
  ('n6', '{"credit": 750, "card": "high", "loan": 0.1}');
SELECT cjo_publish('{"name": "l_nba", "entry": {"event": "visit"}, "goal": {"event": "applied"}, "start": "best",
  "nodes": {"best": {"type": "next_best_action", "candidates": [
               {"name": "card", "when": "$.profile.credit >= 700", "score": "$.profile.card", "next": "send"},
               {"name": "loan", "score": "$.profile.loan * $.event.properties.boost", "next": "send"}],
             "else": "nothing"},
            "send": {"type": "action", "channel": "email", "template": "offer", "payload": {"offer": "{{$.journey.best}}"}, "next": "done"},
            "nothing": {"type": "exit"}, "done": {"type": "exit"}}}') IS NOT NULL AS published;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
SELECT 'n' || i, 'visit', '{"boost": 1}', '2026-05-01 10:00+00' FROM generate_series(1, 6) i;
SELECT s.customer_id, s.data,
       (SELECT t.choice || ' -> ' || t.to_node FROM cjo.transitions t
         WHERE t.customer_id = s.customer_id AND t.journey = 'l_nba' AND t.from_node = 'best') AS went,
       (SELECT a.payload ->> 'offer' FROM cjo.actions a WHERE a.customer_id = s.customer_id AND a.journey_id = s.journey_id) AS offer
  FROM cjo.journey_state s JOIN cjo.journeys j USING (journey_id)
 WHERE j.name = 'l_nba' ORDER BY 1;
-- Goals credit the candidate chosen; counts by candidate.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('n1', 'applied', '2026-05-02 10:00+00'), ('n4', 'applied', '2026-05-02 10:00+00');
SELECT arm, assigned, converted FROM cjo.arm_results WHERE journey = 'l_nba' ORDER BY arm;

-- 7. next_best_action by conversion: learns which offer converts, among
-- the eligible ones; a score multiplies the rate (an expected value).
SELECT cjo_publish('{"name": "l_nba_learn", "entry": {"event": "visit2"}, "goal": {"event": "bought"}, "start": "pick",
  "nodes": {"pick": {"type": "next_best_action", "choose_by": "conversion", "seed": 5, "min_share": 0.02, "candidates": [
               {"name": "cheap", "score": "1", "next": "done"},
               {"name": "premium", "score": "3", "next": "done"},
               {"name": "vip_only", "when": "$.profile.vip == true", "next": "done"}],
             "else": "done"},
            "done": {"type": "exit"}}}') IS NOT NULL AS published;
-- Known counts: cheap converts 30%, premium 15% (worth 3x, so 45% in value), vip_only 50%.
INSERT INTO cjo.arm_stats (journey_id, node, arm, assigned, converted)
SELECT journey_id, 'pick', arm, 1000, c FROM cjo.journeys, (VALUES ('cheap', 300), ('premium', 150), ('vip_only', 500)) v(arm, c)
 WHERE name = 'l_nba_learn';
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'm' || i, 'visit2', '2026-05-03 10:00+00' FROM generate_series(1, 400) i;
-- Nobody is a VIP: vip_only is never eligible; premium wins on value, cheap keeps its 2%.
SELECT t.choice, count(*) FROM cjo.transitions t WHERE t.journey = 'l_nba_learn' AND t.from_node = 'pick' GROUP BY 1 ORDER BY 1;

-- 8. Simulation runs the learning nodes without counting anything.
SELECT count(*) AS deltas_before FROM cjo.arm_deltas \gset
SELECT cjo_simulate((SELECT graph FROM cjo.journey_versions v JOIN cjo.journeys j USING (journey_id) WHERE j.name = 'l_bandit'),
                    '2026-03-01', '2026-03-05') ->> 'runs' AS simulated_runs;
SELECT count(*) = :deltas_before AS no_new_deltas FROM cjo.arm_deltas;

-- 9. Diagrams draw both kinds: learned shares, candidates with their
-- conditions and scores, and the counts of every edge.
SELECT cjo_diagram('l_bandit', 'mermaid');
SELECT cjo_diagram('l_nba', 'mermaid');

-- The funnel counts a next_best_action as an immediate step (no time spent there).
SELECT node, node_type, entered, moved_on, median_time FROM cjo.journey_funnel WHERE journey = 'l_nba' ORDER BY node_index;

-- Clean up.
SELECT cjo_archive(name) FROM cjo.journeys WHERE name LIKE 'l\_%' ORDER BY name;
TRUNCATE cjo.events, cjo.journey_state, cjo.history, cjo.actions, cjo.customers, cjo.arm_stats, cjo.arm_deltas RESTART IDENTITY;
RESET cjo.learning_refresh;
