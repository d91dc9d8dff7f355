
------------------------------------------------------------------------------
-- Analytics: journey funnels, paths, experiments, ad-hoc funnels over events.
-- Everything reads cjo.history (one row per move: a path of node indexes),
-- cjo.journey_state and cjo.events; nothing here is maintained on the hot path.
------------------------------------------------------------------------------

-- One run's moves summed up (src/run_summary.c).
CREATE TYPE cjo.run_summary AS (
    entered_at   timestamptz,
    last_at      timestamptz,
    last_node    smallint,
    last_cause   "char",
    converted_at timestamptz,
    nodes        smallint[]
);
COMMENT ON TYPE cjo.run_summary IS 'What cjo.summarize_run returns about one run';
CREATE FUNCTION cjo.summarize_run_add(internal, integer, "char", timestamptz, smallint[])
    RETURNS internal AS 'MODULE_PATHNAME', 'cjo_run_summary_add' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION cjo.summarize_run_add(internal, integer, "char", timestamptz, smallint[]) IS
    'Transition function of cjo.summarize_run';
CREATE FUNCTION cjo.summarize_run_result(internal)
    RETURNS cjo.run_summary AS 'MODULE_PATHNAME', 'cjo_run_summary_result' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION cjo.summarize_run_result(internal) IS 'Final function of cjo.summarize_run';
CREATE AGGREGATE cjo.summarize_run(step integer, cause "char", at timestamptz, path smallint[]) (
    SFUNC = cjo.summarize_run_add,
    STYPE = internal,
    FINALFUNC = cjo.summarize_run_result
);
COMMENT ON AGGREGATE cjo.summarize_run(integer, "char", timestamptz, smallint[]) IS
    'One run''s moves (cjo.history rows, in any order) summed up: entry time, last move, last node and cause, goal time, nodes reached in order';

-- One row per run of a journey version: how it started, where it is or
-- ended, and whether it reached the goal.
CREATE VIEW cjo.runs_from_history AS
SELECT r.customer_id, r.journey_id, r.version, r.run, (r.s).entered_at, (r.s).last_at,
       (r.s).last_node, (r.s).converted_at,
       CASE WHEN s.run = r.run AND s.version > r.version THEN 'migrated'
            WHEN s.run = r.run AND s.status = 'a' THEN 'active'
            WHEN n.node_type = 'exit' THEN 'completed'
            WHEN (r.s).last_cause = 'g' THEN 'converted'
            WHEN (r.s).last_cause = 'x' THEN 'exited'
            WHEN (r.s).last_cause = 'r' THEN 'restarted'
            WHEN (r.s).last_cause = 'i' THEN 'merged'
            ELSE 'completed' END AS outcome,
       (r.s).nodes
  FROM (SELECT h.customer_id, h.journey_id, h.version, h.run, cjo.summarize_run(h.step, h.cause, h.at, h.path) AS s
          FROM cjo.history h
         GROUP BY h.customer_id, h.journey_id, h.version, h.run) r
  JOIN cjo.journey_state s ON s.customer_id = r.customer_id AND s.journey_id = r.journey_id
  LEFT JOIN cjo.journey_nodes n ON n.journey_id = r.journey_id AND n.version = r.version AND n.node_index = (r.s).last_node;
COMMENT ON VIEW cjo.runs_from_history IS 'cjo.runs computed from cjo.history alone, without the rollup (what cjo.runs shows before the first cjo_refresh_analytics()): One row per run (one pass of a customer through a journey version): when it started, where it is or ended, how it ended';
COMMENT ON COLUMN cjo.runs_from_history.customer_id IS 'The customer';
COMMENT ON COLUMN cjo.runs_from_history.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.runs_from_history.version IS 'The journey version the run follows';
COMMENT ON COLUMN cjo.runs_from_history.run IS 'Entry count of the run (1 for the first entry)';
COMMENT ON COLUMN cjo.runs_from_history.entered_at IS 'When the run entered the journey';
COMMENT ON COLUMN cjo.runs_from_history.last_at IS 'Time of the run''s latest move';
COMMENT ON COLUMN cjo.runs_from_history.last_node IS 'Index of the node the run is at, or ended at';
COMMENT ON COLUMN cjo.runs_from_history.converted_at IS 'When the run first reached the goal (NULL if never)';
COMMENT ON COLUMN cjo.runs_from_history.nodes IS 'Indexes of the nodes the run reached, in order (cjo.journey_nodes.node_index)';
COMMENT ON COLUMN cjo.runs_from_history.outcome IS 'migrated (moved on into a newer version by cjo_migrate: its rows there are a run of their own); active; completed (reached an exit node); converted (a goal with exit ended it); exited (exit event); restarted (ended by re-entry); merged (an anonymous run ended by cjo_identify). Whether it reached the goal is converted_at';

-- Which variant of which split each run was sent to (the first time it
-- passed the split).
CREATE VIEW cjo.experiment_assignments AS
SELECT DISTINCT ON (h.customer_id, h.journey_id, h.run, p.node)
       h.customer_id, h.journey_id, h.version, h.run, p.node AS node_index,
       h.choices[p.k] AS choice, h.step AS assigned_step, h.at AS assigned_at
  FROM cjo.history h
 CROSS JOIN LATERAL unnest(h.path) WITH ORDINALITY AS p(node, k)
  JOIN cjo.journey_nodes n ON n.journey_id = h.journey_id AND n.version = h.version
                          AND n.node_index = p.node AND n.node_type = 'split'
 WHERE h.choices IS NOT NULL AND h.choices[p.k] IS NOT NULL
 ORDER BY h.customer_id, h.journey_id, h.run, p.node, h.step;
COMMENT ON VIEW cjo.experiment_assignments IS 'The variant each run was sent to at each split node it passed';
COMMENT ON COLUMN cjo.experiment_assignments.customer_id IS 'The customer';
COMMENT ON COLUMN cjo.experiment_assignments.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.experiment_assignments.version IS 'The journey version';
COMMENT ON COLUMN cjo.experiment_assignments.run IS 'The run';
COMMENT ON COLUMN cjo.experiment_assignments.node_index IS 'Index of the split node';
COMMENT ON COLUMN cjo.experiment_assignments.choice IS 'Index of the variant (cjo.journey_choices.choice)';
COMMENT ON COLUMN cjo.experiment_assignments.assigned_step IS 'Step of the move that passed the split';
COMMENT ON COLUMN cjo.experiment_assignments.assigned_at IS 'When the run passed the split';

------------------------------------------------------------------------------
-- Journey funnel: every node of a journey version in graph order.
------------------------------------------------------------------------------
CREATE FUNCTION cjo.run_facts_add(internal, cjo.journey, "char", integer, "char", timestamptz, smallint[], smallint[])
    RETURNS internal AS 'MODULE_PATHNAME', 'cjo_run_facts_add' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION cjo.run_facts_add(internal, cjo.journey, "char", integer, "char", timestamptz, smallint[], smallint[]) IS
    'Transition function of cjo.run_facts';
CREATE FUNCTION cjo.run_facts_result(internal)
    RETURNS bigint[] AS 'MODULE_PATHNAME', 'cjo_run_facts_result' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION cjo.run_facts_result(internal) IS 'Final function of cjo.run_facts';
CREATE AGGREGATE cjo.run_facts(graph cjo.journey, run_state "char", step integer, cause "char", at timestamptz,
                               path smallint[], choices smallint[]) (
    SFUNC = cjo.run_facts_add,
    STYPE = internal,
    FINALFUNC = cjo.run_facts_result
);
COMMENT ON AGGREGATE cjo.run_facts(cjo.journey, "char", integer, "char", timestamptz, smallint[], smallint[]) IS
    'What the journey funnel counts about one run, from its moves in cjo.history (one pass): {entry time, first split node, its variant, converted, then (node, flags, stay) triples}; used by cjo_journey_funnel()';

CREATE FUNCTION cjo.journey_funnel_from_history(journey_name text DEFAULT NULL,
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
    RETURN QUERY
    WITH scope AS MATERIALIZED (
        SELECT v.journey_id, j.name, v.version, v.graph
          FROM cjo.journeys j
          JOIN cjo.journey_versions v ON v.journey_id = j.journey_id
         WHERE (journey_name IS NULL OR j.name = journey_name)
           AND (journey_version IS NULL OR v.version = journey_version)
    ), runs AS MATERIALIZED (
        -- One pass over the history: what each run did (src/run_facts.c).
        SELECT h.journey_id, h.version,
               cjo.run_facts(sc.graph,
                             CASE WHEN s.run = h.run AND s.version > h.version THEN 'm'
                                  WHEN s.run = h.run AND s.status = 'a' THEN 'a' ELSE 'e' END::"char",
                             h.step, h.cause, h.at, h.path, h.choices) AS f,
               bool_and(s.run = h.run AND s.version = h.version AND s.status = 'a' AND journey_funnel_from_history.stalled_after IS NOT NULL
                        AND s.node_at < now() - journey_funnel_from_history.stalled_after) AS is_stalled
          FROM cjo.history h
          JOIN scope sc ON sc.journey_id = h.journey_id AND sc.version = h.version
          JOIN cjo.journey_state s ON s.customer_id = h.customer_id AND s.journey_id = h.journey_id
         GROUP BY h.customer_id, h.journey_id, h.version, h.run
    ), variants AS MATERIALIZED (
        SELECT c.journey_id, c.version, c.node_index, c.choice, c.node || ': ' || c.label AS name
          FROM cjo.journey_choices c
          JOIN scope sc ON sc.journey_id = c.journey_id AND sc.version = c.version
    ), segments AS MATERIALIZED (
        SELECT r.journey_id, r.version, r.f, r.is_stalled,
               CASE journey_funnel_from_history.breakdown
                   WHEN 'entry_week' THEN to_char(date_trunc('week', timestamptz '2000-01-01 00:00:00+00' + r.f[1] * interval '1 microsecond'),
                                                  'IYYY-"W"IW')
                   WHEN 'variant' THEN coalesce(v.name, '(no split)')
                   ELSE ''
               END AS segment
          FROM runs r
          LEFT JOIN variants v ON v.journey_id = r.journey_id AND v.version = r.version
                              AND v.node_index = r.f[2] AND v.choice = r.f[3]
    ), facts AS MATERIALIZED (
        SELECT g.journey_id, g.version, g.segment, g.is_stalled,
               g.f[i] AS node, g.f[i + 1] AS flags, g.f[i + 2] AS stay
          FROM segments g
         CROSS JOIN LATERAL generate_series(5, cardinality(g.f) - 2, 3) AS i
    ), per_node AS MATERIALIZED (
        SELECT x.journey_id, x.version, x.segment, x.node,
               count(*) FILTER (WHERE x.flags & 1 <> 0) AS entered,
               count(*) FILTER (WHERE x.flags & 4 <> 0) AS waiting,
               count(*) FILTER (WHERE x.flags & 4 <> 0 AND x.is_stalled) AS stalled,
               count(*) FILTER (WHERE x.flags & 2 <> 0) AS moved_on,
               count(*) FILTER (WHERE x.flags & 8 <> 0) AS ended,
               count(*) FILTER (WHERE x.flags & 16 <> 0) AS completed,
               count(*) FILTER (WHERE x.flags & 32 <> 0) AS converted,
               count(*) FILTER (WHERE x.flags & 64 <> 0) AS ended_unconverted,
               count(*) FILTER (WHERE x.flags & 128 <> 0) AS runs_before
          FROM facts x
         GROUP BY 1, 2, 3, 4
    ), times AS MATERIALIZED (
        -- Percentiles sort their rows: only the rows with a stay.
        SELECT x.journey_id, x.version, x.segment, x.node,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY x.stay) AS median_us,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY x.stay) AS p90_us
          FROM facts x
         WHERE x.stay >= 0
         GROUP BY 1, 2, 3, 4
    ), entries AS MATERIALIZED (
        SELECT g.journey_id, g.version, g.segment, count(*) AS runs
          FROM segments g
         GROUP BY 1, 2, 3
    )
    SELECT sc.name, n.version, e.segment, n.node_index::integer, n.node, n.node_type,
           coalesce(p.entered, 0), coalesce(p.waiting, 0), coalesce(p.stalled, 0), coalesce(p.moved_on, 0),
           coalesce(p.ended, 0), coalesce(p.completed, 0), coalesce(p.converted, 0),
           coalesce(p.ended_unconverted, 0) + coalesce(p.stalled, 0),
           coalesce(p.entered, 0)::double precision / nullif(e.runs, 0),
           coalesce(p.entered, 0)::double precision / nullif(coalesce(p.runs_before, 0), 0),
           CASE WHEN n.node_type IN ('action', 'set', 'branch', 'split', 'next_best_action') AND coalesce(p.entered, 0) > 0 THEN interval '0'
                WHEN n.node_type <> 'exit' THEN t.median_us * interval '1 microsecond' END,
           CASE WHEN n.node_type IN ('action', 'set', 'branch', 'split', 'next_best_action') AND coalesce(p.entered, 0) > 0 THEN interval '0'
                WHEN n.node_type <> 'exit' THEN t.p90_us * interval '1 microsecond' END
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
COMMENT ON FUNCTION cjo.journey_funnel_from_history(text, integer, text, interval) IS
    'cjo_journey_funnel() computed from cjo.history alone, without the rollup: Funnel of journey versions node by node (graph order): entered, waiting, stalled, moved on, ended, converted and dropped per node, conversion from the entry and from the previous nodes, median and p90 time in the node; breakdown by entry_week or split variant';

------------------------------------------------------------------------------
-- Paths: node-to-node edges (for Sankey diagrams) and whole paths.
------------------------------------------------------------------------------
CREATE VIEW cjo.journey_edges_from_history AS
WITH edges AS (
    -- Consecutive nodes of every move (the entry move starts from NULL).
    SELECT h.journey_id, h.version, h.path[p.k - 1] AS from_index, p.node AS to_index, NULL::text AS ending,
           count(*) AS transitions, count(DISTINCT (h.customer_id, h.run)) AS runs
      FROM cjo.history h
     CROSS JOIN LATERAL unnest(h.path) WITH ORDINALITY AS p(node, k)
     WHERE p.k >= 2
     GROUP BY 1, 2, 3, 4
    UNION ALL
    -- Runs that an event ended at a node: exit event, goal with exit, re-entry.
    SELECT r.journey_id, r.version, r.last_node, NULL::smallint, '(' || r.outcome || ')', count(*), count(*)
      FROM cjo.runs_from_history r
     WHERE r.outcome IN ('converted', 'exited', 'restarted')
     GROUP BY 1, 2, 3, 4, 5
)
SELECT j.name AS journey, e.version, coalesce(f.node, '(entry)') AS source, coalesce(t.node, e.ending) AS target,
       e.transitions, e.runs
  FROM edges e
  JOIN cjo.journeys j ON j.journey_id = e.journey_id
  LEFT JOIN cjo.journey_nodes f ON f.journey_id = e.journey_id AND f.version = e.version AND f.node_index = e.from_index
  LEFT JOIN cjo.journey_nodes t ON t.journey_id = e.journey_id AND t.version = e.version AND t.node_index = e.to_index;
COMMENT ON VIEW cjo.journey_edges_from_history IS 'cjo.journey_edges computed from cjo.history alone, without the rollup: Flows between nodes per journey version, what a Sankey diagram needs: from (entry) to the start node, node to node, and from a node to (converted), (exited) or (restarted) when an event ended the run there';
COMMENT ON COLUMN cjo.journey_edges_from_history.journey IS 'Journey name';
COMMENT ON COLUMN cjo.journey_edges_from_history.version IS 'Journey version';
COMMENT ON COLUMN cjo.journey_edges_from_history.source IS 'Node left, or (entry)';
COMMENT ON COLUMN cjo.journey_edges_from_history.target IS 'Node reached, or (converted), (exited), (restarted)';
COMMENT ON COLUMN cjo.journey_edges_from_history.transitions IS 'Times the edge was taken';
COMMENT ON COLUMN cjo.journey_edges_from_history.runs IS 'Runs that took the edge at least once';

CREATE FUNCTION @extschema@.cjo_journey_paths(journey_name text, journey_version integer DEFAULT NULL,
                                              max_paths integer DEFAULT 20,
                                              include_active boolean DEFAULT false)
    RETURNS TABLE (version integer, path text, outcome text, runs bigint, share double precision,
                   converted bigint, conversion_rate double precision, median_duration interval)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET jit = off AS
$$
#variable_conflict use_column
DECLARE
    jid integer;
BEGIN
    SELECT j.journey_id INTO jid FROM cjo.journeys j WHERE j.name = journey_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'journey "%" does not exist', journey_name USING ERRCODE = 'undefined_object';
    END IF;
    IF max_paths IS NULL OR max_paths < 1 THEN
        RAISE EXCEPTION 'max_paths must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH counted AS (
        SELECT r.version, r.nodes, r.outcome, count(*) AS runs,
               count(*) FILTER (WHERE r.converted_at IS NOT NULL) AS converted,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY r.last_at - r.entered_at) AS median_duration
          FROM cjo.runs r
         WHERE r.journey_id = jid
           AND (journey_version IS NULL OR r.version = journey_version)
           AND (include_active OR r.outcome <> 'active')
         GROUP BY 1, 2, 3
    ), named AS (
        -- Node names only for the distinct paths.
        SELECT c.*, (SELECT string_agg(n.node, ' > ' ORDER BY p.k)
                       FROM unnest(c.nodes) WITH ORDINALITY AS p(node, k)
                       JOIN cjo.journey_nodes n ON n.journey_id = jid AND n.version = c.version
                                               AND n.node_index = p.node) AS path
          FROM counted c
    )
    SELECT c.version, c.path, c.outcome, c.runs,
           c.runs::double precision / sum(c.runs) OVER (PARTITION BY c.version),
           c.converted, c.converted::double precision / c.runs, c.median_duration
      FROM named c
     ORDER BY c.runs DESC, c.version, c.path, c.outcome
     LIMIT max_paths;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_journey_paths(text, integer, integer, boolean) IS
    'The most common paths through a journey (node names in order) with their outcome, number of runs, share, conversions and median duration; finished runs only unless include_active';

------------------------------------------------------------------------------
-- Experiments: every split node, per variant, against its control.
------------------------------------------------------------------------------
CREATE FUNCTION cjo.two_proportion_p_value(control_conversions bigint, control_runs bigint,
                                           conversions bigint, runs bigint)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'cjo_two_proportion_p_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cjo.two_proportion_p_value(bigint, bigint, bigint, bigint) IS
    'Two-sided p-value of the two-proportion z-test with pooled variance; NULL when undefined';

CREATE FUNCTION cjo.probability_to_beat(control_conversions bigint, control_runs bigint,
                                        conversions bigint, runs bigint)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'cjo_probability_to_beat' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cjo.probability_to_beat(bigint, bigint, bigint, bigint) IS
    'P(variant rate > control rate) with Beta(1 + conversions, 1 + non-conversions) posteriors, in closed form';

-- The comparison of a split's variants with its baseline, from the runs and
-- conversions per variant (one element per variant in each array): one
-- computation for the history-only view and the rollup.
CREATE FUNCTION cjo.compare_variants(outcome_journeys integer[], outcome_versions integer[],
                                     outcome_nodes integer[], outcome_choices integer[],
                                     outcome_runs bigint[], outcome_conversions bigint[])
    RETURNS TABLE (journey text, version integer, split_node text, variant text, baseline boolean,
                   entered bigint, converted bigint, conversion_rate double precision,
                   lift double precision, lift_ci_low double precision, lift_ci_high double precision,
                   difference double precision, difference_ci_low double precision,
                   difference_ci_high double precision, p_value double precision,
                   probability_to_beat_baseline double precision)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS
$$
WITH outcomes AS (
    SELECT * FROM unnest(outcome_journeys, outcome_versions, outcome_nodes, outcome_choices, outcome_runs, outcome_conversions)
                     AS o(journey_id, version, node_index, choice, runs, conversions)
), variants AS (
    SELECT c.journey_id, c.journey, c.version, c.node_index, c.node, c.choice, c.label, c.control,
           coalesce(o.runs, 0) AS runs, coalesce(o.conversions, 0) AS conversions
      FROM cjo.journey_choices c
      JOIN cjo.journey_nodes n ON n.journey_id = c.journey_id AND n.version = c.version
                              AND n.node_index = c.node_index AND n.node_type = 'split'
      LEFT JOIN outcomes o ON o.journey_id = c.journey_id AND o.version = c.version
                          AND o.node_index = c.node_index AND o.choice = c.choice
), baseline AS (
    -- The control variant, or the first variant if none is marked.
    SELECT DISTINCT ON (journey_id, version, node_index) journey_id, version, node_index,
           choice AS base_choice, runs AS base_runs, conversions AS base_conversions
      FROM variants
     ORDER BY journey_id, version, node_index, control DESC, choice
), rates AS (
    SELECT v.*, b.base_choice, b.base_runs, b.base_conversions,
           v.conversions::double precision / nullif(v.runs, 0) AS rate,
           b.base_conversions::double precision / nullif(b.base_runs, 0) AS base_rate
      FROM variants v
      JOIN baseline b USING (journey_id, version, node_index)
), diffs AS (
    SELECT r.*, r.rate - r.base_rate AS difference,
           1.959963984540054 * sqrt(r.rate * (1 - r.rate) / nullif(r.runs, 0)
                                    + r.base_rate * (1 - r.base_rate) / nullif(r.base_runs, 0)) AS margin
      FROM rates r
)
SELECT d.journey, d.version, d.node AS split_node, d.label AS variant, d.choice = d.base_choice AS baseline,
       d.runs AS entered, d.conversions AS converted, d.rate AS conversion_rate,
       CASE WHEN d.choice <> d.base_choice THEN d.rate / nullif(d.base_rate, 0) - 1 END AS lift,
       CASE WHEN d.choice <> d.base_choice THEN (d.difference - d.margin) / nullif(d.base_rate, 0) END AS lift_ci_low,
       CASE WHEN d.choice <> d.base_choice THEN (d.difference + d.margin) / nullif(d.base_rate, 0) END AS lift_ci_high,
       CASE WHEN d.choice <> d.base_choice THEN d.difference END AS difference,
       CASE WHEN d.choice <> d.base_choice THEN d.difference - d.margin END AS difference_ci_low,
       CASE WHEN d.choice <> d.base_choice THEN d.difference + d.margin END AS difference_ci_high,
       CASE WHEN d.choice <> d.base_choice
            THEN cjo.two_proportion_p_value(d.base_conversions, d.base_runs, d.conversions, d.runs) END AS p_value,
       CASE WHEN d.choice <> d.base_choice
            THEN cjo.probability_to_beat(d.base_conversions, d.base_runs, d.conversions, d.runs) END
           AS probability_to_beat_baseline
  FROM diffs d
 ORDER BY d.journey, d.version, d.node_index, d.choice
$$;
COMMENT ON FUNCTION cjo.compare_variants(integer[], integer[], integer[], integer[], bigint[], bigint[]) IS
    'Every split node of every journey version, per variant, with the runs and conversions given (none: 0): conversion rate, lift and difference against the baseline (the control variant, or the first) with 95% intervals, p-value, probability to beat the baseline';

CREATE VIEW cjo.experiment_results_from_history AS
WITH goals AS (
    SELECT g.customer_id, g.journey_id, g.run, min(g.step) AS goal_step
      FROM cjo.history g
     WHERE g.cause = 'g'
     GROUP BY 1, 2, 3
), outcomes AS (
    SELECT a.journey_id, a.version, a.node_index, a.choice,
           count(*) AS runs,
           count(*) FILTER (WHERE g.goal_step > a.assigned_step) AS conversions
      FROM cjo.experiment_assignments a
      LEFT JOIN goals g ON g.customer_id = a.customer_id AND g.journey_id = a.journey_id AND g.run = a.run
     GROUP BY 1, 2, 3, 4
)
SELECT r.*
  FROM (SELECT array_agg(o.journey_id::integer) AS journeys, array_agg(o.version::integer) AS versions,
               array_agg(o.node_index::integer) AS nodes, array_agg(o.choice::integer) AS choices,
               array_agg(o.runs::bigint) AS runs, array_agg(o.conversions::bigint) AS conversions
          FROM outcomes o) a
 CROSS JOIN LATERAL cjo.compare_variants(a.journeys, a.versions, a.nodes, a.choices, a.runs, a.conversions) r;
COMMENT ON VIEW cjo.experiment_results_from_history IS 'cjo.experiment_results computed from cjo.history alone, without the rollup: Every split node of every journey version, per variant: runs sent there, runs that reached the goal afterwards, and the comparison with the baseline (the control variant, or the first variant if none is marked)';
COMMENT ON COLUMN cjo.experiment_results_from_history.journey IS 'Journey name';
COMMENT ON COLUMN cjo.experiment_results_from_history.version IS 'Journey version';
COMMENT ON COLUMN cjo.experiment_results_from_history.split_node IS 'The split node';
COMMENT ON COLUMN cjo.experiment_results_from_history.variant IS 'Variant name';
COMMENT ON COLUMN cjo.experiment_results_from_history.baseline IS 'True for the variant the others are compared with: the control, or the first variant if none is marked control';
COMMENT ON COLUMN cjo.experiment_results_from_history.entered IS 'Runs sent to the variant';
COMMENT ON COLUMN cjo.experiment_results_from_history.converted IS 'Of those, runs that reached the goal after passing the split';
COMMENT ON COLUMN cjo.experiment_results_from_history.conversion_rate IS 'converted / entered';
COMMENT ON COLUMN cjo.experiment_results_from_history.lift IS 'conversion_rate / baseline rate - 1 (NULL for the baseline)';
COMMENT ON COLUMN cjo.experiment_results_from_history.lift_ci_low IS 'Lower end of the 95% interval of the lift: the difference interval divided by the baseline rate';
COMMENT ON COLUMN cjo.experiment_results_from_history.lift_ci_high IS 'Upper end of the 95% interval of the lift';
COMMENT ON COLUMN cjo.experiment_results_from_history.difference IS 'conversion_rate - baseline rate';
COMMENT ON COLUMN cjo.experiment_results_from_history.difference_ci_low IS 'Lower end of the 95% Wald interval of the difference (unpooled variance: sqrt(p1(1-p1)/n1 + p2(1-p2)/n2))';
COMMENT ON COLUMN cjo.experiment_results_from_history.difference_ci_high IS 'Upper end of the 95% Wald interval of the difference';
COMMENT ON COLUMN cjo.experiment_results_from_history.p_value IS 'Two-sided p-value of the two-proportion z-test against the baseline, pooled variance: z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2)), p = (x1 + x2) / (n1 + n2); NULL when undefined';
COMMENT ON COLUMN cjo.experiment_results_from_history.probability_to_beat_baseline IS 'Bayesian probability that the variant''s rate is above the baseline''s, with Beta(1 + converted, 1 + entered - converted) posteriors (uniform priors), computed in closed form';

------------------------------------------------------------------------------
-- Ad-hoc funnels over raw events, independent of journeys.
------------------------------------------------------------------------------
CREATE FUNCTION cjo.window_funnel_add(internal, timestamptz, bigint, integer, interval, integer)
    RETURNS internal AS 'MODULE_PATHNAME', 'cjo_window_funnel_add' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION cjo.window_funnel_add(internal, timestamptz, bigint, integer, interval, integer) IS
    'Transition function of cjo.window_funnel';
CREATE FUNCTION cjo.window_funnel_result(internal)
    RETURNS bigint[] AS 'MODULE_PATHNAME', 'cjo_window_funnel_result' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION cjo.window_funnel_result(internal) IS 'Final function of cjo.window_funnel';

CREATE AGGREGATE cjo.window_funnel(occurred_at timestamptz, matched_steps bigint, steps integer,
                                   "window" interval, mode integer) (
    SFUNC = cjo.window_funnel_add,
    STYPE = internal,
    FINALFUNC = cjo.window_funnel_result
);
COMMENT ON AGGREGATE cjo.window_funnel(timestamptz, bigint, integer, interval, integer) IS
    'One customer''s progress through an ordered funnel, as ClickHouse''s windowFunnel: matched_steps has bit k-1 set when the event matches step k; mode bits 1 strict_order, 2 strict_deduplication, 4 strict_increase. Returns {level, 0, t2, ..., t_level}: the deepest step reached and the microseconds from the first step to each step';

CREATE FUNCTION @extschema@.cjo_funnel(steps jsonb, "window" interval DEFAULT '1 day',
                                       mode text[] DEFAULT '{}',
                                       since timestamptz DEFAULT NULL, "until" timestamptz DEFAULT NULL)
    RETURNS TABLE (step integer, event text, customers bigint, dropped bigint,
                   conversion_from_first double precision, conversion_from_previous double precision,
                   median_time_from_first interval, p90_time_from_first interval,
                   avg_time_from_first interval)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    nsteps integer;
    flags integer := 0;
    m text;
    s jsonb;
    k integer := 0;
    names text[] := '{}';
    labels text[] := '{}';
    mask text := '';
    needs_doc boolean := false;
    event_filter text;
    query text;
BEGIN
    IF steps IS NULL OR jsonb_typeof(steps) <> 'array' OR jsonb_array_length(steps) = 0 THEN
        RAISE EXCEPTION 'funnel steps must be a non-empty JSON array'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example ''["product_viewed", {"event": "purchase", "when": "$.event.properties.amount > 100"}]''.';
    END IF;
    nsteps := jsonb_array_length(steps);
    IF nsteps > 32 THEN
        RAISE EXCEPTION 'a funnel has at most 32 steps, not %', nsteps USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF "window" IS NULL OR "window" < interval '0' THEN
        RAISE EXCEPTION 'the funnel window must be a non-negative interval' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH m IN ARRAY coalesce(mode, '{}') LOOP
        flags := flags | CASE m WHEN 'strict_order' THEN 1 WHEN 'strict_deduplication' THEN 2
                                WHEN 'strict_increase' THEN 4 ELSE -1 END;
        IF flags < 0 THEN
            RAISE EXCEPTION 'unknown funnel mode "%"', m
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Modes are strict_order, strict_deduplication and strict_increase.';
        END IF;
    END LOOP;

    FOR s IN SELECT value FROM jsonb_array_elements(steps) LOOP
        k := k + 1;
        IF jsonb_typeof(s) = 'string' THEN
            s := jsonb_build_object('event', s);
        ELSIF jsonb_typeof(s) <> 'object' OR jsonb_typeof(s -> 'event') IS DISTINCT FROM 'string'
              OR EXISTS (SELECT FROM jsonb_object_keys(s) key WHERE key NOT IN ('event', 'when', 'label'))
              OR (s ? 'when' AND jsonb_typeof(s -> 'when') <> 'string')
              OR (s ? 'label' AND jsonb_typeof(s -> 'label') <> 'string') THEN
            RAISE EXCEPTION 'funnel step % must be an event name or {"event": name, "when": condition, "label": text}', k
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        names := names || (s ->> 'event');
        labels := labels || coalesce(s ->> 'label', s ->> 'event');
        mask := mask || CASE WHEN k > 1 THEN ' | ' ELSE '' END
                || format('CASE WHEN e.name = %L', s ->> 'event')
                || CASE WHEN s ? 'when'
                        THEN format(' AND jsonb_path_match(doc, %L::jsonpath, silent => true)', s ->> 'when')
                        ELSE '' END
                || format(' THEN %s::bigint ELSE 0 END', (1::bigint << (k - 1)));
        needs_doc := needs_doc OR s ? 'when';
        IF s ? 'when' THEN
            PERFORM (s ->> 'when')::jsonpath;   -- a syntax error is reported here, with its position
        END IF;
    END LOOP;

    -- Strict order needs every event of the customer: any other event breaks the chain.
    event_filter := CASE WHEN flags & 1 = 1 THEN 'true' ELSE format('e.name = ANY (%L::text[])', names) END;
    query := format($q$
        WITH per_customer AS (
            SELECT cjo.window_funnel(e.occurred_at, %s, %s, %L::interval, %s) AS r
              FROM cjo.events e
              %s
             WHERE %s AND ($1 IS NULL OR e.occurred_at >= $1) AND ($2 IS NULL OR e.occurred_at < $2)
             GROUP BY e.customer_id
        ), reached AS (
            SELECT k AS step, p.r[k + 1] AS micros
              FROM per_customer p
             CROSS JOIN LATERAL generate_series(1, p.r[1]::integer) AS k
             WHERE p.r[1] > 0
        ), counted AS (
            SELECT k AS step, count(rc.micros) AS customers,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY rc.micros) AS median_micros,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY rc.micros) AS p90_micros,
                   avg(rc.micros) AS avg_micros
              FROM generate_series(1, %s) AS k
              LEFT JOIN reached rc ON rc.step = k
             GROUP BY k
        )
        SELECT c.step, ($3::text[])[c.step], c.customers,
               c.customers - coalesce(lead(c.customers) OVER (ORDER BY c.step), c.customers),
               c.customers::double precision / nullif(first_value(c.customers) OVER (ORDER BY c.step), 0),
               c.customers::double precision / nullif(coalesce(lag(c.customers) OVER (ORDER BY c.step), c.customers), 0),
               make_interval(secs => c.median_micros / 1e6),
               make_interval(secs => c.p90_micros / 1e6),
               make_interval(secs => c.avg_micros / 1e6)
          FROM counted c
         ORDER BY c.step
        $q$,
        mask, nsteps, "window", flags,
        CASE WHEN needs_doc
             THEN 'CROSS JOIN LATERAL (SELECT jsonb_build_object(''event'', jsonb_build_object(''name'', e.name, ''channel'', e.channel, ''properties'', e.properties, ''occurred_at'', e.occurred_at)) AS doc) d'
             ELSE '' END,
        event_filter, nsteps);
    RETURN QUERY EXECUTE query USING since, "until", labels;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_funnel(jsonb, interval, text[], timestamptz, timestamptz) IS
    'Ad-hoc ordered funnel over cjo.events, with ClickHouse windowFunnel semantics: steps are event names or {"event", "when", "label"}; the window is anchored on the first step; modes strict_order, strict_deduplication, strict_increase. Per step: customers reaching it, drop-off to the next step, conversion from the first and from the previous step, time from the first step';
