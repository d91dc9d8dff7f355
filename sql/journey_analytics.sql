-- Journey analytics: funnel per node, edges, paths, experiments. Every number
-- below is worked out by hand from the events in this file.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
SELECT cjo_publish('{"name": "ja_funnel", "entry": {"event": "visit"},
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
--   A clicks after 1 h (hello > wait > offer > done), buys 1 h later, after the run completed;
--   B never clicks: times out after 1 day (> bye);
--   C stops after 1 h while waiting (exit event at wait);
--   D arrives late and is still waiting;
--   E buys while waiting (goal without exit) and still waits.
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

-- Runs: where each ended, and how.
SELECT customer_id, run, entered_at, last_at, last_node, converted_at, outcome
  FROM cjo.runs ORDER BY customer_id;

-- The funnel, by hand:
--   hello: all 5 pass (immediate node: 0 time), from entry 5/5, from previous 5/5 (start node: all runs).
--   wait:  5 entered; D and E wait; A (click) and B (time-out) moved on; C ended there (exit event)
--          and dropped; E converted there; from previous 5/5 (hello).
--          Stays: A 1 h, B 24 h, C 1 h (D, E still waiting): median 1 h,
--          p90 = 1 h + 0.8 * 23 h = 19:24.
--   offer: A only: 1/5 from entry, 1/5 from previous (the 5 runs that reached wait).
--   bye:   B completed there without the goal: dropped.  Exit nodes have no time.
--   done:  A completed there and converted there (the purchase came after): not dropped;
--          1/1 from previous (offer).
SELECT node_index, node, node_type, entered, waiting, stalled, moved_on, ended, completed, converted, dropped,
       conversion_from_entry, conversion_from_previous, median_time, p90_time
  FROM cjo_journey_funnel('ja_funnel');

-- The view is the function without parameters.
SELECT count(*) FROM (SELECT * FROM cjo.journey_funnel WHERE journey = 'ja_funnel'
                      EXCEPT SELECT * FROM cjo_journey_funnel('ja_funnel')) d;

-- Stalled: waiting at the node for longer than the threshold, now() being far
-- after January: D and E count as stalled and dropped at wait (2 + C).
SELECT node, waiting, stalled, dropped FROM cjo_journey_funnel('ja_funnel', stalled_after => '7 days')
 WHERE node = 'wait';

-- By entry week: B entered in ISO week 2026-W01 (Sunday 4 January), the others in 2026-W02.
SELECT segment, node, entered, waiting, moved_on, ended, converted, dropped, conversion_from_entry
  FROM cjo_journey_funnel('ja_funnel', breakdown => 'entry_week')
 WHERE entered > 0;

-- Edges for a Sankey diagram: C's exit event leaves from wait; A and B ended at exit nodes.
SELECT source, target, transitions, runs FROM cjo.journey_edges WHERE journey = 'ja_funnel' ORDER BY source, target;

-- Paths of finished runs, most common first (one run each, so in name order).
SELECT version, path, outcome, runs, round(share::numeric, 4) AS share, converted, conversion_rate, median_duration
  FROM cjo_journey_paths('ja_funnel');
SELECT path, outcome, runs FROM cjo_journey_paths('ja_funnel', include_active => true, max_paths => 2);

-- Bad parameters.
\set VERBOSITY sqlstate
SELECT * FROM cjo_journey_funnel('ja_funnel', breakdown => 'month');
SELECT * FROM cjo_journey_funnel('no_such_journey');
SELECT * FROM cjo_journey_funnel('ja_funnel', stalled_after => '-1 day');
SELECT * FROM cjo_journey_paths('no_such_journey');
SELECT * FROM cjo_journey_paths('ja_funnel', max_paths => 0);
\set VERBOSITY default

------------------------------------------------------------------------------
-- Experiments.
------------------------------------------------------------------------------
-- The statistics, against values worked out by hand:
-- two-proportion z-test, 200/1000 against 250/1000: pooled p = 450/2000 = 0.225,
-- se = sqrt(0.225 * 0.775 * 2/1000) = 0.0186748, z = 0.05 / se = 2.67740,
-- two-sided p = erfc(z / sqrt 2) = 0.0074196.
SELECT round(cjo.two_proportion_p_value(200, 1000, 250, 1000)::numeric, 7);
-- Symmetric, and undefined without variance or without trials.
SELECT cjo.two_proportion_p_value(250, 1000, 200, 1000) = cjo.two_proportion_p_value(200, 1000, 250, 1000);
SELECT cjo.two_proportion_p_value(0, 10, 0, 10) IS NULL, cjo.two_proportion_p_value(0, 0, 1, 10) IS NULL;
-- Probability to beat, closed form (Evan Miller, "Formulas for Bayesian A/B testing", 2015):
-- control 1/10 (Beta(2, 10)), variant 3/10 (Beta(4, 8)): with exact fractions the sum is
-- 337/399 = 0.8446115...; equal data gives 1/2; swapping the two gives 1 - p.
SELECT round(cjo.probability_to_beat(1, 10, 3, 10)::numeric, 10), round((337 / 399.0)::numeric, 10);
SELECT cjo.probability_to_beat(0, 0, 0, 0), cjo.probability_to_beat(7, 20, 7, 20);
SELECT round((cjo.probability_to_beat(3, 10, 1, 10) + cjo.probability_to_beat(1, 10, 3, 10))::numeric, 12);
-- 200/1000 against 250/1000: the normal approximation gives 0.99637; the closed form:
SELECT round(cjo.probability_to_beat(200, 1000, 250, 1000)::numeric, 4);
\set VERBOSITY sqlstate
SELECT cjo.probability_to_beat(11, 10, 1, 10);
SELECT cjo.two_proportion_p_value(-1, 10, 1, 10);
\set VERBOSITY default

-- A journey with a split: variant "treat" against control "hold".
SELECT cjo_publish('{"name": "ja_ab", "entry": {"event": "signup"},
    "goal": {"event": "buy", "within": "30 days"},
    "start": "ab",
    "nodes": {
      "ab": {"type": "split", "variants": [
          {"name": "treat", "weight": 50, "next": "mail"},
          {"name": "hold", "weight": 50, "next": "done", "control": true}]},
      "mail": {"type": "action", "channel": "email", "template": "welcome", "next": "done"},
      "done": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'ab-' || i, 'signup', '2026-02-01 10:00+00' FROM generate_series(1, 200) i;
-- Buyers: in "treat", every customer whose number is a multiple of 3; in "hold",
-- every multiple of 4.
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT a.customer_id, 'buy', '2026-02-02 10:00+00'
  FROM cjo.experiment_assignments a
  JOIN cjo.journey_choices c ON c.journey_id = a.journey_id AND c.version = a.version
                            AND c.node_index = a.node_index AND c.choice = a.choice
 WHERE c.journey = 'ja_ab'
   AND split_part(a.customer_id, '-', 2)::int % CASE c.label WHEN 'treat' THEN 3 ELSE 4 END = 0;
-- The split is stable and close to 50/50; the counts the results must show:
SELECT c.label, count(*) AS runs,
       count(*) FILTER (WHERE split_part(a.customer_id, '-', 2)::int % CASE c.label WHEN 'treat' THEN 3 ELSE 4 END = 0) AS buyers
  FROM cjo.experiment_assignments a
  JOIN cjo.journey_choices c ON c.journey_id = a.journey_id AND c.version = a.version
                            AND c.node_index = a.node_index AND c.choice = a.choice
 WHERE c.journey = 'ja_ab'
 GROUP BY 1 ORDER BY 1;
-- By hand from 22/103 (hold) and 33/97 (treat): rates 0.21359 and 0.34021, lift 0.34021/0.21359 - 1
-- = 0.5928; difference 0.12662 +- 1.96 * sqrt(0.21359*0.78641/103 + 0.34021*0.65979/97) = 0.0035 .. 0.2497,
-- divided by 0.21359: lift 0.0164 .. 1.1691; pooled z-test p = 0.04505; probability to beat 0.9769
-- (a 300 000-draw simulation of the two Beta posteriors gives 0.9766).
SELECT split_node, variant, baseline, entered, converted, round(conversion_rate::numeric, 4) AS rate,
       round(lift::numeric, 4) AS lift, round(lift_ci_low::numeric, 4) AS lift_low, round(lift_ci_high::numeric, 4) AS lift_high,
       round(difference::numeric, 4) AS diff, round(difference_ci_low::numeric, 4) AS diff_low,
       round(difference_ci_high::numeric, 4) AS diff_high,
       round(p_value::numeric, 6) AS p_value, round(probability_to_beat_baseline::numeric, 6) AS p_beat
  FROM cjo.experiment_results WHERE journey = 'ja_ab';
-- The same figures from the statistics functions on the counts above.
SELECT round(cjo.two_proportion_p_value(h.converted, h.entered, t.converted, t.entered)::numeric, 6) AS p_value,
       round(((t.converted::float8 / t.entered) / (h.converted::float8 / h.entered) - 1)::numeric, 4) AS lift
  FROM cjo.experiment_results t, cjo.experiment_results h
 WHERE t.journey = 'ja_ab' AND h.journey = 'ja_ab' AND t.variant = 'treat' AND h.variant = 'hold';
-- The funnel by variant: each variant's runs only.
SELECT segment, node, entered, converted, conversion_from_entry
  FROM cjo_journey_funnel('ja_ab', breakdown => 'variant') WHERE entered > 0;

SELECT cjo_archive('ja_funnel'), cjo_archive('ja_ab');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
