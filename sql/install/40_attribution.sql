
------------------------------------------------------------------------------
-- Multi-touch attribution over the events table: which channels deserve the
-- credit for conversions.  SQL finds each conversion's touches and the paths;
-- the data-driven models' arithmetic is in C (src/attribution*.c).
------------------------------------------------------------------------------
CREATE FUNCTION cjo.attribution_add(internal, text[], double precision, double precision)
    RETURNS internal AS 'MODULE_PATHNAME', 'cjo_attribution_add' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION cjo.attribution_add(internal, text[], double precision, double precision) IS
    'Transition function of cjo.markov_shares: collects one distinct path (channels in time order, conversions, non-conversions)';
CREATE FUNCTION cjo.attribution_add(internal, text[], double precision, double precision, double precision)
    RETURNS internal AS 'MODULE_PATHNAME', 'cjo_attribution_add' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION cjo.attribution_add(internal, text[], double precision, double precision, double precision) IS
    'Transition function of cjo.shapley_credits: collects one distinct path (channels in time order, conversions, non-conversions, value)';
CREATE FUNCTION cjo.markov_shares_result(internal)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'cjo_markov_shares' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION cjo.markov_shares_result(internal) IS 'Final function of cjo.markov_shares';
CREATE FUNCTION cjo.shapley_credits_result(internal)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'cjo_shapley_credits' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION cjo.shapley_credits_result(internal) IS 'Final function of cjo.shapley_credits';

CREATE AGGREGATE cjo.markov_shares(path text[], conversions double precision, non_conversions double precision) (
    SFUNC = cjo.attribution_add,
    STYPE = internal,
    FINALFUNC = cjo.markov_shares_result
);
COMMENT ON AGGREGATE cjo.markov_shares(text[], double precision, double precision) IS
    'Markov-chain removal effects of the channels of distinct paths (channels in time order, conversions, non-conversions), solved exactly from the absorbing chain and normalised to shares that sum to 1: {channel: share}; at most 200 channels';
CREATE AGGREGATE cjo.shapley_credits(path text[], conversions double precision, non_conversions double precision,
                                     value double precision) (
    SFUNC = cjo.attribution_add,
    STYPE = internal,
    FINALFUNC = cjo.shapley_credits_result
);
COMMENT ON AGGREGATE cjo.shapley_credits(text[], double precision, double precision, double precision) IS
    'Shapley attribution of distinct paths (channels, conversions, non-conversions, value): each conversion split among its channels by their Shapley values in the game v(S) = conversion rate of the paths whose channel set is exactly S (negative values count as 0): {channel: [conversions, value]}; at most 64 channels';

CREATE FUNCTION @extschema@.cjo_attribution(conversion_event text,
                                            lookback interval DEFAULT '30 days',
                                            half_life interval DEFAULT '7 days',
                                            direct_channel text DEFAULT 'direct',
                                            value_key text DEFAULT 'value',
                                            since timestamptz DEFAULT NULL,
                                            "until" timestamptz DEFAULT NULL,
                                            include_actions boolean DEFAULT true,
                                            models text[] DEFAULT NULL)
    RETURNS TABLE (model text, channel text, conversions double precision, value double precision)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET jit = off AS
$$
#variable_conflict use_column
DECLARE
    all_models CONSTANT text[] := ARRAY['first_touch', 'last_touch', 'last_non_direct', 'linear',
                                        'position_based', 'time_decay', 'markov', 'shapley'];
    hl double precision := extract(epoch FROM half_life);
    wanted text[] := coalesce(models, all_models);
    rules_wanted boolean;
    markov_wanted boolean;
    shapley_wanted boolean;
BEGIN
    IF conversion_event IS NULL THEN
        RAISE EXCEPTION 'conversion_event must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF lookback IS NULL OR lookback < interval '0' THEN
        RAISE EXCEPTION 'lookback must be a non-negative interval' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF half_life IS NULL OR hl <= 0 THEN
        RAISE EXCEPTION 'half_life must be a positive interval' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT wanted <@ all_models OR array_position(wanted, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'unknown attribution model in %', models USING ERRCODE = 'invalid_parameter_value',
              HINT = 'The models are ' || array_to_string(all_models, ', ') || '.';
    END IF;
    rules_wanted := wanted && all_models[1:6];
    markov_wanted := 'markov' = ANY (wanted);
    shapley_wanted := 'shapley' = ANY (wanted);
    RETURN QUERY
    WITH conv AS MATERIALIZED (
        -- Conversions, with their value when it is a JSON number (else 0).
        SELECT e.customer_id, e.event_id, e.occurred_at AS at,
               CASE WHEN jsonb_typeof(e.properties -> value_key) = 'number'
                    THEN (e.properties ->> value_key)::double precision ELSE 0 END AS value
          FROM cjo.events e
         WHERE e.name = conversion_event
           AND (since IS NULL OR e.occurred_at >= since) AND ("until" IS NULL OR e.occurred_at < "until")
    ), touches AS MATERIALIZED (
        -- Touchpoints: events with a channel, and actions cjo delivered.
        SELECT e.customer_id, e.occurred_at AS at, 0 AS source, e.event_id AS tie, e.channel
          FROM cjo.events e
         WHERE e.channel IS NOT NULL AND e.name <> conversion_event
           AND (since IS NULL OR e.occurred_at >= since - lookback) AND ("until" IS NULL OR e.occurred_at < "until")
        UNION ALL
        SELECT a.customer_id, a.updated_at, 1, a.action_id, a.channel
          FROM cjo.actions a
         WHERE include_actions AND a.status = 'sent' AND a.channel IS NOT NULL
           AND (since IS NULL OR a.updated_at >= since - lookback) AND ("until" IS NULL OR a.updated_at < "until")
    ), ordered AS MATERIALIZED (
        -- Each conversion's touches within the lookback, in time order (ties:
        -- events before actions, then by id); a touch at the instant of the
        -- conversion counts; one touch can serve several conversions.
        SELECT c.event_id AS conv, c.value, t.channel, extract(epoch FROM c.at - t.at) AS age,
               row_number() OVER w AS k, count(*) OVER (PARTITION BY c.event_id) AS n
          FROM conv c
          JOIN touches t ON t.customer_id = c.customer_id AND t.at <= c.at AND t.at >= c.at - lookback
        WINDOW w AS (PARTITION BY c.event_id ORDER BY t.at, t.source, t.tie)
    ), weighted AS (
        SELECT o.*,
               coalesce(max(CASE WHEN o.channel IS DISTINCT FROM direct_channel THEN o.k END)
                            OVER (PARTITION BY o.conv), o.n) AS last_non_direct,
               power(2, -o.age / hl) / sum(power(2, -o.age / hl)) OVER (PARTITION BY o.conv) AS decay
          FROM ordered o
         WHERE rules_wanted
    ), rules AS (
        SELECT m.model, w.channel, sum(m.w) AS conversions, sum(m.w * w.value) AS value
          FROM weighted w
         CROSS JOIN LATERAL (VALUES
               ('first_touch', CASE WHEN w.k = 1 THEN 1.0 ELSE 0 END),
               ('last_touch', CASE WHEN w.k = w.n THEN 1.0 ELSE 0 END),
               ('last_non_direct', CASE WHEN w.k = w.last_non_direct THEN 1.0 ELSE 0 END),
               ('linear', 1.0 / w.n),
               ('position_based', CASE WHEN w.n = 1 THEN 1.0 WHEN w.n = 2 THEN 0.5
                                       WHEN w.k = 1 OR w.k = w.n THEN 0.4 ELSE 0.2 / (w.n - 2) END),
               ('time_decay', w.decay)) AS m(model, w)
         WHERE m.w > 0 AND m.model = ANY (wanted)
         GROUP BY 1, 2
    ), untouched AS (
        -- Conversions without any touch in their lookback.
        SELECT count(*) AS conversions, coalesce(sum(c.value), 0) AS value
          FROM conv c
         WHERE NOT EXISTS (SELECT FROM ordered o WHERE o.conv = c.event_id)
    ), last_conversion AS (
        SELECT c.customer_id, max(c.at) AS at FROM conv c GROUP BY 1
    ), unconverted AS (
        -- Touches not followed by a conversion: a customer's touches in
        -- [since, until) after the customer's last conversion there (all of
        -- them if none), within the lookback before the last of them.
        SELECT t.customer_id, t.channel, t.at, t.source, t.tie,
               max(t.at) OVER (PARTITION BY t.customer_id) AS last_at
          FROM touches t
          LEFT JOIN last_conversion l ON l.customer_id = t.customer_id
         WHERE (markov_wanted OR shapley_wanted)
           AND (since IS NULL OR t.at >= since) AND (l.at IS NULL OR t.at > l.at)
    ), paths AS (
        -- Distinct paths for the data-driven models: each conversion's touches,
        -- and one non-converting path per customer with unconverted touches.
        SELECT p.path, sum(p.conversions) AS conversions, sum(p.nulls) AS nulls, sum(p.value) AS value
          FROM (SELECT array_agg(o.channel ORDER BY o.k) AS path, 1 AS conversions, 0 AS nulls, min(o.value) AS value
                  FROM ordered o
                 WHERE markov_wanted OR shapley_wanted
                 GROUP BY o.conv
                UNION ALL
                SELECT array_agg(u.channel ORDER BY u.at, u.source, u.tie), 0, 1, 0
                  FROM unconverted u
                 WHERE u.at >= u.last_at - lookback
                 GROUP BY u.customer_id) p
         GROUP BY p.path
    ), markov AS (
        -- Shares of the removal effects, scaled to the conversions and value.
        SELECT 'markov' AS model, x.key AS channel, x.value::text::double precision * s.conversions AS conversions,
               x.value::text::double precision * s.value AS value
          FROM (SELECT cjo.markov_shares(p.path, p.conversions, p.nulls) AS shares,
                       sum(p.conversions) AS conversions, sum(p.value) AS value
                  FROM paths p
                 WHERE markov_wanted) s
         CROSS JOIN LATERAL jsonb_each(s.shares) x
         WHERE s.conversions > 0
    ), shapley AS (
        SELECT 'shapley' AS model, x.key AS channel, (x.value ->> 0)::double precision AS conversions,
               (x.value ->> 1)::double precision AS value
          FROM (SELECT cjo.shapley_credits(p.path, p.conversions, p.nulls, p.value) AS credits,
                       sum(p.conversions) AS conversions
                  FROM paths p
                 WHERE shapley_wanted) s
         CROSS JOIN LATERAL jsonb_each(s.credits) x
         WHERE s.conversions > 0
    )
    SELECT r.model, r.channel, r.conversions::double precision, r.value::double precision FROM rules r
    UNION ALL
    SELECT m.model, m.channel, m.conversions, m.value FROM markov m
    UNION ALL
    SELECT s.model, s.channel, s.conversions, s.value FROM shapley s
    UNION ALL
    SELECT m.model, '(none)', u.conversions::double precision, u.value::double precision
      FROM untouched u
     CROSS JOIN unnest(wanted) AS m(model)
     WHERE u.conversions > 0
     ORDER BY 1, 2;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_attribution(text, interval, interval, text, text, timestamptz, timestamptz, boolean, text[]) IS
    'Multi-touch attribution of the conversion_event events of [since, until) to the channels of the touches (events with a channel, delivered actions) in the lookback before each: per model (first_touch, last_touch, last_non_direct, linear, position_based, time_decay, markov, shapley; models NULL = all) and channel, the credited conversions and value, which add up to the totals; conversions without touches go to (none)';

-- With the defaults, for the goal event of every active journey.
CREATE VIEW cjo.attribution AS
SELECT g.goal_event AS conversion_event, a.model, a.channel, a.conversions, a.value
  FROM (SELECT DISTINCT v.graph::jsonb #>> '{goal,event}' AS goal_event
          FROM cjo.journey_versions v
          JOIN cjo.journeys j ON j.journey_id = v.journey_id
         WHERE j.status = 'active' AND v.graph::jsonb ? 'goal') g
 CROSS JOIN LATERAL @extschema@.cjo_attribution(g.goal_event) a;
COMMENT ON VIEW cjo.attribution IS 'cjo_attribution() with its defaults (30-day lookback, 7-day half-life, direct channel "direct", value in properties.value, every model) for the goal event of every active journey';
COMMENT ON COLUMN cjo.attribution.conversion_event IS 'The goal event attributed';
COMMENT ON COLUMN cjo.attribution.model IS 'first_touch, last_touch, last_non_direct, linear, position_based, time_decay, markov or shapley';
COMMENT ON COLUMN cjo.attribution.channel IS 'Channel credited, or (none) for conversions without a touch in the lookback';
COMMENT ON COLUMN cjo.attribution.conversions IS 'Conversions credited to the channel by the model (they add up to all conversions)';
COMMENT ON COLUMN cjo.attribution.value IS 'Conversion value credited (adds up to the total value)';
