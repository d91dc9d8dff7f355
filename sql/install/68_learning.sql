
------------------------------------------------------------------------------
-- Learning: learning splits and next_best_action nodes count, per journey,
-- node and choice (arm), the runs that took it and those that converted.
-- The engine appends increments to arm_deltas (never updating a shared row,
-- so concurrent events do not queue); cjo_advance() folds them into
-- arm_stats.  The totals are always the sum of both.
------------------------------------------------------------------------------
CREATE TABLE cjo.arm_stats (
    journey_id integer NOT NULL,
    node       text NOT NULL,
    arm        text NOT NULL,
    assigned   bigint NOT NULL DEFAULT 0 CHECK (assigned >= 0),
    converted  bigint NOT NULL DEFAULT 0 CHECK (converted >= 0),
    PRIMARY KEY (journey_id, node, arm)
);
COMMENT ON TABLE cjo.arm_stats IS 'Learning nodes: runs that took each choice (arm) and those of them that reached the goal, folded from cjo.arm_deltas by cjo_advance(); read the totals through cjo.arm_results';
COMMENT ON COLUMN cjo.arm_stats.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.arm_stats.node IS 'The learning split or next_best_action node (its name: counts carry over to new versions)';
COMMENT ON COLUMN cjo.arm_stats.arm IS 'The variant or candidate name';
COMMENT ON COLUMN cjo.arm_stats.assigned IS 'Runs that took this arm';
COMMENT ON COLUMN cjo.arm_stats.converted IS 'Of those, runs that reached the journey goal afterwards';

-- No index: rows live until the next sweep, and are read summed per node.
CREATE TABLE cjo.arm_deltas (
    journey_id integer NOT NULL,
    node       text NOT NULL,
    arm        text NOT NULL,
    assigned   bigint NOT NULL,
    converted  bigint NOT NULL
);
COMMENT ON TABLE cjo.arm_deltas IS 'Increments of cjo.arm_stats written by the engine, one row per arm and batch, until cjo_advance() folds them';
COMMENT ON COLUMN cjo.arm_deltas.journey_id IS 'The journey';
COMMENT ON COLUMN cjo.arm_deltas.node IS 'The learning node';
COMMENT ON COLUMN cjo.arm_deltas.arm IS 'The variant or candidate name';
COMMENT ON COLUMN cjo.arm_deltas.assigned IS 'Runs that took the arm in the batch';
COMMENT ON COLUMN cjo.arm_deltas.converted IS 'Conversions credited to the arm in the batch';

CREATE FUNCTION cjo.fold_arm_deltas() RETURNS bigint
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH taken AS (
        DELETE FROM cjo.arm_deltas RETURNING journey_id, node, arm, assigned, converted
    ), summed AS (
        SELECT journey_id, node, arm, sum(assigned)::bigint AS assigned, sum(converted)::bigint AS converted,
               count(*) AS n
          FROM taken GROUP BY 1, 2, 3
    ), folded AS (
        INSERT INTO cjo.arm_stats AS s (journey_id, node, arm, assigned, converted)
        SELECT journey_id, node, arm, assigned, converted FROM summed
        ON CONFLICT (journey_id, node, arm) DO UPDATE
           SET assigned = s.assigned + excluded.assigned, converted = s.converted + excluded.converted
        RETURNING 1
    )
    -- A data-modifying WITH runs whether or not it is read.
    SELECT coalesce(sum(n), 0)::bigint FROM summed;
$$;
COMMENT ON FUNCTION cjo.fold_arm_deltas() IS
    'Moves the increments in cjo.arm_deltas into the totals of cjo.arm_stats; returns how many delta rows it folded. cjo_advance() calls it';
REVOKE ALL ON FUNCTION cjo.fold_arm_deltas() FROM PUBLIC;

CREATE FUNCTION cjo.thompson_choose(assigned bigint[], converted bigint[], min_share double precision, seed bigint)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'cjo_thompson_choose_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cjo.thompson_choose(bigint[], bigint[], double precision, bigint) IS
    'The arm (from 1) a learning node picks with these counts: min_share of the traffic per arm spread evenly, the rest by Thompson sampling on Beta(1 + converted, 1 + assigned - converted); the same seed gives the same pick';

CREATE FUNCTION cjo.probability_best(assigned bigint[], converted bigint[], draws integer DEFAULT 10000)
    RETURNS double precision[]
    AS 'MODULE_PATHNAME', 'cjo_probability_best' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cjo.probability_best(bigint[], bigint[], integer) IS
    'For each arm, the probability that its conversion rate is the highest (the share of learned traffic Thompson sampling gives it), estimated from draws joint posterior draws with a fixed seed';

CREATE VIEW cjo.arm_results AS
WITH totals AS (
    SELECT journey_id, node, arm, sum(assigned)::bigint AS assigned, sum(converted)::bigint AS converted
      FROM (SELECT journey_id, node, arm, assigned, converted FROM cjo.arm_stats
            UNION ALL
            SELECT journey_id, node, arm, assigned, converted FROM cjo.arm_deltas) s
     GROUP BY 1, 2, 3
), per_node AS (
    SELECT journey_id, node,
           array_agg(arm ORDER BY arm) AS arms,
           array_agg(assigned ORDER BY arm) AS assigned,
           array_agg(least(converted, assigned) ORDER BY arm) AS converted
      FROM totals
     GROUP BY 1, 2
)
SELECT j.name AS journey, p.node, a.arm, a.assigned, a.converted,
       a.converted::double precision / nullif(a.assigned, 0) AS conversion_rate,
       (a.converted + 1)::double precision / (a.assigned + 2) AS posterior_mean,
       a.probability_best
  FROM per_node p
  JOIN cjo.journeys j ON j.journey_id = p.journey_id
 CROSS JOIN LATERAL unnest(p.arms, p.assigned, p.converted, cjo.probability_best(p.assigned, p.converted))
       AS a(arm, assigned, converted, probability_best);
COMMENT ON VIEW cjo.arm_results IS 'Learning splits and next_best_action nodes: per choice, runs assigned and converted, and how likely it is the best';
COMMENT ON COLUMN cjo.arm_results.journey IS 'Journey name';
COMMENT ON COLUMN cjo.arm_results.node IS 'The learning node';
COMMENT ON COLUMN cjo.arm_results.arm IS 'The variant or candidate';
COMMENT ON COLUMN cjo.arm_results.assigned IS 'Runs that took it (every version, by node name)';
COMMENT ON COLUMN cjo.arm_results.converted IS 'Of those, runs that reached the goal';
COMMENT ON COLUMN cjo.arm_results.conversion_rate IS 'converted / assigned (NULL before any assignment)';
COMMENT ON COLUMN cjo.arm_results.posterior_mean IS 'Mean of the Beta(1 + converted, 1 + assigned - converted) posterior of the conversion rate';
COMMENT ON COLUMN cjo.arm_results.probability_best IS 'Probability that this arm converts best among the node''s arms: its share of the learned traffic before exploration (the control of a learning split is compared too, though it keeps its fixed share)';

-- pg_dump keeps what the nodes learned.
SELECT pg_catalog.pg_extension_config_dump('cjo.arm_stats', '');
SELECT pg_catalog.pg_extension_config_dump('cjo.arm_deltas', '');
