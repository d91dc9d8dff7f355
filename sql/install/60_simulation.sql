
------------------------------------------------------------------------------
-- Simulation: a journey definition run over past events by the real engine,
-- inside a subtransaction that is rolled back, so nothing it did stays.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.cjo_simulate(definition cjo.journey,
                                         since timestamptz DEFAULT NULL,
                                         "until" timestamptz DEFAULT now())
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    jname text := cjo.journey_name(definition);
    jid integer;
    jversion integer;
    replayed bigint;
    report jsonb;
BEGIN
    IF "until" IS NULL THEN
        RAISE EXCEPTION 'until must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF since IS NOT NULL AND since >= "until" THEN
        RAISE EXCEPTION 'since (%) must be before until (%)', since, "until"
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT coalesce(current_setting('cjo.enabled', true), 'on')::boolean THEN
        RAISE EXCEPTION 'cjo.enabled is off: the simulation needs the engine'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'SET cjo.enabled = on in this session.';
    END IF;

    BEGIN
        -- Only the simulated journey listens, and it starts from nothing.
        UPDATE cjo.journeys SET status = 'archived' WHERE name <> jname AND status = 'active';
        jversion := @extschema@.cjo_publish(definition);
        SELECT j.journey_id INTO jid FROM cjo.journeys j WHERE j.name = jname;
        DELETE FROM cjo.history h WHERE h.journey_id = jid;
        DELETE FROM cjo.journey_state s WHERE s.journey_id = jid;
        DELETE FROM cjo.actions a WHERE a.journey_id = jid;

        -- The past again: copies of the events (the trigger sorts them per
        -- customer and time, and fires timers that fell due in between), then
        -- the timers due by "until".
        INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
        SELECT e.customer_id, e.name, e.channel, e.properties, e.occurred_at
          FROM cjo.events e
         WHERE e.occurred_at < "until" AND (since IS NULL OR e.occurred_at >= since);
        GET DIAGNOSTICS replayed = ROW_COUNT;
        PERFORM @extschema@.cjo_advance("until");

        -- The simulated runs come straight from the history (the rollup's
        -- view would first gather every journey's runs when it was never refreshed).
        SELECT jsonb_build_object(
                   'journey', jname,
                   'since', since,
                   'until', "until",
                   'events', replayed,
                   'customers', (SELECT count(DISTINCT r.customer_id) FROM cjo.runs_from_history r WHERE r.journey_id = jid),
                   'runs', (SELECT count(*) FROM cjo.runs_from_history r WHERE r.journey_id = jid),
                   'converted', (SELECT count(*) FROM cjo.runs_from_history r WHERE r.journey_id = jid AND r.converted_at IS NOT NULL),
                   'outcomes', (SELECT coalesce(jsonb_object_agg(o.outcome, o.n), '{}')
                                  FROM (SELECT r.outcome, count(*) AS n FROM cjo.runs_from_history r
                                         WHERE r.journey_id = jid GROUP BY 1) o),
                   'nodes', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                        'node', f.node, 'node_type', f.node_type, 'entered', f.entered,
                                        'waiting', f.waiting, 'moved_on', f.moved_on, 'ended', f.ended,
                                        'converted', f.converted, 'dropped', f.dropped)
                                    ORDER BY f.node_index), '[]')
                               FROM @extschema@.cjo_journey_funnel(jname, jversion) f),
                   'actions', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                          'node', n.node, 'channel', a.channel, 'template', a.template,
                                          'actions', a.n, 'customers', a.customers)
                                      ORDER BY n.node_index, a.channel, a.template), '[]')
                                 FROM (SELECT x.node, x.channel, x.template, count(*) AS n,
                                              count(DISTINCT x.customer_id) AS customers
                                         FROM cjo.actions x WHERE x.journey_id = jid
                                        GROUP BY 1, 2, 3) a
                                 JOIN cjo.journey_nodes n ON n.journey_id = jid AND n.version = jversion
                                                         AND n.node_index = a.node))
          INTO report;
        -- Undo everything above: journeys, states, history, actions, notifications.
        RAISE EXCEPTION 'simulation done' USING ERRCODE = 'CJ000';
    EXCEPTION WHEN SQLSTATE 'CJ000' THEN
        NULL;
    END;
    RETURN report;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_simulate(cjo.journey, timestamptz, timestamptz) IS
    'Runs a journey definition over the stored events of [since, until) with the real engine, without keeping anything or emitting actions: how many customers would enter, where they would be at "until", how runs would end, and which actions they would get (JSON report)';

CREATE FUNCTION @extschema@.cjo_simulate(definition text, since timestamptz DEFAULT NULL,
                                         "until" timestamptz DEFAULT now())
    RETURNS jsonb LANGUAGE sql VOLATILE AS
$$ SELECT @extschema@.cjo_simulate(definition::cjo.journey, since, "until") $$;
COMMENT ON FUNCTION @extschema@.cjo_simulate(text, timestamptz, timestamptz) IS
    'cjo_simulate() of a journey document given as text';

CREATE FUNCTION @extschema@.cjo_simulate(definition jsonb, since timestamptz DEFAULT NULL,
                                         "until" timestamptz DEFAULT now())
    RETURNS jsonb LANGUAGE sql VOLATILE AS
$$ SELECT @extschema@.cjo_simulate(definition::text::cjo.journey, since, "until") $$;
COMMENT ON FUNCTION @extschema@.cjo_simulate(jsonb, timestamptz, timestamptz) IS
    'cjo_simulate() of a journey document given as jsonb';
