
------------------------------------------------------------------------------
-- Analytics: journey funnels, paths, experiments, ad-hoc funnels over events.
-- Everything reads cjo.history (one row per move: a path of node indexes),
-- cjo.journey_state and cjo.events; nothing here is maintained on the hot path.
------------------------------------------------------------------------------

-- One row per run of a journey version: how it started, where it is or
-- ended, and whether it reached the goal.
CREATE VIEW cjo.runs AS
SELECT r.customer_id, r.journey_id, r.version, r.run, r.entered_at, r.last_at,
       r.last_node, r.converted_at,
       CASE WHEN s.run = r.run AND s.status = 'a' THEN 'active'
            WHEN n.node_type = 'exit' THEN 'completed'
            WHEN r.last_cause = 'g' THEN 'converted'
            WHEN r.last_cause = 'x' THEN 'exited'
            WHEN r.last_cause = 'r' THEN 'restarted'
            ELSE 'completed' END AS outcome
  FROM (SELECT h.customer_id, h.journey_id, h.version, h.run,
               min(h.at) FILTER (WHERE h.cause = 'e') AS entered_at,
               max(h.at) AS last_at,
               (array_agg(h.path[cardinality(h.path)] ORDER BY h.step DESC))[1] AS last_node,
               (array_agg(h.cause ORDER BY h.step DESC))[1] AS last_cause,
               min(h.at) FILTER (WHERE h.cause = 'g') AS converted_at
          FROM cjo.history h
         GROUP BY h.customer_id, h.journey_id, h.version, h.run) r
  JOIN cjo.journey_state s ON s.customer_id = r.customer_id AND s.journey_id = r.journey_id
  LEFT JOIN cjo.journey_nodes n ON n.journey_id = r.journey_id AND n.version = r.version AND n.node_index = r.last_node;
COMMENT ON VIEW cjo.runs IS 'One row per run (one pass of a customer through a journey version): when it started, where it is or ended, how it ended';
COMMENT ON COLUMN cjo.runs.customer_id IS 'The customer';
COMMENT ON COLUMN cjo.runs.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.runs.version IS 'The journey version the run follows';
COMMENT ON COLUMN cjo.runs.run IS 'Entry count of the run (1 for the first entry)';
COMMENT ON COLUMN cjo.runs.entered_at IS 'When the run entered the journey';
COMMENT ON COLUMN cjo.runs.last_at IS 'Time of the run''s latest move';
COMMENT ON COLUMN cjo.runs.last_node IS 'Index of the node the run is at, or ended at';
COMMENT ON COLUMN cjo.runs.converted_at IS 'When the run first reached the goal (NULL if never)';
COMMENT ON COLUMN cjo.runs.outcome IS 'active; completed (reached an exit node); converted (a goal with exit ended it); exited (exit event); restarted (ended by re-entry). Whether it reached the goal is converted_at';

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
CREATE FUNCTION @extschema@.cjo_journey_funnel(journey_name text DEFAULT NULL,
                                               journey_version integer DEFAULT NULL,
                                               breakdown text DEFAULT NULL,
                                               stalled_after interval DEFAULT NULL)
    RETURNS TABLE (journey text, version integer, segment text, node_index integer, node text,
                   node_type text, entered bigint, waiting bigint, stalled bigint, moved_on bigint,
                   ended bigint, completed bigint, converted bigint, dropped bigint,
                   conversion_from_entry double precision, conversion_from_previous double precision,
                   median_time interval, p90_time interval)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
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
    WITH scope AS (
        SELECT v.journey_id, j.name, v.version
          FROM cjo.journeys j
          JOIN cjo.journey_versions v ON v.journey_id = j.journey_id
         WHERE (journey_name IS NULL OR j.name = journey_name)
           AND (journey_version IS NULL OR v.version = journey_version)
    ), moves AS (
        SELECT h.*
          FROM cjo.history h
          JOIN scope USING (journey_id, version)
    ), runs AS (
        SELECT m.customer_id, m.journey_id, m.version, m.run,
               min(m.at) FILTER (WHERE m.cause = 'e') AS entered_at,
               (array_agg(m.path[cardinality(m.path)] ORDER BY m.step DESC))[1] AS last_node,
               bool_or(m.cause = 'g') AS converted
          FROM moves m
         GROUP BY 1, 2, 3, 4
    ), segments AS (
        SELECT r.*,
               CASE cjo_journey_funnel.breakdown
                   WHEN 'entry_week' THEN to_char(date_trunc('week', r.entered_at), 'IYYY-"W"IW')
                   WHEN 'variant' THEN coalesce(
                       (SELECT c.node || ': ' || c.label
                          FROM cjo.experiment_assignments a
                          JOIN cjo.journey_choices c ON c.journey_id = a.journey_id AND c.version = a.version
                                                    AND c.node_index = a.node_index AND c.choice = a.choice
                         WHERE a.customer_id = r.customer_id AND a.journey_id = r.journey_id AND a.run = r.run
                         ORDER BY a.assigned_step, a.node_index
                         LIMIT 1), '(no split)')
                   ELSE ''
               END AS segment,
               (s.run = r.run AND s.status = 'a') AS active,
               (s.run = r.run AND s.status = 'a' AND cjo_journey_funnel.stalled_after IS NOT NULL
                AND s.node_at < now() - cjo_journey_funnel.stalled_after) AS is_stalled
          FROM runs r
          JOIN cjo.journey_state s ON s.customer_id = r.customer_id AND s.journey_id = r.journey_id
    ), visits AS (
        -- Each node a run reached, and whether it ever went on from there.
        SELECT m.journey_id, m.version, m.customer_id, m.run, p.node,
               bool_or(p.k < cardinality(m.path)) AS went_on
          FROM moves m
         CROSS JOIN LATERAL unnest(m.path) WITH ORDINALITY AS p(node, k)
         WHERE p.node IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5
    ), stays AS (
        -- Time at the node where a move left the run, until the run's next
        -- move that takes it away: a goal only does when it ended the run.
        SELECT x.journey_id, x.version, x.customer_id, x.run, x.path[cardinality(x.path)] AS node,
               x.left_at - x.at AS stay
          FROM (SELECT y.*,
                       min(y.at) FILTER (WHERE y.cause <> 'g' OR (y.is_last AND NOT y.active))
                           OVER (PARTITION BY y.customer_id, y.journey_id, y.run ORDER BY y.step
                                 ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS left_at
                  FROM (SELECT m.*, g.active,
                               m.step = max(m.step) OVER (PARTITION BY m.customer_id, m.journey_id, m.run) AS is_last
                          FROM moves m
                          JOIN segments g USING (customer_id, journey_id, version, run)) y) x
         WHERE cardinality(x.path) >= 2 AND x.left_at IS NOT NULL
    ), per_node AS (
        SELECT v.journey_id, v.version, g.segment, v.node,
               count(*) AS entered,
               count(*) FILTER (WHERE g.active AND g.last_node = v.node) AS waiting,
               count(*) FILTER (WHERE g.is_stalled AND g.last_node = v.node) AS stalled,
               count(*) FILTER (WHERE v.went_on) AS moved_on,
               count(*) FILTER (WHERE NOT g.active AND g.last_node = v.node) AS ended,
               count(*) FILTER (WHERE NOT g.active AND g.last_node = v.node AND NOT g.converted) AS ended_unconverted
          FROM visits v
          JOIN segments g USING (customer_id, journey_id, version, run)
         GROUP BY 1, 2, 3, 4
    ), goals AS (
        SELECT m.journey_id, m.version, g.segment, m.path[1] AS node, count(DISTINCT (m.customer_id, m.run)) AS converted
          FROM moves m
          JOIN segments g USING (customer_id, journey_id, version, run)
         WHERE m.cause = 'g'
         GROUP BY 1, 2, 3, 4
    ), times AS (
        SELECT t.journey_id, t.version, g.segment, t.node,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY t.stay) AS median_time,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY t.stay) AS p90_time
          FROM stays t
          JOIN segments g USING (customer_id, journey_id, version, run)
         GROUP BY 1, 2, 3, 4
    ), before AS (
        -- Runs that reached a node leading to each node (all runs, for the start node).
        SELECT pr.journey_id, pr.version, g.segment, pr.node_index AS node,
               count(DISTINCT (v.customer_id, v.run)) AS runs
          FROM (SELECT n.journey_id, n.version, t.node_index, n.node_index AS pred
                  FROM cjo.journey_nodes n
                  JOIN scope USING (journey_id, version)
                 CROSS JOIN LATERAL unnest(n.next_nodes) AS nx(name)
                  JOIN cjo.journey_nodes t ON t.journey_id = n.journey_id AND t.version = n.version
                                          AND t.node = nx.name) pr
          JOIN visits v ON v.journey_id = pr.journey_id AND v.version = pr.version AND v.node = pr.pred
          JOIN segments g ON g.customer_id = v.customer_id AND g.journey_id = v.journey_id AND g.run = v.run
         GROUP BY 1, 2, 3, 4
    ), entries AS (
        SELECT g.journey_id, g.version, g.segment, count(*) AS runs
          FROM segments g
         GROUP BY 1, 2, 3
    ), grid AS (
        SELECT sc.name, n.journey_id, n.version, e.segment, n.node_index, n.node, n.node_type, e.runs
          FROM scope sc
          JOIN cjo.journey_nodes n ON n.journey_id = sc.journey_id AND n.version = sc.version
          JOIN entries e ON e.journey_id = sc.journey_id AND e.version = sc.version
    ), counted AS (
        SELECT gr.*, coalesce(pn.entered, 0) AS entered, coalesce(pn.waiting, 0) AS waiting,
               coalesce(pn.stalled, 0) AS stalled, coalesce(pn.moved_on, 0) AS moved_on,
               coalesce(pn.ended, 0) AS ended, coalesce(pn.ended_unconverted, 0) AS ended_unconverted,
               coalesce(go.converted, 0) AS converted, ti.median_time, ti.p90_time,
               CASE WHEN gr.node_index = 0 THEN gr.runs ELSE coalesce(bf.runs, 0) END AS runs_before
          FROM grid gr
          LEFT JOIN per_node pn ON pn.journey_id = gr.journey_id AND pn.version = gr.version
                               AND pn.segment = gr.segment AND pn.node = gr.node_index
          LEFT JOIN goals go ON go.journey_id = gr.journey_id AND go.version = gr.version
                            AND go.segment = gr.segment AND go.node = gr.node_index
          LEFT JOIN times ti ON ti.journey_id = gr.journey_id AND ti.version = gr.version
                            AND ti.segment = gr.segment AND ti.node = gr.node_index
          LEFT JOIN before bf ON bf.journey_id = gr.journey_id AND bf.version = gr.version
                             AND bf.segment = gr.segment AND bf.node = gr.node_index
    )
    SELECT c.name, c.version, c.segment, c.node_index::integer, c.node, c.node_type,
           c.entered, c.waiting, c.stalled, c.moved_on, c.ended,
           CASE WHEN c.node_type = 'exit' THEN c.ended ELSE 0 END,
           c.converted, c.ended_unconverted + c.stalled,
           c.entered::double precision / nullif(c.runs, 0),
           c.entered::double precision / nullif(c.runs_before, 0),
           CASE WHEN c.node_type IN ('action', 'branch', 'split') AND c.entered > 0 THEN interval '0'
                WHEN c.node_type <> 'exit' THEN c.median_time END,
           CASE WHEN c.node_type IN ('action', 'branch', 'split') AND c.entered > 0 THEN interval '0'
                WHEN c.node_type <> 'exit' THEN c.p90_time END
      FROM counted c
     ORDER BY c.name, c.version, c.segment, c.node_index;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_journey_funnel(text, integer, text, interval) IS
    'Funnel of journey versions node by node (graph order): entered, waiting, stalled, moved on, ended, converted and dropped per node, conversion from the entry and from the previous nodes, median and p90 time in the node; breakdown by entry_week or split variant';

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

------------------------------------------------------------------------------
-- Paths: node-to-node edges (for Sankey diagrams) and whole paths.
------------------------------------------------------------------------------
CREATE VIEW cjo.journey_edges AS
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
      FROM cjo.runs r
     WHERE r.outcome IN ('converted', 'exited', 'restarted')
     GROUP BY 1, 2, 3, 4, 5
)
SELECT j.name AS journey, e.version, coalesce(f.node, '(entry)') AS source, coalesce(t.node, e.ending) AS target,
       e.transitions, e.runs
  FROM edges e
  JOIN cjo.journeys j ON j.journey_id = e.journey_id
  LEFT JOIN cjo.journey_nodes f ON f.journey_id = e.journey_id AND f.version = e.version AND f.node_index = e.from_index
  LEFT JOIN cjo.journey_nodes t ON t.journey_id = e.journey_id AND t.version = e.version AND t.node_index = e.to_index;
COMMENT ON VIEW cjo.journey_edges IS 'Flows between nodes per journey version, what a Sankey diagram needs: from (entry) to the start node, node to node, and from a node to (converted), (exited) or (restarted) when an event ended the run there';
COMMENT ON COLUMN cjo.journey_edges.journey IS 'Journey name';
COMMENT ON COLUMN cjo.journey_edges.version IS 'Journey version';
COMMENT ON COLUMN cjo.journey_edges.source IS 'Node left, or (entry)';
COMMENT ON COLUMN cjo.journey_edges.target IS 'Node reached, or (converted), (exited), (restarted)';
COMMENT ON COLUMN cjo.journey_edges.transitions IS 'Times the edge was taken';
COMMENT ON COLUMN cjo.journey_edges.runs IS 'Runs that took the edge at least once';

CREATE FUNCTION @extschema@.cjo_journey_paths(journey_name text, journey_version integer DEFAULT NULL,
                                              max_paths integer DEFAULT 20,
                                              include_active boolean DEFAULT false)
    RETURNS TABLE (version integer, path text, outcome text, runs bigint, share double precision,
                   converted bigint, conversion_rate double precision, median_duration interval)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
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
    WITH runs AS (
        SELECT r.* FROM cjo.runs r
         WHERE r.journey_id = jid
           AND (journey_version IS NULL OR r.version = journey_version)
           AND (include_active OR r.outcome <> 'active')
    ), named AS (
        -- The nodes a run reached, in order: every move adds its path but for
        -- its first node, which is where the previous move ended.
        SELECT h.version, h.customer_id, h.run, string_agg(n.node, ' > ' ORDER BY h.step, p.k) AS path
          FROM cjo.history h
         CROSS JOIN LATERAL unnest(h.path) WITH ORDINALITY AS p(node, k)
          JOIN cjo.journey_nodes n ON n.journey_id = h.journey_id AND n.version = h.version AND n.node_index = p.node
         WHERE h.journey_id = jid AND p.k >= 2
         GROUP BY 1, 2, 3
    ), counted AS (
        SELECT r.version, nm.path, r.outcome, count(*) AS runs,
               count(*) FILTER (WHERE r.converted_at IS NOT NULL) AS converted,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY r.last_at - r.entered_at) AS median_duration
          FROM runs r
          JOIN named nm USING (version, customer_id, run)
         GROUP BY 1, 2, 3
    )
    SELECT c.version, c.path, c.outcome, c.runs,
           c.runs::double precision / sum(c.runs) OVER (PARTITION BY c.version),
           c.converted, c.converted::double precision / c.runs, c.median_duration
      FROM counted c
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

CREATE VIEW cjo.experiment_results AS
WITH outcomes AS (
    SELECT a.journey_id, a.version, a.node_index, a.choice,
           count(*) AS runs,
           count(*) FILTER (WHERE EXISTS (SELECT FROM cjo.history g
                                           WHERE g.customer_id = a.customer_id AND g.journey_id = a.journey_id
                                             AND g.run = a.run AND g.cause = 'g' AND g.step > a.assigned_step)) AS conversions
      FROM cjo.experiment_assignments a
     GROUP BY 1, 2, 3, 4
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
 ORDER BY d.journey, d.version, d.node_index, d.choice;
COMMENT ON VIEW cjo.experiment_results IS 'Every split node of every journey version, per variant: runs sent there, runs that reached the goal afterwards, and the comparison with the baseline (the control variant, or the first variant if none is marked)';
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
