-- The analytics rollup (cjo_refresh_analytics): the funnel, cjo.runs,
-- cjo.journey_edges and cjo.experiment_results read from the rollup must be
-- exactly what the from-history computation gives, after a first refresh,
-- between refreshes (live correction), after incremental refreshes, and
-- after deletes and updates of the history (erasure, identity merge).
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;

-- Every view, both ways: rows in one and not the other (with multiplicity).
CREATE FUNCTION pg_temp.rollup_diff() RETURNS TABLE (what text, differing bigint) LANGUAGE sql AS $$
    SELECT 'funnel ' || coalesce(b, 'none') || coalesce(' stalled ' || s, ''),
           (SELECT count(*) FROM ((SELECT * FROM cjo_journey_funnel(breakdown => b, stalled_after => s::interval)
                                   EXCEPT ALL SELECT * FROM cjo.journey_funnel_from_history(breakdown => b, stalled_after => s::interval))
                                  UNION ALL
                                  (SELECT * FROM cjo.journey_funnel_from_history(breakdown => b, stalled_after => s::interval)
                                   EXCEPT ALL SELECT * FROM cjo_journey_funnel(breakdown => b, stalled_after => s::interval))) x)
      FROM (VALUES (NULL, NULL), ('entry_week', NULL), ('variant', '1 day'), (NULL, '0 seconds')) AS v(b, s)
    UNION ALL
    SELECT 'runs', (SELECT count(*) FROM ((SELECT * FROM cjo.runs EXCEPT ALL SELECT * FROM cjo.runs_from_history)
                                          UNION ALL (SELECT * FROM cjo.runs_from_history EXCEPT ALL SELECT * FROM cjo.runs)) x)
    UNION ALL
    SELECT 'edges', (SELECT count(*) FROM ((SELECT * FROM cjo.journey_edges EXCEPT ALL SELECT * FROM cjo.journey_edges_from_history)
                                           UNION ALL (SELECT * FROM cjo.journey_edges_from_history EXCEPT ALL SELECT * FROM cjo.journey_edges)) x)
    UNION ALL
    SELECT 'experiments', (SELECT count(*) FROM ((SELECT * FROM cjo.experiment_results EXCEPT ALL SELECT * FROM cjo.experiment_results_from_history)
                                                 UNION ALL (SELECT * FROM cjo.experiment_results_from_history EXCEPT ALL SELECT * FROM cjo.experiment_results)) x)
    UNION ALL
    -- The rollup's two tables of runs hold the same runs.
    SELECT 'run tables', (SELECT count(*) FROM cjo.analytics_runs r
                            FULL JOIN cjo.analytics_run_facts f USING (customer_id, journey_id, version, run)
                           WHERE r.customer_id IS NULL OR f.customer_id IS NULL OR r.has_state <> f.has_state
                              OR r.outcome IS DISTINCT FROM f.outcome OR r.last_node IS DISTINCT FROM f.last_node)
$$;
-- The same, but only the rows that differ, for reading.
CREATE FUNCTION pg_temp.rollup_check() RETURNS TABLE (what text, differing bigint) LANGUAGE sql AS $$
    SELECT 'all views' AS what, sum(differing)::bigint FROM pg_temp.rollup_diff()
$$;

-- Before any refresh the views read the history (nothing to compare yet).
SELECT count(*) AS refreshes FROM cjo.analytics_refresh;

SELECT cjo_publish('{"name": "ru_welcome", "entry": {"event": "visit"},
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
SELECT cjo_publish('{"name": "ru_ab", "entry": {"event": "signup"},
    "goal": {"event": "buy", "within": "30 days"},
    "start": "ab",
    "nodes": {
      "ab": {"type": "split", "variants": [
          {"name": "treat", "weight": 50, "next": "mail"},
          {"name": "hold", "weight": 50, "next": "pause", "control": true}]},
      "mail": {"type": "action", "channel": "email", "template": "welcome", "next": "pause"},
      "pause": {"type": "wait", "duration": "2 days", "next": "done"},
      "done": {"type": "exit"}}}');
-- Re-entry at any time: a second visit restarts the run.
SELECT cjo_publish('{"name": "ru_again", "entry": {"event": "visit"},
    "reentry": {"policy": "always"},
    "start": "pause",
    "nodes": {
      "pause": {"type": "wait", "duration": "3 hours", "next": "done"},
      "done": {"type": "exit"}}}');

-- Week 1: ten welcome visitors, forty signups, re-entries.
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'w' || i, 'visit', timestamptz '2026-01-05 10:00+00' + i * interval '7 hours' FROM generate_series(1, 10) i;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('w1', 'click', '2026-01-05 18:00+00'),     -- w1 clicks after 1 h: offer, done
    ('w1', 'buy',   '2026-01-05 19:00+00'),     -- and buys after the run completed
    ('w2', 'stop',  '2026-01-06 01:30+00'),     -- exits while waiting
    ('w3', 'buy',   '2026-01-06 08:00+00'),     -- converts while waiting
    ('w3', 'click', '2026-01-06 09:00+00');
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'a' || i, 'signup', timestamptz '2026-01-06 09:00+00' + i * interval '5 minutes' FROM generate_series(1, 40) i;
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'a' || i, 'buy', timestamptz '2026-01-07 12:00+00' + i * interval '1 minute' FROM generate_series(1, 40) i WHERE i % 3 = 0;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('w1', 'visit', '2026-01-07 10:00+00'), ('w1', 'visit', '2026-01-07 11:00+00'),
    ('w4', 'visit', '2026-01-08 10:00+00');
SELECT cjo_advance('2026-01-07 12:30+00');

SELECT * FROM pg_temp.rollup_check();   -- no rollup yet: both read the history

-- The first refresh builds the rollup from the whole history.
SELECT cjo_refresh_analytics() > 0 AS built;
SELECT full_build, timezone FROM cjo.analytics_refresh;
SELECT count(*) AS changed_since FROM cjo.analytics_changed_pairs();
SELECT r.outcome, count(*) FROM cjo.analytics_runs r JOIN cjo.journeys j USING (journey_id)
 WHERE j.name LIKE 'ru\_%' AND r.has_state GROUP BY 1 ORDER BY 1;
SELECT * FROM pg_temp.rollup_diff() WHERE differing <> 0;
SELECT * FROM pg_temp.rollup_check();
-- What the rollup answers (the welcome funnel and the experiment).
SELECT node, entered, waiting, moved_on, ended, completed, converted, dropped, median_time, p90_time
  FROM cjo_journey_funnel('ru_welcome');
SELECT variant, entered, converted FROM cjo.experiment_results WHERE journey = 'ru_ab' ORDER BY variant;

-- Between refreshes: runs end (time-outs, clicks), new runs start, a
-- completed run converts late, a run re-enters. The views see all of it at
-- once, from the rollup corrected by the changed customer-journeys.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('w5', 'click', '2026-01-07 12:40+00'),
    ('w6', 'buy',   '2026-01-07 12:40+00'),
    ('w7', 'visit', '2026-01-07 12:45+00'),     -- w7 re-enters ru_again (restarted)
    ('w8', 'stop',  '2026-01-07 12:50+00');
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'a' || i, 'buy', '2026-01-07 13:00+00' FROM generate_series(1, 40) i WHERE i % 5 = 0;
SELECT cjo_advance('2026-01-08 09:00+00');
SELECT count(*) > 0 AS some_changed FROM cjo.analytics_changed_pairs();
SELECT * FROM pg_temp.rollup_diff() WHERE differing <> 0;
SELECT * FROM pg_temp.rollup_check();

-- The second refresh recomputes only what changed; a third has nothing to do.
SELECT (SELECT count(*) FROM cjo.analytics_changed_pairs()) AS changed, (SELECT count(*) FROM cjo.journey_state) AS states;
SELECT cjo_refresh_analytics() AS recomputed;
SELECT full_build FROM cjo.analytics_refresh;
SELECT count(*) AS changed_since FROM cjo.analytics_changed_pairs();
SELECT * FROM pg_temp.rollup_check();
SELECT cjo_refresh_analytics() AS recomputed;
SELECT * FROM pg_temp.rollup_check();
SELECT node, entered, waiting, moved_on, ended, completed, converted, dropped, median_time, p90_time
  FROM cjo_journey_funnel('ru_welcome');
-- The rest of the time-outs, after the refresh.
SELECT cjo_advance('2026-01-09 12:00+00');
SELECT * FROM pg_temp.rollup_check();

-- A run that ends between refreshes, in the same transaction as a refresh.
BEGIN;
SELECT cjo_refresh_analytics() AS recomputed;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('w4', 'click', '2026-01-09 13:00+00');
SELECT * FROM pg_temp.rollup_check();
COMMIT;
SELECT * FROM pg_temp.rollup_check();

-- A refresh must run at READ COMMITTED: under REPEATABLE READ its snapshot
-- would be older than its lock, and miss what committed while it waited.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT cjo_refresh_analytics();
ROLLBACK;

-- Deletes and updates: an erasure and an identity merge, before and after a refresh.
SELECT count(*) > 0 AS forgotten FROM cjo_forget_customer('w2');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('anon-1', 'visit', '2026-01-09 14:00+00');
SELECT count(*) FROM cjo_identify('anon-1', 'w9');
SELECT count(*) > 0 AS noted FROM cjo.analytics_dirty;
SELECT * FROM pg_temp.rollup_check();
SELECT cjo_refresh_analytics() > 0 AS refreshed;
SELECT count(*) AS noted FROM cjo.analytics_dirty;
SELECT * FROM pg_temp.rollup_check();

-- A migration into a new version, and a version's runs waiting (stalled).
SELECT cjo_publish('{"name": "ru_ab", "entry": {"event": "signup"},
    "goal": {"event": "buy", "within": "30 days"},
    "start": "ab",
    "nodes": {
      "ab": {"type": "split", "variants": [
          {"name": "treat", "weight": 50, "next": "mail"},
          {"name": "hold", "weight": 50, "next": "pause", "control": true}]},
      "mail": {"type": "action", "channel": "email", "template": "welcome", "next": "pause"},
      "pause": {"type": "wait", "duration": "5 days", "next": "done"},
      "done": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'b' || i, 'signup', timestamptz '2026-01-09 15:00+00' + i * interval '1 minute' FROM generate_series(1, 12) i;
SELECT cjo_publish('{"name": "ru_ab", "entry": {"event": "signup"},
    "goal": {"event": "buy", "within": "30 days"},
    "start": "ab",
    "nodes": {
      "ab": {"type": "split", "variants": [
          {"name": "treat", "weight": 50, "next": "mail"},
          {"name": "hold", "weight": 50, "next": "pause", "control": true}]},
      "mail": {"type": "action", "channel": "email", "template": "welcome", "next": "pause"},
      "pause": {"type": "wait", "duration": "6 days", "next": "done"},
      "done": {"type": "exit"}}}');
SELECT sum(customers) AS migrated FROM cjo_migrate('ru_ab');
SELECT * FROM pg_temp.rollup_check();
SELECT cjo_refresh_analytics() > 0 AS refreshed;
SELECT * FROM pg_temp.rollup_check();
SELECT r.outcome, count(*) FROM cjo.runs r JOIN cjo.journeys j USING (journey_id)
 WHERE j.name LIKE 'ru\_%' GROUP BY 1 ORDER BY 1;
-- Runs of one journey entered in a period are read by the index on journey
-- and entry time, through the view (sequential scans off: the tables here
-- are small enough for them to win otherwise).
CREATE FUNCTION pg_temp.plan_mentions(query text, word text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        IF strpos(line, word) > 0 THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END
$$;
SET enable_seqscan = off;
SELECT pg_temp.plan_mentions(format('SELECT outcome, count(*) FROM cjo.runs WHERE journey_id = %s AND entered_at >= %L GROUP BY 1',
                                    (SELECT journey_id FROM cjo.journeys WHERE name = 'ru_welcome'), '2025-01-01'),
                             'analytics_runs_journey') AS by_journey_index;
-- ... and the changed customer-journeys are left out through a hash table
-- built once, not by scanning them again for every run.
SELECT pg_temp.plan_mentions(format('SELECT outcome, count(*) FROM cjo.runs WHERE journey_id = %s AND entered_at >= %L GROUP BY 1',
                                    (SELECT journey_id FROM cjo.journeys WHERE name = 'ru_welcome'), '2025-01-01'),
                             'hashed SubPlan') AS changed_hashed;
RESET enable_seqscan;

-- A full rebuild gives the same rollup as the incremental refreshes did.
CREATE TEMP TABLE before AS SELECT * FROM cjo.analytics_node_counts;
SELECT cjo_refresh_analytics(full_rebuild => true) > 0 AS rebuilt;
SELECT count(*) AS differing FROM ((TABLE before EXCEPT ALL TABLE cjo.analytics_node_counts)
                                   UNION ALL (TABLE cjo.analytics_node_counts EXCEPT ALL TABLE before)) x;

-- Weeks asked for in another time zone than the refresh's: from the history.
SET timezone = 'Pacific/Chatham';
SELECT count(*) AS differing FROM ((SELECT * FROM cjo_journey_funnel(breakdown => 'entry_week')
                                    EXCEPT ALL SELECT * FROM cjo.journey_funnel_from_history(breakdown => 'entry_week'))
                                   UNION ALL
                                   (SELECT * FROM cjo.journey_funnel_from_history(breakdown => 'entry_week')
                                    EXCEPT ALL SELECT * FROM cjo_journey_funnel(breakdown => 'entry_week'))) x;
-- A refresh there rebuilds the rollup with its weeks.
SELECT cjo_refresh_analytics() > 0 AS rebuilt;
SELECT full_build, timezone FROM cjo.analytics_refresh;
SELECT * FROM pg_temp.rollup_check();
SET timezone = 'UTC';

-- Truncating the history empties the rollup: the views read the history again.
SELECT cjo_archive('ru_welcome'), cjo_archive('ru_ab'), cjo_archive('ru_again');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
SELECT (SELECT count(*) FROM cjo.analytics_refresh) AS refreshes, (SELECT count(*) FROM cjo.analytics_runs) AS runs;
