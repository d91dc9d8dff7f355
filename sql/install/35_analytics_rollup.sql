
------------------------------------------------------------------------------
-- Analytics rollup: the journey funnel, cjo.runs, cjo.journey_edges and
-- cjo.experiment_results over millions of history rows in interactive time.
--
-- cjo_refresh_analytics() folds every run into cjo.analytics_runs (one row
-- per run, what cjo.runs shows), cjo.analytics_run_facts (what the funnel,
-- the edges and the experiments count about it) and small per-node
-- aggregates. The views read the aggregates and correct them, at query
-- time, for the customer-journeys that changed since
-- the refresh: those are recomputed from cjo.history, and their rows of the
-- rollup subtracted. Results are therefore always current and exactly equal
-- to the from-history computation (cjo.*_from_history), whenever the
-- refresh last ran; the refresh only bounds how much is recomputed live.
--
-- What changed since the refresh, without any work on the insert path:
--  * every move the engine records updates the run's cjo.journey_state row
--    in the same transaction (its step counter), so a customer-journey whose
--    history grew has a journey_state row written by a transaction that the
--    refresh's snapshot did not see: cjo.analytics_changed() tests that on
--    the row's xmin against the saved snapshot. A snapshot, not a time or an
--    id watermark: a transaction that wrote smaller ids or earlier times but
--    committed after the refresh read is still seen as not visible, so no
--    move is ever skipped. Transaction ids are widened against the next id,
--    so that wraparound can only make a row look changed, never unchanged.
--  * deletes and updates of history and deletes of states (purges, erasure,
--    identity merges, simulations) are rare: statement triggers note the
--    customer-journeys they touch in cjo.analytics_dirty. A TRUNCATE of
--    either table empties the rollup (views fall back to the history until
--    the next refresh).
-- Before the first refresh, and for an entry_week breakdown in a time zone
-- other than the refresh's, the views compute everything from the history.
------------------------------------------------------------------------------

CREATE TABLE cjo.analytics_refresh (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    snapshot     pg_snapshot NOT NULL,
    refresher    xid8 NOT NULL,
    timezone     text NOT NULL,
    refreshed_at timestamptz NOT NULL,
    full_build   boolean NOT NULL,
    recomputed   bigint NOT NULL,
    duration     interval NOT NULL
);
COMMENT ON TABLE cjo.analytics_refresh IS 'The last cjo_refresh_analytics(): the snapshot the rollup reflects (one row, none before the first refresh)';
COMMENT ON COLUMN cjo.analytics_refresh.singleton IS 'Always true: the table has at most one row';
COMMENT ON COLUMN cjo.analytics_refresh.snapshot IS 'Snapshot taken before the refresh read the history: customer-journeys whose state a transaction it does not see wrote are recomputed live';
COMMENT ON COLUMN cjo.analytics_refresh.refresher IS 'The refreshing transaction: what it (or its subtransactions) wrote counts as changed';
COMMENT ON COLUMN cjo.analytics_refresh.timezone IS 'TimeZone setting the entry weeks of the rollup were computed in';
COMMENT ON COLUMN cjo.analytics_refresh.refreshed_at IS 'When the refresh ran';
COMMENT ON COLUMN cjo.analytics_refresh.full_build IS 'Whether it rebuilt the rollup from the whole history';
COMMENT ON COLUMN cjo.analytics_refresh.recomputed IS 'Customer-journeys it recomputed';
COMMENT ON COLUMN cjo.analytics_refresh.duration IS 'How long it took';

CREATE TABLE cjo.analytics_dirty (
    customer_id text NOT NULL,
    journey_id  integer NOT NULL
);
COMMENT ON TABLE cjo.analytics_dirty IS 'Customer-journeys whose history or state a delete or an update touched since the last refresh (filled by statement triggers, emptied by the refresh)';
COMMENT ON COLUMN cjo.analytics_dirty.customer_id IS 'The customer';
COMMENT ON COLUMN cjo.analytics_dirty.journey_id IS 'The journey';

-- One row per run, in two tables: what cjo.runs shows (narrow, so that a
-- query over every run reads little), and what the aggregates are folded
-- from (the per-node facts, flows and split assignments, four times wider),
-- which queries only read for the customer-journeys changed since the refresh.
CREATE TABLE cjo.analytics_runs (
    customer_id   text NOT NULL,
    journey_id    integer NOT NULL,
    version       integer NOT NULL,
    run           integer NOT NULL,
    has_state     boolean NOT NULL,
    entered_at    timestamptz,
    last_at       timestamptz,
    last_node     smallint,
    converted_at  timestamptz,
    outcome       text,
    nodes         smallint[],
    PRIMARY KEY (customer_id, journey_id, version, run)
);
COMMENT ON TABLE cjo.analytics_runs IS 'Rollup: one row per run as of the last refresh, what cjo.runs shows of it';
COMMENT ON COLUMN cjo.analytics_runs.customer_id IS 'The customer';
COMMENT ON COLUMN cjo.analytics_runs.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.analytics_runs.version IS 'The journey version';
COMMENT ON COLUMN cjo.analytics_runs.run IS 'Entry count of the run';
COMMENT ON COLUMN cjo.analytics_runs.has_state IS 'Whether the customer has a journey_state row for the journey (runs without one count only for edges and experiments, as in the history views)';
COMMENT ON COLUMN cjo.analytics_runs.entered_at IS 'As cjo.runs.entered_at';
COMMENT ON COLUMN cjo.analytics_runs.last_at IS 'As cjo.runs.last_at';
COMMENT ON COLUMN cjo.analytics_runs.last_node IS 'As cjo.runs.last_node';
COMMENT ON COLUMN cjo.analytics_runs.converted_at IS 'As cjo.runs.converted_at';
COMMENT ON COLUMN cjo.analytics_runs.outcome IS 'As cjo.runs.outcome (NULL without state)';
COMMENT ON COLUMN cjo.analytics_runs.nodes IS 'As cjo.runs.nodes';
-- cjo.runs filtered by journey (and entry time), what a BI tool asks most,
-- reads only those runs instead of the whole rollup.
CREATE INDEX analytics_runs_journey ON cjo.analytics_runs (journey_id, entered_at);

CREATE TABLE cjo.analytics_run_facts (
    customer_id   text NOT NULL,
    journey_id    integer NOT NULL,
    version       integer NOT NULL,
    run           integer NOT NULL,
    has_state     boolean NOT NULL,
    last_node     smallint,
    outcome       text,
    waiting_since timestamptz,
    week          text,
    facts         bigint[],
    edges         integer[],
    assignments   integer[],
    PRIMARY KEY (customer_id, journey_id, version, run)
);
COMMENT ON TABLE cjo.analytics_run_facts IS 'Rollup: one row per run as of the last refresh, with what the funnel, the edges and the experiments count about it (the aggregates are its sums)';
COMMENT ON COLUMN cjo.analytics_run_facts.customer_id IS 'The customer';
COMMENT ON COLUMN cjo.analytics_run_facts.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.analytics_run_facts.version IS 'The journey version';
COMMENT ON COLUMN cjo.analytics_run_facts.run IS 'Entry count of the run';
COMMENT ON COLUMN cjo.analytics_run_facts.has_state IS 'As cjo.analytics_runs.has_state';
COMMENT ON COLUMN cjo.analytics_run_facts.last_node IS 'As cjo.runs.last_node';
COMMENT ON COLUMN cjo.analytics_run_facts.outcome IS 'As cjo.runs.outcome (NULL without state)';
COMMENT ON COLUMN cjo.analytics_run_facts.waiting_since IS 'For a run active in this version: when it reached its node (for stalled counts)';
COMMENT ON COLUMN cjo.analytics_run_facts.week IS 'ISO week of the entry in cjo.analytics_refresh.timezone (the entry_week breakdown)';
COMMENT ON COLUMN cjo.analytics_run_facts.facts IS 'cjo.run_facts() of the run (NULL if the funnel does not count it: no state, or its version is gone)';
COMMENT ON COLUMN cjo.analytics_run_facts.edges IS 'Node-to-node flows of the run: {from, to, transitions} rows, -1 for no node';
COMMENT ON COLUMN cjo.analytics_run_facts.assignments IS 'Splits the run passed: {split node, variant, 1 if it reached the goal afterwards} rows';

-- What cjo.analytics_compute() returns about a run: both rows at once.
CREATE TYPE cjo.analytics_run AS (
    customer_id   text,
    journey_id    integer,
    version       integer,
    run           integer,
    has_state     boolean,
    entered_at    timestamptz,
    last_at       timestamptz,
    last_node     smallint,
    converted_at  timestamptz,
    outcome       text,
    nodes         smallint[],
    waiting_since timestamptz,
    week          text,
    facts         bigint[],
    edges         integer[],
    assignments   integer[]
);
COMMENT ON TYPE cjo.analytics_run IS 'A run as cjo.analytics_compute() computes it from the history: the columns of cjo.analytics_runs and of cjo.analytics_run_facts';

-- The aggregates are keyed by entry week and first split variant, so that
-- both breakdowns (and none) are sums over them.
CREATE TABLE cjo.analytics_node_counts (
    journey_id        integer NOT NULL,
    version           integer NOT NULL,
    week              text,
    split_node        smallint NOT NULL,
    split_choice      smallint NOT NULL,
    node              smallint NOT NULL,
    runs              bigint NOT NULL,
    entered           bigint NOT NULL,
    waiting           bigint NOT NULL,
    moved_on          bigint NOT NULL,
    ended             bigint NOT NULL,
    completed         bigint NOT NULL,
    converted         bigint NOT NULL,
    ended_unconverted bigint NOT NULL,
    runs_before       bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (journey_id, version, week, split_node, split_choice, node)
);
COMMENT ON TABLE cjo.analytics_node_counts IS 'Rollup: funnel counts per journey version, entry week, first split variant and node, over the runs of cjo.analytics_run_facts the funnel counts';
COMMENT ON COLUMN cjo.analytics_node_counts.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.analytics_node_counts.version IS 'The journey version';
COMMENT ON COLUMN cjo.analytics_node_counts.week IS 'ISO entry week (NULL for runs without an entry move: migrated in)';
COMMENT ON COLUMN cjo.analytics_node_counts.split_node IS 'First split node the runs passed, -1 for none';
COMMENT ON COLUMN cjo.analytics_node_counts.split_choice IS 'Variant taken there, -1 for none';
COMMENT ON COLUMN cjo.analytics_node_counts.node IS 'Node index; -1 for the row that counts the runs themselves';
COMMENT ON COLUMN cjo.analytics_node_counts.runs IS 'Runs (on the node -1 row only)';
COMMENT ON COLUMN cjo.analytics_node_counts.entered IS 'Runs that reached the node';
COMMENT ON COLUMN cjo.analytics_node_counts.waiting IS 'Runs at the node (active) at the refresh';
COMMENT ON COLUMN cjo.analytics_node_counts.moved_on IS 'Runs that went on from the node';
COMMENT ON COLUMN cjo.analytics_node_counts.ended IS 'Runs that ended at the node';
COMMENT ON COLUMN cjo.analytics_node_counts.completed IS 'Runs that ended at the node because it is an exit node';
COMMENT ON COLUMN cjo.analytics_node_counts.converted IS 'Runs that reached the goal while at the node';
COMMENT ON COLUMN cjo.analytics_node_counts.ended_unconverted IS 'Runs that ended at the node without the goal';
COMMENT ON COLUMN cjo.analytics_node_counts.runs_before IS 'Runs that reached a node leading to the node';

-- Stays are kept exactly, as (value, multiplicity): the median and the p90
-- of any merge of them are exact (cjo.stay_percentiles).
CREATE TABLE cjo.analytics_stays (
    journey_id   integer NOT NULL,
    version      integer NOT NULL,
    week         text,
    split_node   smallint NOT NULL,
    split_choice smallint NOT NULL,
    node         smallint NOT NULL,
    stay         bigint NOT NULL,
    runs         bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (journey_id, version, week, split_node, split_choice, node, stay)
);
COMMENT ON TABLE cjo.analytics_stays IS 'Rollup: the distribution of finished stays per node, exactly: how many stays lasted each duration';
COMMENT ON COLUMN cjo.analytics_stays.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.analytics_stays.version IS 'The journey version';
COMMENT ON COLUMN cjo.analytics_stays.week IS 'ISO entry week';
COMMENT ON COLUMN cjo.analytics_stays.split_node IS 'First split node, -1 for none';
COMMENT ON COLUMN cjo.analytics_stays.split_choice IS 'Variant taken there, -1 for none';
COMMENT ON COLUMN cjo.analytics_stays.node IS 'Node index';
COMMENT ON COLUMN cjo.analytics_stays.stay IS 'Duration of the stay in microseconds';
COMMENT ON COLUMN cjo.analytics_stays.runs IS 'Stays of that duration';

CREATE TABLE cjo.analytics_waiting (
    journey_id   integer NOT NULL,
    version      integer NOT NULL,
    week         text,
    split_node   smallint NOT NULL,
    split_choice smallint NOT NULL,
    node         smallint NOT NULL,
    since        timestamptz NOT NULL,
    runs         bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (journey_id, version, week, split_node, split_choice, node, since)
);
COMMENT ON TABLE cjo.analytics_waiting IS 'Rollup: runs waiting at a node at the refresh, by when they reached it (for stalled counts)';
COMMENT ON COLUMN cjo.analytics_waiting.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.analytics_waiting.version IS 'The journey version';
COMMENT ON COLUMN cjo.analytics_waiting.week IS 'ISO entry week';
COMMENT ON COLUMN cjo.analytics_waiting.split_node IS 'First split node, -1 for none';
COMMENT ON COLUMN cjo.analytics_waiting.split_choice IS 'Variant taken there, -1 for none';
COMMENT ON COLUMN cjo.analytics_waiting.node IS 'Node index';
COMMENT ON COLUMN cjo.analytics_waiting.since IS 'When the runs reached the node';
COMMENT ON COLUMN cjo.analytics_waiting.runs IS 'Runs waiting there since then';

CREATE TABLE cjo.analytics_edges (
    journey_id  integer NOT NULL,
    version     integer NOT NULL,
    from_index  smallint NOT NULL,
    to_index    smallint NOT NULL,
    ending      text NOT NULL,
    transitions bigint NOT NULL,
    runs        bigint NOT NULL,
    PRIMARY KEY (journey_id, version, from_index, to_index, ending)
);
COMMENT ON TABLE cjo.analytics_edges IS 'Rollup: cjo.journey_edges as of the last refresh';
COMMENT ON COLUMN cjo.analytics_edges.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.analytics_edges.version IS 'The journey version';
COMMENT ON COLUMN cjo.analytics_edges.from_index IS 'Node left, -1 for the entry';
COMMENT ON COLUMN cjo.analytics_edges.to_index IS 'Node reached, -1 for an ending';
COMMENT ON COLUMN cjo.analytics_edges.ending IS '(converted), (exited), (restarted), or empty for a node-to-node edge';
COMMENT ON COLUMN cjo.analytics_edges.transitions IS 'Times the edge was taken';
COMMENT ON COLUMN cjo.analytics_edges.runs IS 'Runs that took it';

CREATE TABLE cjo.analytics_experiments (
    journey_id  integer NOT NULL,
    version     integer NOT NULL,
    node_index  smallint NOT NULL,
    choice      smallint NOT NULL,
    runs        bigint NOT NULL,
    conversions bigint NOT NULL,
    PRIMARY KEY (journey_id, version, node_index, choice)
);
COMMENT ON TABLE cjo.analytics_experiments IS 'Rollup: runs sent to each variant of each split, and those that reached the goal afterwards';
COMMENT ON COLUMN cjo.analytics_experiments.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.analytics_experiments.version IS 'The journey version';
COMMENT ON COLUMN cjo.analytics_experiments.node_index IS 'The split node';
COMMENT ON COLUMN cjo.analytics_experiments.choice IS 'The variant';
COMMENT ON COLUMN cjo.analytics_experiments.runs IS 'Runs sent there';
COMMENT ON COLUMN cjo.analytics_experiments.conversions IS 'Of those, runs that reached the goal after passing the split';

------------------------------------------------------------------------------
-- The C pieces (src/rollup.c).
------------------------------------------------------------------------------
CREATE FUNCTION cjo.analytics_changed(row_xmin xid, since pg_snapshot, refresher xid8) RETURNS boolean
    AS 'MODULE_PATHNAME', 'cjo_analytics_changed' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cjo.analytics_changed(xid, pg_snapshot, xid8) IS
    'Whether a row written by transaction row_xmin is newer than the snapshot (or written by the refresher): not visible to it';

CREATE FUNCTION cjo.analytics_snapshot() RETURNS pg_snapshot
    AS 'MODULE_PATHNAME', 'cjo_analytics_snapshot' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION cjo.analytics_snapshot() IS
    'The current snapshot, as pg_current_snapshot() but with the subtransactions in progress listed among the transactions in progress (rows written in a savepoint carry the subtransaction''s id)';

CREATE FUNCTION cjo.stay_percentiles_add(internal, bigint, bigint)
    RETURNS internal AS 'MODULE_PATHNAME', 'cjo_stay_percentiles_add' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION cjo.stay_percentiles_add(internal, bigint, bigint) IS 'Transition function of cjo.stay_percentiles';
CREATE FUNCTION cjo.stay_percentiles_result(internal)
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'cjo_stay_percentiles_result' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION cjo.stay_percentiles_result(internal) IS 'Final function of cjo.stay_percentiles';
CREATE AGGREGATE cjo.stay_percentiles(stay bigint, runs bigint) (
    SFUNC = cjo.stay_percentiles_add,
    STYPE = internal,
    FINALFUNC = cjo.stay_percentiles_result
);
COMMENT ON AGGREGATE cjo.stay_percentiles(bigint, bigint) IS
    '{percentile_cont(0.5), percentile_cont(0.9)} of the multiset where each value appears runs times; the same floating point result as percentile_cont over the single values';

------------------------------------------------------------------------------
-- What one run contributes, computed from the history.
------------------------------------------------------------------------------
-- The runs of every customer-journey (all_runs), or of the given pairs
-- (customers[i], journeys[i]). Each part reads exactly what the history
-- views read, so that the rollup and they agree row for row.
CREATE FUNCTION cjo.analytics_compute(all_runs boolean, customers text[], journeys integer[])
    RETURNS SETOF cjo.analytics_run
    LANGUAGE sql STABLE AS
$$
WITH h AS NOT MATERIALIZED (
    SELECT h.* FROM cjo.history h WHERE all_runs
    UNION ALL
    SELECT h.* FROM unnest(customers, journeys) AS p(customer_id, journey_id)
      JOIN cjo.history h ON h.customer_id = p.customer_id AND h.journey_id = p.journey_id
     WHERE NOT all_runs
), runs AS (
    SELECT h.customer_id, h.journey_id, h.version, h.run,
           s.customer_id IS NOT NULL AS has_state, s.run AS state_run, s.version AS state_version, s.status,
           CASE WHEN s.run = h.run AND s.version = h.version AND s.status = 'a' THEN s.node_at END AS waiting_since,
           cjo.summarize_run(h.step, h.cause, h.at, h.path) AS sm,
           cjo.run_facts(v.graph,
                         CASE WHEN s.run = h.run AND s.version > h.version THEN 'm'
                              WHEN s.run = h.run AND s.status = 'a' THEN 'a' ELSE 'e' END::"char",
                         h.step, h.cause, h.at, h.path, h.choices)
               FILTER (WHERE s.customer_id IS NOT NULL AND v.graph IS NOT NULL) AS f
      FROM h
      LEFT JOIN cjo.journey_state s ON s.customer_id = h.customer_id AND s.journey_id = h.journey_id
      LEFT JOIN cjo.journey_versions v ON v.journey_id = h.journey_id AND v.version = h.version
     GROUP BY h.customer_id, h.journey_id, h.version, h.run, s.customer_id, s.run, s.version, s.status, s.node_at
), edge_counts AS (
    SELECT h.customer_id, h.journey_id, h.version, h.run,
           coalesce(h.path[p.k - 1], -1) AS from_index, coalesce(p.node, -1) AS to_index, count(*) AS n
      FROM h
     CROSS JOIN LATERAL unnest(h.path) WITH ORDINALITY AS p(node, k)
     WHERE p.k >= 2
     GROUP BY 1, 2, 3, 4, 5, 6
), edges AS (
    SELECT e.customer_id, e.journey_id, e.version, e.run,
           array_agg(ARRAY[e.from_index, e.to_index, e.n]::integer[]) AS edges
      FROM edge_counts e
     GROUP BY 1, 2, 3, 4
), assigned AS (
    -- As cjo.experiment_assignments: the first pass of each run at each split.
    SELECT DISTINCT ON (h.customer_id, h.journey_id, h.run, p.node)
           h.customer_id, h.journey_id, h.version, h.run, p.node AS node_index, h.choices[p.k] AS choice, h.step
      FROM h
     CROSS JOIN LATERAL unnest(h.path) WITH ORDINALITY AS p(node, k)
      JOIN cjo.journey_nodes n ON n.journey_id = h.journey_id AND n.version = h.version
                              AND n.node_index = p.node AND n.node_type = 'split'
     WHERE h.choices IS NOT NULL AND h.choices[p.k] IS NOT NULL
     ORDER BY h.customer_id, h.journey_id, h.run, p.node, h.step
), goals AS (
    SELECT h.customer_id, h.journey_id, h.run, min(h.step) AS goal_step
      FROM h
     WHERE h.cause = 'g'
     GROUP BY 1, 2, 3
), assignments AS (
    SELECT a.customer_id, a.journey_id, a.version, a.run,
           array_agg(ARRAY[a.node_index, a.choice, coalesce((g.goal_step > a.step)::integer, 0)]::integer[]) AS assignments
      FROM assigned a
      LEFT JOIN goals g ON g.customer_id = a.customer_id AND g.journey_id = a.journey_id AND g.run = a.run
     GROUP BY 1, 2, 3, 4
)
SELECT r.customer_id, r.journey_id, r.version, r.run, r.has_state,
       (r.sm).entered_at, (r.sm).last_at, (r.sm).last_node, (r.sm).converted_at,
       CASE WHEN NOT r.has_state THEN NULL
            WHEN r.state_run = r.run AND r.state_version > r.version THEN 'migrated'
            WHEN r.state_run = r.run AND r.status = 'a' THEN 'active'
            WHEN n.node_type = 'exit' THEN 'completed'
            WHEN (r.sm).last_cause = 'g' THEN 'converted'
            WHEN (r.sm).last_cause = 'x' THEN 'exited'
            WHEN (r.sm).last_cause = 'r' THEN 'restarted'
            WHEN (r.sm).last_cause = 'i' THEN 'merged'
            ELSE 'completed' END,
       (r.sm).nodes, r.waiting_since,
       to_char(date_trunc('week', timestamptz '2000-01-01 00:00:00+00' + r.f[1] * interval '1 microsecond'), 'IYYY-"W"IW'),
       r.f, e.edges, a.assignments
  FROM runs r
  LEFT JOIN cjo.journey_nodes n ON n.journey_id = r.journey_id AND n.version = r.version AND n.node_index = (r.sm).last_node
  LEFT JOIN edges e ON e.customer_id = r.customer_id AND e.journey_id = r.journey_id AND e.version = r.version AND e.run = r.run
  LEFT JOIN assignments a ON a.customer_id = r.customer_id AND a.journey_id = r.journey_id AND a.version = r.version AND a.run = r.run
$$;
COMMENT ON FUNCTION cjo.analytics_compute(boolean, text[], integer[]) IS
    'The rollup rows (cjo.analytics_runs and cjo.analytics_run_facts) of every run, or of the runs of the customer-journeys (customers[i], journeys[i]), computed from cjo.history and cjo.journey_state';

-- A run's funnel facts one node per row, with the run itself as node -1.
CREATE FUNCTION cjo.analytics_run_nodes(facts bigint[])
    RETURNS TABLE (node smallint, flags integer, stay bigint)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$
SELECT -1::smallint, 0, -1::bigint
UNION ALL
SELECT facts[i]::smallint, facts[i + 1]::integer, facts[i + 2]
  FROM generate_series(5, cardinality(facts) - 2, 3) AS i
$$;
COMMENT ON FUNCTION cjo.analytics_run_nodes(bigint[]) IS
    'cjo.run_facts() of one run as rows: (-1, 0, -1) for the run, then (node, flags, stay) per node it touched';

-- A run's edges, and the ending edge an event gave it.
CREATE FUNCTION cjo.analytics_run_edges(edges integer[], has_state boolean, outcome text, last_node smallint)
    RETURNS TABLE (from_index smallint, to_index smallint, ending text, transitions bigint)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$
SELECT edges[i][1]::smallint, edges[i][2]::smallint, ''::text, edges[i][3]::bigint
  FROM generate_series(1, coalesce(array_length(edges, 1), 0)) AS i
UNION ALL
SELECT coalesce(last_node, -1), -1::smallint, '(' || outcome || ')', 1::bigint
 WHERE has_state AND outcome IN ('converted', 'exited', 'restarted')
$$;
COMMENT ON FUNCTION cjo.analytics_run_edges(integer[], boolean, text, smallint) IS
    'The flows of one run as rows: node-to-node edges with their transitions, and (converted), (exited) or (restarted) where an event ended it';

CREATE FUNCTION cjo.analytics_run_assignments(assignments integer[])
    RETURNS TABLE (node_index smallint, choice smallint, converted integer)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$
SELECT assignments[i][1]::smallint, assignments[i][2]::smallint, assignments[i][3]
  FROM generate_series(1, coalesce(array_length(assignments, 1), 0)) AS i
$$;
COMMENT ON FUNCTION cjo.analytics_run_assignments(integer[]) IS
    'The splits one run passed as rows: split node, variant, 1 if it reached the goal afterwards';

-- The customer-journeys the rollup does not reflect: state written since
-- the refresh's snapshot, or noted by the delete and update triggers. A
-- plpgsql function, so that the planner takes it as small (ROWS) and reads
-- the history of each pair through its index.
CREATE FUNCTION cjo.analytics_changed_pairs()
    RETURNS TABLE (customer_id text, journey_id integer)
    LANGUAGE plpgsql STABLE ROWS 100 SET search_path = pg_catalog, pg_temp SET jit = off AS
$$
DECLARE
    last cjo.analytics_refresh;
BEGIN
    -- The refresh row read first, as values: joined, the planner took its
    -- table for hundreds of rows and the scan for billions (and compiled it).
    SELECT * INTO last FROM cjo.analytics_refresh;
    IF last.snapshot IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT s.customer_id, s.journey_id
      FROM cjo.journey_state s
     WHERE cjo.analytics_changed(s.xmin, last.snapshot, last.refresher)
    UNION
    SELECT d.customer_id, d.journey_id
      FROM cjo.analytics_dirty d;
END
$$;
COMMENT ON FUNCTION cjo.analytics_changed_pairs() IS
    'Customer-journeys changed since the last refresh: the views recompute them from the history (none before the first refresh)';

------------------------------------------------------------------------------
-- Folding runs into the aggregates, and the refresh.
------------------------------------------------------------------------------
-- The aggregates are always the sum over cjo.analytics_run_facts: statement
-- triggers add the contributions of inserted runs and subtract those of
-- deleted ones (TG_ARGV[0] is the sign), whoever deletes them (the refresh,
-- or cjo_forget_customer, which erases a customer from every table), then
-- drop the aggregate rows that fell to zero.
CREATE FUNCTION cjo.analytics_fold() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    source text := format('SELECT %s AS sign, r.* FROM changed_runs r', TG_ARGV[0]::integer);
BEGIN
    EXECUTE format($q$
        INSERT INTO cjo.analytics_node_counts AS c
        SELECT r.journey_id, r.version, r.week, r.facts[2]::smallint, r.facts[3]::smallint, x.node,
               coalesce(sum(r.sign) FILTER (WHERE x.node = -1), 0),
               coalesce(sum(r.sign) FILTER (WHERE x.flags & 1 <> 0), 0),
               coalesce(sum(r.sign) FILTER (WHERE x.flags & 4 <> 0), 0),
               coalesce(sum(r.sign) FILTER (WHERE x.flags & 2 <> 0), 0),
               coalesce(sum(r.sign) FILTER (WHERE x.flags & 8 <> 0), 0),
               coalesce(sum(r.sign) FILTER (WHERE x.flags & 16 <> 0), 0),
               coalesce(sum(r.sign) FILTER (WHERE x.flags & 32 <> 0), 0),
               coalesce(sum(r.sign) FILTER (WHERE x.flags & 64 <> 0), 0),
               coalesce(sum(r.sign) FILTER (WHERE x.flags & 128 <> 0), 0)
          FROM (%1$s) r
         CROSS JOIN LATERAL cjo.analytics_run_nodes(r.facts) x
         WHERE r.facts IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5, 6
            ON CONFLICT (journey_id, version, week, split_node, split_choice, node) DO UPDATE
           SET runs = c.runs + excluded.runs, entered = c.entered + excluded.entered,
               waiting = c.waiting + excluded.waiting, moved_on = c.moved_on + excluded.moved_on,
               ended = c.ended + excluded.ended, completed = c.completed + excluded.completed,
               converted = c.converted + excluded.converted,
               ended_unconverted = c.ended_unconverted + excluded.ended_unconverted,
               runs_before = c.runs_before + excluded.runs_before$q$, source);
    EXECUTE format($q$
        INSERT INTO cjo.analytics_stays AS c
        SELECT r.journey_id, r.version, r.week, r.facts[2]::smallint, r.facts[3]::smallint, x.node, x.stay, sum(r.sign)
          FROM (%1$s) r
         CROSS JOIN LATERAL cjo.analytics_run_nodes(r.facts) x
         WHERE r.facts IS NOT NULL AND x.stay >= 0
         GROUP BY 1, 2, 3, 4, 5, 6, 7
            ON CONFLICT (journey_id, version, week, split_node, split_choice, node, stay) DO UPDATE
           SET runs = c.runs + excluded.runs$q$, source);
    EXECUTE format($q$
        INSERT INTO cjo.analytics_waiting AS c
        SELECT r.journey_id, r.version, r.week, r.facts[2]::smallint, r.facts[3]::smallint, x.node, r.waiting_since, sum(r.sign)
          FROM (%1$s) r
         CROSS JOIN LATERAL cjo.analytics_run_nodes(r.facts) x
         WHERE r.facts IS NOT NULL AND x.flags & 4 <> 0 AND r.waiting_since IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5, 6, 7
            ON CONFLICT (journey_id, version, week, split_node, split_choice, node, since) DO UPDATE
           SET runs = c.runs + excluded.runs$q$, source);
    EXECUTE format($q$
        INSERT INTO cjo.analytics_edges AS c
        SELECT r.journey_id, r.version, e.from_index, e.to_index, e.ending, sum(r.sign * e.transitions), sum(r.sign)
          FROM (%1$s) r
         CROSS JOIN LATERAL cjo.analytics_run_edges(r.edges, r.has_state, r.outcome, r.last_node) e
         GROUP BY 1, 2, 3, 4, 5
            ON CONFLICT (journey_id, version, from_index, to_index, ending) DO UPDATE
           SET transitions = c.transitions + excluded.transitions, runs = c.runs + excluded.runs$q$, source);
    EXECUTE format($q$
        INSERT INTO cjo.analytics_experiments AS c
        SELECT r.journey_id, r.version, a.node_index, a.choice, sum(r.sign), sum(r.sign * a.converted)
          FROM (%1$s) r
         CROSS JOIN LATERAL cjo.analytics_run_assignments(r.assignments) a
         GROUP BY 1, 2, 3, 4
            ON CONFLICT (journey_id, version, node_index, choice) DO UPDATE
           SET runs = c.runs + excluded.runs, conversions = c.conversions + excluded.conversions$q$, source);

    DELETE FROM cjo.analytics_node_counts c
     WHERE c.runs = 0 AND c.entered = 0 AND c.waiting = 0 AND c.moved_on = 0 AND c.ended = 0 AND c.completed = 0
       AND c.converted = 0 AND c.ended_unconverted = 0 AND c.runs_before = 0;
    DELETE FROM cjo.analytics_stays c WHERE c.runs = 0;
    DELETE FROM cjo.analytics_waiting c WHERE c.runs = 0;
    DELETE FROM cjo.analytics_edges c WHERE c.runs = 0 AND c.transitions = 0;
    DELETE FROM cjo.analytics_experiments c WHERE c.runs = 0 AND c.conversions = 0;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION cjo.analytics_fold() IS
    'Statement trigger on cjo.analytics_run_facts: adds (TG_ARGV[0] = 1, inserted runs) or subtracts (-1, deleted runs) their contributions to the rollup aggregates';
CREATE TRIGGER analytics_run_facts_added AFTER INSERT ON cjo.analytics_run_facts
    REFERENCING NEW TABLE AS changed_runs FOR EACH STATEMENT EXECUTE FUNCTION cjo.analytics_fold(1);
CREATE TRIGGER analytics_run_facts_removed AFTER DELETE ON cjo.analytics_run_facts
    REFERENCING OLD TABLE AS changed_runs FOR EACH STATEMENT EXECUTE FUNCTION cjo.analytics_fold('-1');

-- Stores the runs cjo.analytics_compute() computes in both rollup tables
-- (the triggers on cjo.analytics_run_facts fold them into the aggregates);
-- returns how many.
CREATE FUNCTION cjo.analytics_store(all_runs boolean, customers text[], journeys integer[]) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    stored bigint;
BEGIN
    WITH computed AS MATERIALIZED (
        SELECT * FROM cjo.analytics_compute(all_runs, customers, journeys)
    ), runs AS (
        INSERT INTO cjo.analytics_runs
        SELECT c.customer_id, c.journey_id, c.version, c.run, c.has_state, c.entered_at, c.last_at, c.last_node,
               c.converted_at, c.outcome, c.nodes
          FROM computed c
    )
    INSERT INTO cjo.analytics_run_facts
    SELECT c.customer_id, c.journey_id, c.version, c.run, c.has_state, c.last_node, c.outcome, c.waiting_since,
           c.week, c.facts, c.edges, c.assignments
      FROM computed c;
    GET DIAGNOSTICS stored = ROW_COUNT;
    RETURN stored;
END
$$;
COMMENT ON FUNCTION cjo.analytics_store(boolean, text[], integer[]) IS
    'Stores the runs of every customer-journey (all_runs), or of the pairs (customers[i], journeys[i]), in cjo.analytics_runs and cjo.analytics_run_facts; returns how many';

CREATE FUNCTION @extschema@.cjo_refresh_analytics(full_rebuild boolean DEFAULT false) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    started timestamptz := clock_timestamp();
    last cjo.analytics_refresh;
    me xid8;
    snap pg_snapshot;
    customers text[];
    journeys integer[];
    recomputed bigint;
    rebuild boolean;
BEGIN
    -- Each statement below must see what committed before it: under
    -- repeatable read the snapshot is older than the lock, and a refresh or
    -- a delete that committed while we waited for it would be missed.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'cjo_refresh_analytics() must run at READ COMMITTED, not %',
                        upper(current_setting('transaction_isolation'))
            USING ERRCODE = 'invalid_transaction_state',
                  HINT = 'Call it outside an explicit REPEATABLE READ or SERIALIZABLE transaction.';
    END IF;
    -- One refresh at a time (a second one waits for the first to commit);
    -- readers of the views are not blocked. Deletes of the history and the
    -- states hold this off while their transaction runs (ROW EXCLUSIVE, see
    -- cjo.analytics_note_changes), so that the snapshot below sees them.
    LOCK TABLE cjo.analytics_refresh IN SHARE ROW EXCLUSIVE MODE;
    -- The snapshot first, in a statement of its own: everything read below
    -- sees at least what it sees, so what it does not see is recomputed
    -- again next time (or live), never lost.
    me := pg_current_xact_id();
    snap := cjo.analytics_snapshot();
    SELECT * INTO last FROM cjo.analytics_refresh;
    rebuild := full_rebuild OR last.snapshot IS NULL OR last.timezone <> current_setting('TimeZone');

    IF rebuild THEN
        TRUNCATE cjo.analytics_runs, cjo.analytics_run_facts, cjo.analytics_node_counts, cjo.analytics_stays,
                 cjo.analytics_waiting, cjo.analytics_edges, cjo.analytics_experiments;
        DELETE FROM cjo.analytics_dirty;
        recomputed := cjo.analytics_store(true, NULL, NULL);
    ELSE
        WITH noted AS (DELETE FROM cjo.analytics_dirty RETURNING customer_id, journey_id),
        pairs AS (
            SELECT n.customer_id, n.journey_id FROM noted n
            UNION
            SELECT s.customer_id, s.journey_id FROM cjo.journey_state s
             WHERE cjo.analytics_changed(s.xmin, last.snapshot, last.refresher))
        SELECT coalesce(array_agg(p.customer_id), '{}'), coalesce(array_agg(p.journey_id), '{}'), count(*)
          INTO customers, journeys, recomputed
          FROM pairs p;
        IF recomputed > 0 THEN
            -- Out with their old runs, in with their runs as they are now.
            DELETE FROM cjo.analytics_runs r
             USING unnest(customers, journeys) AS p(customer_id, journey_id)
             WHERE r.customer_id = p.customer_id AND r.journey_id = p.journey_id;
            DELETE FROM cjo.analytics_run_facts r
             USING unnest(customers, journeys) AS p(customer_id, journey_id)
             WHERE r.customer_id = p.customer_id AND r.journey_id = p.journey_id;
            PERFORM cjo.analytics_store(false, customers, journeys);
        END IF;
    END IF;

    INSERT INTO cjo.analytics_refresh AS w (singleton, snapshot, refresher, timezone, refreshed_at, full_build, recomputed, duration)
    VALUES (true, snap, me, current_setting('TimeZone'), now(), rebuild, recomputed, clock_timestamp() - started)
        ON CONFLICT (singleton) DO UPDATE
       SET snapshot = excluded.snapshot, refresher = excluded.refresher, timezone = excluded.timezone,
           refreshed_at = excluded.refreshed_at, full_build = excluded.full_build,
           recomputed = excluded.recomputed, duration = excluded.duration;
    RETURN recomputed;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_refresh_analytics(boolean) IS
    'Brings the analytics rollup up to date: recomputes the customer-journeys changed since the last refresh (all of them the first time, with full_rebuild, or when TimeZone changed). Returns the runs (rebuild) or customer-journeys recomputed. Schedule it, e.g. every minute with pg_cron';

-- Refreshing on a schedule, with pg_cron (as the sweep and the purge).
CREATE FUNCTION @extschema@.cjo_schedule_analytics(schedule text DEFAULT '*/5 * * * *')
    RETURNS bigint
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS
$$ SELECT cjo.cron_schedule('cjo-analytics', schedule, 'SELECT @extschema@.cjo_refresh_analytics()',
                            'call SELECT cjo_refresh_analytics()') $$;
COMMENT ON FUNCTION @extschema@.cjo_schedule_analytics(text) IS
    'Schedules SELECT cjo_refresh_analytics() with pg_cron under the job name cjo-analytics (default every 5 minutes; calling it again changes the schedule); returns the job id';

CREATE FUNCTION @extschema@.cjo_unschedule_analytics() RETURNS boolean
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS
$$ SELECT cjo.cron_unschedule('cjo-analytics') $$;
COMMENT ON FUNCTION @extschema@.cjo_unschedule_analytics() IS
    'Removes the pg_cron job created by cjo_schedule_analytics(); returns whether there was one';

------------------------------------------------------------------------------
-- Changes the insert path does not announce: deletes and updates of the
-- history, deletes of states, truncation.
------------------------------------------------------------------------------
CREATE FUNCTION cjo.analytics_note_changes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    refreshing boolean := false;
BEGIN
    -- Without a refresh there is nothing to correct, but a refresh that
    -- does not see this transaction may be under way, or start before it
    -- commits: the first one would fold in the rows deleted here, and
    -- nothing would ever note them. So: hold off refreshes until this
    -- transaction ends (they wait for it, then see its deletes); if one is
    -- running, note the change whatever (its snapshot does not see it).
    -- Only a transaction that sees committed refreshes (read committed, a
    -- statement snapshot after the lock) can trust the test.
    BEGIN
        LOCK TABLE cjo.analytics_refresh IN ROW EXCLUSIVE MODE NOWAIT;
    EXCEPTION WHEN lock_not_available THEN
        refreshing := true;
    END;
    IF refreshing OR current_setting('transaction_isolation') <> 'read committed'
       OR EXISTS (SELECT FROM cjo.analytics_refresh) THEN
        IF TG_OP = 'UPDATE' THEN
            INSERT INTO cjo.analytics_dirty (customer_id, journey_id)
            SELECT o.customer_id, o.journey_id FROM old_rows o
            UNION
            SELECT n.customer_id, n.journey_id FROM new_rows n;
        ELSE
            INSERT INTO cjo.analytics_dirty (customer_id, journey_id)
            SELECT DISTINCT o.customer_id, o.journey_id FROM old_rows o;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION cjo.analytics_note_changes() IS
    'Statement trigger: notes the customer-journeys whose history was deleted or updated, or whose state was deleted, for the rollup';

CREATE FUNCTION cjo.analytics_forget() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    TRUNCATE cjo.analytics_refresh, cjo.analytics_dirty, cjo.analytics_runs, cjo.analytics_run_facts,
             cjo.analytics_node_counts, cjo.analytics_stays, cjo.analytics_waiting, cjo.analytics_edges,
             cjo.analytics_experiments;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION cjo.analytics_forget() IS
    'Statement trigger: a truncated history or state table empties the rollup (the views read the history until the next refresh)';

CREATE TRIGGER history_analytics_delete AFTER DELETE ON cjo.history
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cjo.analytics_note_changes();
CREATE TRIGGER history_analytics_update AFTER UPDATE ON cjo.history
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cjo.analytics_note_changes();
CREATE TRIGGER journey_state_analytics_delete AFTER DELETE ON cjo.journey_state
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cjo.analytics_note_changes();
CREATE TRIGGER history_analytics_truncate AFTER TRUNCATE ON cjo.history
    FOR EACH STATEMENT EXECUTE FUNCTION cjo.analytics_forget();
CREATE TRIGGER journey_state_analytics_truncate AFTER TRUNCATE ON cjo.journey_state
    FOR EACH STATEMENT EXECUTE FUNCTION cjo.analytics_forget();

------------------------------------------------------------------------------
-- The views: the rollup, corrected by the changed customer-journeys.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.cjo_journey_funnel(journey_name text DEFAULT NULL,
                                               journey_version integer DEFAULT NULL,
                                               breakdown text DEFAULT NULL,
                                               stalled_after interval DEFAULT NULL)
    RETURNS TABLE (journey text, version integer, segment text, node_index integer, node text,
                   node_type text, entered bigint, waiting bigint, stalled bigint, moved_on bigint,
                   ended bigint, completed bigint, converted bigint, dropped bigint,
                   conversion_from_entry double precision, conversion_from_previous double precision,
                   median_time interval, p90_time interval)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET jit = off AS
$$
#variable_conflict use_column
DECLARE
    last cjo.analytics_refresh;
    customers text[];
    journeys integer[];
BEGIN
    IF breakdown IS NOT NULL AND breakdown NOT IN ('entry_week', 'variant') THEN
        RAISE EXCEPTION 'unknown funnel breakdown "%"', breakdown
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use NULL (no breakdown), ''entry_week'' or ''variant''.';
    END IF;
    IF stalled_after IS NOT NULL AND stalled_after < interval '0' THEN
        RAISE EXCEPTION 'stalled_after must not be negative' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF journey_name IS NOT NULL AND NOT EXISTS (SELECT FROM cjo.journeys j WHERE j.name = journey_name) THEN
        RAISE EXCEPTION 'journey "%" does not exist', journey_name USING ERRCODE = 'undefined_object';
    END IF;
    SELECT * INTO last FROM cjo.analytics_refresh;
    -- Never refreshed, or weeks asked for in another time zone than the
    -- rollup's: from the history.
    IF last.snapshot IS NULL
       OR (breakdown = 'entry_week' AND last.timezone <> current_setting('TimeZone')) THEN
        RETURN QUERY SELECT * FROM cjo.journey_funnel_from_history(journey_name, journey_version, breakdown, stalled_after);
        RETURN;
    END IF;
    SELECT coalesce(array_agg(p.customer_id), '{}'), coalesce(array_agg(p.journey_id), '{}')
      INTO customers, journeys
      FROM cjo.analytics_changed_pairs() p;

    RETURN QUERY
    WITH scope AS MATERIALIZED (
        SELECT v.journey_id, j.name, v.version, v.graph
          FROM cjo.journeys j
          JOIN cjo.journey_versions v ON v.journey_id = j.journey_id
         WHERE (cjo_journey_funnel.journey_name IS NULL OR j.name = cjo_journey_funnel.journey_name)
           AND (cjo_journey_funnel.journey_version IS NULL OR v.version = cjo_journey_funnel.journey_version)
    ), variants AS MATERIALIZED (
        SELECT c.journey_id, c.version, c.node_index, c.choice, c.node || ': ' || c.label AS name
          FROM cjo.journey_choices c
          JOIN scope sc ON sc.journey_id = c.journey_id AND sc.version = c.version
    ), delta AS MATERIALIZED (
        -- The changed customer-journeys: out with their rollup rows, in with
        -- their runs as they are now.
        SELECT -1 AS sign, r.journey_id, r.version, r.week, r.facts, r.waiting_since
          FROM cjo.analytics_run_facts r
          JOIN unnest(customers, journeys) AS p(customer_id, journey_id)
            ON r.customer_id = p.customer_id AND r.journey_id = p.journey_id
         WHERE r.facts IS NOT NULL
        UNION ALL
        SELECT 1, c.journey_id, c.version, c.week, c.facts, c.waiting_since
          FROM cjo.analytics_compute(false, customers, journeys) c
         WHERE c.facts IS NOT NULL
    ), counts AS (
        SELECT c.journey_id, c.version, c.week, c.split_node, c.split_choice, c.node, c.runs, c.entered, c.waiting,
               0::bigint AS stalled, c.moved_on, c.ended, c.completed, c.converted, c.ended_unconverted, c.runs_before
          FROM cjo.analytics_node_counts c
          JOIN scope sc ON sc.journey_id = c.journey_id AND sc.version = c.version
        UNION ALL
        SELECT w.journey_id, w.version, w.week, w.split_node, w.split_choice, w.node, 0, 0, 0, w.runs, 0, 0, 0, 0, 0, 0
          FROM cjo.analytics_waiting w
          JOIN scope sc ON sc.journey_id = w.journey_id AND sc.version = w.version
         WHERE w.since < now() - cjo_journey_funnel.stalled_after
        UNION ALL
        SELECT d.journey_id, d.version, d.week, d.facts[2]::smallint, d.facts[3]::smallint, x.node,
               CASE WHEN x.node = -1 THEN d.sign ELSE 0 END,
               CASE WHEN x.flags & 1 <> 0 THEN d.sign ELSE 0 END,
               CASE WHEN x.flags & 4 <> 0 THEN d.sign ELSE 0 END,
               CASE WHEN x.flags & 4 <> 0 AND d.waiting_since < now() - cjo_journey_funnel.stalled_after THEN d.sign ELSE 0 END,
               CASE WHEN x.flags & 2 <> 0 THEN d.sign ELSE 0 END,
               CASE WHEN x.flags & 8 <> 0 THEN d.sign ELSE 0 END,
               CASE WHEN x.flags & 16 <> 0 THEN d.sign ELSE 0 END,
               CASE WHEN x.flags & 32 <> 0 THEN d.sign ELSE 0 END,
               CASE WHEN x.flags & 64 <> 0 THEN d.sign ELSE 0 END,
               CASE WHEN x.flags & 128 <> 0 THEN d.sign ELSE 0 END
          FROM delta d
          JOIN scope sc ON sc.journey_id = d.journey_id AND sc.version = d.version
         CROSS JOIN LATERAL cjo.analytics_run_nodes(d.facts) x
    ), keyed AS (
        SELECT c.*,
               CASE cjo_journey_funnel.breakdown
                   WHEN 'entry_week' THEN c.week
                   WHEN 'variant' THEN coalesce(v.name, '(no split)')
                   ELSE ''
               END AS segment
          FROM counts c
          LEFT JOIN variants v ON v.journey_id = c.journey_id AND v.version = c.version
                              AND v.node_index = c.split_node AND v.choice = c.split_choice
    ), per_node AS MATERIALIZED (
        SELECT k.journey_id, k.version, k.segment, k.node,
               sum(k.entered)::bigint AS entered, sum(k.waiting)::bigint AS waiting,
               sum(k.stalled)::bigint AS stalled, sum(k.moved_on)::bigint AS moved_on,
               sum(k.ended)::bigint AS ended, sum(k.completed)::bigint AS completed,
               sum(k.converted)::bigint AS converted, sum(k.ended_unconverted)::bigint AS ended_unconverted,
               sum(k.runs_before)::bigint AS runs_before
          FROM keyed k
         WHERE k.node >= 0
         GROUP BY 1, 2, 3, 4
    ), entries AS MATERIALIZED (
        SELECT k.journey_id, k.version, k.segment, sum(k.runs)::bigint AS runs
          FROM keyed k
         WHERE k.node = -1
         GROUP BY 1, 2, 3
        HAVING sum(k.runs) > 0
    ), stays AS (
        SELECT s.journey_id, s.version, s.week, s.split_node, s.split_choice, s.node, s.stay, s.runs
          FROM cjo.analytics_stays s
          JOIN scope sc ON sc.journey_id = s.journey_id AND sc.version = s.version
        UNION ALL
        SELECT d.journey_id, d.version, d.week, d.facts[2]::smallint, d.facts[3]::smallint, x.node, x.stay, d.sign
          FROM delta d
          JOIN scope sc ON sc.journey_id = d.journey_id AND sc.version = d.version
         CROSS JOIN LATERAL cjo.analytics_run_nodes(d.facts) x
         WHERE x.stay >= 0
    ), merged_stays AS (
        SELECT s.journey_id, s.version,
               CASE cjo_journey_funnel.breakdown
                   WHEN 'entry_week' THEN s.week
                   WHEN 'variant' THEN coalesce(v.name, '(no split)')
                   ELSE ''
               END AS segment,
               s.node, s.stay, sum(s.runs)::bigint AS runs
          FROM stays s
          LEFT JOIN variants v ON v.journey_id = s.journey_id AND v.version = s.version
                              AND v.node_index = s.split_node AND v.choice = s.split_choice
         GROUP BY 1, 2, 3, 4, 5
    ), times AS MATERIALIZED (
        SELECT m.journey_id, m.version, m.segment, m.node, cjo.stay_percentiles(m.stay, m.runs) AS p
          FROM merged_stays m
         WHERE m.runs > 0
         GROUP BY 1, 2, 3, 4
    )
    SELECT sc.name, n.version, e.segment, n.node_index::integer, n.node, n.node_type,
           coalesce(p.entered, 0), coalesce(p.waiting, 0), coalesce(p.stalled, 0), coalesce(p.moved_on, 0),
           coalesce(p.ended, 0), coalesce(p.completed, 0), coalesce(p.converted, 0),
           coalesce(p.ended_unconverted, 0) + coalesce(p.stalled, 0),
           coalesce(p.entered, 0)::double precision / nullif(e.runs, 0),
           coalesce(p.entered, 0)::double precision / nullif(coalesce(p.runs_before, 0), 0),
           CASE WHEN n.node_type IN ('action', 'set', 'branch', 'split', 'next_best_action') AND coalesce(p.entered, 0) > 0 THEN interval '0'
                WHEN n.node_type <> 'exit' THEN (t.p)[1] * interval '1 microsecond' END,
           CASE WHEN n.node_type IN ('action', 'set', 'branch', 'split', 'next_best_action') AND coalesce(p.entered, 0) > 0 THEN interval '0'
                WHEN n.node_type <> 'exit' THEN (t.p)[2] * interval '1 microsecond' END
      FROM scope sc
      JOIN cjo.journey_nodes n ON n.journey_id = sc.journey_id AND n.version = sc.version
      JOIN entries e ON e.journey_id = sc.journey_id AND e.version = sc.version
      LEFT JOIN per_node p ON p.journey_id = n.journey_id AND p.version = n.version
                          AND p.segment = e.segment AND p.node = n.node_index
      LEFT JOIN times t ON t.journey_id = n.journey_id AND t.version = n.version
                       AND t.segment = e.segment AND t.node = n.node_index
     ORDER BY sc.name, n.version, e.segment, n.node_index;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_journey_funnel(text, integer, text, interval) IS
    'Funnel of journey versions node by node (graph order): entered, waiting, stalled, moved on, ended, converted and dropped per node, conversion from the entry and from the previous nodes, median and p90 time in the node; breakdown by entry_week or split variant. Reads the rollup of cjo_refresh_analytics() and recomputes what changed since from the history';

CREATE VIEW cjo.journey_funnel AS
SELECT * FROM @extschema@.cjo_journey_funnel();
COMMENT ON VIEW cjo.journey_funnel IS 'cjo_journey_funnel() for every journey version, without breakdown or stall threshold';
COMMENT ON COLUMN cjo.journey_funnel.journey IS 'Journey name';
COMMENT ON COLUMN cjo.journey_funnel.version IS 'Journey version';
COMMENT ON COLUMN cjo.journey_funnel.segment IS 'Breakdown value: ISO entry week (2026-W47), "split node: variant", or empty without breakdown';
COMMENT ON COLUMN cjo.journey_funnel.node_index IS 'Node index (graph order: breadth first from the start node)';
COMMENT ON COLUMN cjo.journey_funnel.node IS 'Node name';
COMMENT ON COLUMN cjo.journey_funnel.node_type IS 'Node type';
COMMENT ON COLUMN cjo.journey_funnel.entered IS 'Runs that reached the node (a run that comes back to a node counts once)';
COMMENT ON COLUMN cjo.journey_funnel.waiting IS 'Runs at the node now (active)';
COMMENT ON COLUMN cjo.journey_funnel.stalled IS 'Waiting runs that reached the node longer than stalled_after ago (0 without stalled_after)';
COMMENT ON COLUMN cjo.journey_funnel.moved_on IS 'Runs that went on from the node to another node';
COMMENT ON COLUMN cjo.journey_funnel.ended IS 'Runs that ended at the node, for any reason';
COMMENT ON COLUMN cjo.journey_funnel.completed IS 'Runs that ended at the node because it is an exit node';
COMMENT ON COLUMN cjo.journey_funnel.converted IS 'Runs that reached the goal while at the node';
COMMENT ON COLUMN cjo.journey_funnel.dropped IS 'Runs that left the journey at the node without reaching the goal (exit node, exit event, re-entry), plus stalled runs';
COMMENT ON COLUMN cjo.journey_funnel.conversion_from_entry IS 'entered / runs that entered the journey version';
COMMENT ON COLUMN cjo.journey_funnel.conversion_from_previous IS 'entered / runs that reached any node leading here (all runs, for the start node)';
COMMENT ON COLUMN cjo.journey_funnel.median_time IS 'Median time runs spent at the node before moving on or leaving (0 for immediate nodes, NULL for exit nodes; stays still going are not counted)';
COMMENT ON COLUMN cjo.journey_funnel.p90_time IS '90th percentile of the time spent at the node (same rules as median_time)';

-- The funnel's first columns, as version 0.1 named them.
CREATE VIEW cjo.node_stats AS
SELECT f.journey, f.version, f.node_index, f.node, f.node_type, f.entered, f.waiting,
       f.entered - f.waiting - f.ended AS moved_on, f.dropped, f.converted
  FROM @extschema@.cjo_journey_funnel() f;
COMMENT ON VIEW cjo.node_stats IS 'Funnel per journey version and node: who entered each node, waits there now, moved on, dropped off there, or reached the goal while there';
COMMENT ON COLUMN cjo.node_stats.journey IS 'Journey name';
COMMENT ON COLUMN cjo.node_stats.version IS 'Journey version';
COMMENT ON COLUMN cjo.node_stats.node_index IS 'Node index (graph order)';
COMMENT ON COLUMN cjo.node_stats.node IS 'Node name';
COMMENT ON COLUMN cjo.node_stats.node_type IS 'Node type';
COMMENT ON COLUMN cjo.node_stats.entered IS 'Customer runs that reached the node';
COMMENT ON COLUMN cjo.node_stats.waiting IS 'Customers at the node now (active)';
COMMENT ON COLUMN cjo.node_stats.moved_on IS 'Runs that reached the node and went on to another node (entered - waiting - runs that ended here)';
COMMENT ON COLUMN cjo.node_stats.dropped IS 'Runs that ended at the node without reaching the goal: at an exit node, by an exit event, or restarted by re-entry';
COMMENT ON COLUMN cjo.node_stats.converted IS 'Runs that reached the goal while at the node';

-- The history branch of cjo.runs, behind a function: as a subquery its
-- cost (the whole history, though it runs only before the first refresh)
-- made every query on the view compile with JIT, inlined and optimized on
-- large histories, which cost more than the query itself. (Before the first
-- refresh a filter on cjo.runs no longer reaches into the history scan.)
CREATE FUNCTION cjo.runs_before_refresh() RETURNS SETOF cjo.runs_from_history
    LANGUAGE plpgsql STABLE ROWS 1000 SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF NOT EXISTS (SELECT FROM cjo.analytics_refresh) THEN
        RETURN QUERY SELECT * FROM cjo.runs_from_history;
    END IF;
END
$$;
COMMENT ON FUNCTION cjo.runs_before_refresh() IS
    'What cjo.runs shows before the first refresh: cjo.runs_from_history (nothing once a refresh ran)';

CREATE VIEW cjo.runs AS
WITH changed AS MATERIALIZED (
    SELECT * FROM cjo.analytics_changed_pairs()
)
SELECT r.customer_id, r.journey_id, r.version, r.run, r.entered_at, r.last_at, r.last_node, r.converted_at,
       r.outcome, r.nodes
  FROM cjo.analytics_runs r
 WHERE r.has_state
   -- NOT IN, not NOT EXISTS: a hashed subplan, built once, whatever the plan
   -- of the runs. As an anti join, a filter on journey and entry time made
   -- the planner (which takes the changed pairs as few) rescan every changed
   -- pair for each run: seconds with thousands changed. (No pair has nulls.)
   AND (r.customer_id, r.journey_id) NOT IN (SELECT c.customer_id, c.journey_id FROM changed c)
UNION ALL
SELECT c.customer_id, c.journey_id, c.version, c.run, c.entered_at, c.last_at, c.last_node, c.converted_at,
       c.outcome, c.nodes
  FROM (SELECT array_agg(p.customer_id) AS customers, array_agg(p.journey_id) AS journeys FROM changed p) a
     CROSS JOIN LATERAL cjo.analytics_compute(false, a.customers, a.journeys) c
 WHERE c.has_state
UNION ALL
SELECT * FROM cjo.runs_before_refresh() WHERE NOT EXISTS (SELECT FROM cjo.analytics_refresh);
COMMENT ON VIEW cjo.runs IS 'One row per run (one pass of a customer through a journey version): when it started, where it is or ended, how it ended. Reads the rollup of cjo_refresh_analytics() and recomputes what changed since from the history';
COMMENT ON COLUMN cjo.runs.customer_id IS 'The customer';
COMMENT ON COLUMN cjo.runs.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.runs.version IS 'The journey version the run follows';
COMMENT ON COLUMN cjo.runs.run IS 'Entry count of the run (1 for the first entry)';
COMMENT ON COLUMN cjo.runs.entered_at IS 'When the run entered the journey';
COMMENT ON COLUMN cjo.runs.last_at IS 'Time of the run''s latest move';
COMMENT ON COLUMN cjo.runs.last_node IS 'Index of the node the run is at, or ended at';
COMMENT ON COLUMN cjo.runs.converted_at IS 'When the run first reached the goal (NULL if never)';
COMMENT ON COLUMN cjo.runs.nodes IS 'Indexes of the nodes the run reached, in order (cjo.journey_nodes.node_index)';
COMMENT ON COLUMN cjo.runs.outcome IS 'migrated (moved on into a newer version by cjo_migrate: its rows there are a run of their own); active; completed (reached an exit node); converted (a goal with exit ended it); exited (exit event); restarted (ended by re-entry); merged (an anonymous run ended by cjo_identify). Whether it reached the goal is converted_at';

-- A function, so that it can run without JIT: the plan's cost counts the
-- history branch that never runs, and compiling it would cost more than the
-- query.
CREATE FUNCTION cjo.journey_edges_now() RETURNS SETOF cjo.journey_edges_from_history
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET jit = off AS
$$
BEGIN
    RETURN QUERY
    WITH changed AS MATERIALIZED (
        SELECT * FROM cjo.analytics_changed_pairs()
    ), delta AS (
        SELECT -1 AS sign, r.journey_id, r.version, r.edges, r.has_state, r.outcome, r.last_node
          FROM cjo.analytics_run_facts r
          JOIN changed c ON c.customer_id = r.customer_id AND c.journey_id = r.journey_id
        UNION ALL
        SELECT 1, c.journey_id, c.version, c.edges, c.has_state, c.outcome, c.last_node
          FROM (SELECT array_agg(p.customer_id) AS customers, array_agg(p.journey_id) AS journeys FROM changed p) a
         CROSS JOIN LATERAL cjo.analytics_compute(false, a.customers, a.journeys) c
    ), flows AS (
        SELECT a.journey_id, a.version, a.from_index, a.to_index, a.ending, a.transitions, a.runs
          FROM cjo.analytics_edges a
        UNION ALL
        SELECT d.journey_id, d.version, x.from_index, x.to_index, x.ending, d.sign * x.transitions, d.sign
          FROM delta d
         CROSS JOIN LATERAL cjo.analytics_run_edges(d.edges, d.has_state, d.outcome, d.last_node) x
    ), edges AS (
        SELECT f.journey_id, f.version, nullif(f.from_index, -1) AS from_index, nullif(f.to_index, -1) AS to_index,
               nullif(f.ending, '') AS ending, sum(f.transitions)::bigint AS transitions, sum(f.runs)::bigint AS runs
          FROM flows f
         WHERE EXISTS (SELECT FROM cjo.analytics_refresh)
         GROUP BY f.journey_id, f.version, f.from_index, f.to_index, f.ending
        HAVING sum(f.runs) <> 0
    )
    SELECT j.name AS journey, e.version, coalesce(f.node, '(entry)') AS source, coalesce(t.node, e.ending) AS target,
           e.transitions, e.runs
      FROM edges e
      JOIN cjo.journeys j ON j.journey_id = e.journey_id
      LEFT JOIN cjo.journey_nodes f ON f.journey_id = e.journey_id AND f.version = e.version AND f.node_index = e.from_index
      LEFT JOIN cjo.journey_nodes t ON t.journey_id = e.journey_id AND t.version = e.version AND t.node_index = e.to_index
    UNION ALL
    SELECT * FROM cjo.journey_edges_from_history WHERE NOT EXISTS (SELECT FROM cjo.analytics_refresh);
END
$$;
COMMENT ON FUNCTION cjo.journey_edges_now() IS 'What cjo.journey_edges shows: the rollup corrected by the changed customer-journeys, or the history before the first refresh';
CREATE VIEW cjo.journey_edges AS SELECT * FROM cjo.journey_edges_now();
COMMENT ON VIEW cjo.journey_edges IS 'Flows between nodes per journey version, what a Sankey diagram needs: from (entry) to the start node, node to node, and from a node to (converted), (exited) or (restarted) when an event ended the run there. Reads the rollup of cjo_refresh_analytics() and recomputes what changed since from the history';
COMMENT ON COLUMN cjo.journey_edges.journey IS 'Journey name';
COMMENT ON COLUMN cjo.journey_edges.version IS 'Journey version';
COMMENT ON COLUMN cjo.journey_edges.source IS 'Node left, or (entry)';
COMMENT ON COLUMN cjo.journey_edges.target IS 'Node reached, or (converted), (exited), (restarted)';
COMMENT ON COLUMN cjo.journey_edges.transitions IS 'Times the edge was taken';
COMMENT ON COLUMN cjo.journey_edges.runs IS 'Runs that took the edge at least once';

-- A function, so that it can run without JIT: the plan's cost counts the
-- history branch that never runs, and compiling it would cost more than the
-- query.
CREATE FUNCTION cjo.experiment_results_now() RETURNS SETOF cjo.experiment_results_from_history
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET jit = off AS
$$
BEGIN
    RETURN QUERY
    SELECT * FROM (
    WITH changed AS MATERIALIZED (
        SELECT * FROM cjo.analytics_changed_pairs()
    ), delta AS (
        SELECT -1 AS sign, r.journey_id, r.version, r.assignments
          FROM cjo.analytics_run_facts r
          JOIN changed c ON c.customer_id = r.customer_id AND c.journey_id = r.journey_id
        UNION ALL
        SELECT 1, c.journey_id, c.version, c.assignments
          FROM (SELECT array_agg(p.customer_id) AS customers, array_agg(p.journey_id) AS journeys FROM changed p) a
         CROSS JOIN LATERAL cjo.analytics_compute(false, a.customers, a.journeys) c
    ), outcomes AS (
        SELECT o.journey_id, o.version, o.node_index, o.choice, sum(o.runs)::bigint AS runs,
               sum(o.conversions)::bigint AS conversions
          FROM (SELECT e.journey_id, e.version, e.node_index, e.choice, e.runs, e.conversions
                  FROM cjo.analytics_experiments e
                UNION ALL
                SELECT d.journey_id, d.version, a.node_index, a.choice, d.sign, d.sign * a.converted
                  FROM delta d
                 CROSS JOIN LATERAL cjo.analytics_run_assignments(d.assignments) a) o
         GROUP BY 1, 2, 3, 4
        HAVING sum(o.runs) <> 0
    )
    SELECT r.*
      FROM (SELECT array_agg(o.journey_id::integer) AS journeys, array_agg(o.version::integer) AS versions,
                   array_agg(o.node_index::integer) AS nodes, array_agg(o.choice::integer) AS choices,
                   array_agg(o.runs) AS runs, array_agg(o.conversions) AS conversions
              FROM outcomes o) a
     CROSS JOIN LATERAL cjo.compare_variants(a.journeys, a.versions, a.nodes, a.choices, a.runs, a.conversions) r
    ) rollup
     WHERE EXISTS (SELECT FROM cjo.analytics_refresh)
    UNION ALL
    SELECT * FROM cjo.experiment_results_from_history WHERE NOT EXISTS (SELECT FROM cjo.analytics_refresh);
END
$$;
COMMENT ON FUNCTION cjo.experiment_results_now() IS 'What cjo.experiment_results shows: the rollup corrected by the changed customer-journeys, or the history before the first refresh';
CREATE VIEW cjo.experiment_results AS SELECT * FROM cjo.experiment_results_now();
COMMENT ON VIEW cjo.experiment_results IS 'Every split node of every journey version, per variant: runs sent there, runs that reached the goal afterwards, and the comparison with the baseline (the control variant, or the first variant if none is marked). Reads the rollup of cjo_refresh_analytics() and recomputes what changed since from the history';
COMMENT ON COLUMN cjo.experiment_results.journey IS 'Journey name';
COMMENT ON COLUMN cjo.experiment_results.version IS 'Journey version';
COMMENT ON COLUMN cjo.experiment_results.split_node IS 'The split node';
COMMENT ON COLUMN cjo.experiment_results.variant IS 'Variant name';
COMMENT ON COLUMN cjo.experiment_results.baseline IS 'True for the variant the others are compared with: the control, or the first variant if none is marked control';
COMMENT ON COLUMN cjo.experiment_results.entered IS 'Runs sent to the variant';
COMMENT ON COLUMN cjo.experiment_results.converted IS 'Of those, runs that reached the goal after passing the split';
COMMENT ON COLUMN cjo.experiment_results.conversion_rate IS 'converted / entered';
COMMENT ON COLUMN cjo.experiment_results.lift IS 'conversion_rate / baseline rate - 1 (NULL for the baseline)';
COMMENT ON COLUMN cjo.experiment_results.lift_ci_low IS 'Lower end of the 95% interval of the lift: the difference interval divided by the baseline rate';
COMMENT ON COLUMN cjo.experiment_results.lift_ci_high IS 'Upper end of the 95% interval of the lift';
COMMENT ON COLUMN cjo.experiment_results.difference IS 'conversion_rate - baseline rate';
COMMENT ON COLUMN cjo.experiment_results.difference_ci_low IS 'Lower end of the 95% Wald interval of the difference (unpooled variance: sqrt(p1(1-p1)/n1 + p2(1-p2)/n2))';
COMMENT ON COLUMN cjo.experiment_results.difference_ci_high IS 'Upper end of the 95% Wald interval of the difference';
COMMENT ON COLUMN cjo.experiment_results.p_value IS 'Two-sided p-value of the two-proportion z-test against the baseline, pooled variance: z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2)), p = (x1 + x2) / (n1 + n2); NULL when undefined';
COMMENT ON COLUMN cjo.experiment_results.probability_to_beat_baseline IS 'Bayesian probability that the variant''s rate is above the baseline''s, with Beta(1 + converted, 1 + entered - converted) posteriors (uniform priors), computed in closed form';
