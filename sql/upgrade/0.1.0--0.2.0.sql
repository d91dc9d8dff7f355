-- cjo 0.1.0 -> 0.2.0: changes to objects that 0.1.0 created. The pieces of
-- sql/install/ added since 0.1.0 (everything but 10_core.sql) follow this file
-- in the generated upgrade script.
\echo Use "ALTER EXTENSION cjo UPDATE" to load this file. \quit

SET LOCAL search_path TO pg_catalog, pg_temp;

-- Journey lifecycle: draft and paused journeys (sql/install/20_lifecycle.sql).
ALTER TABLE cjo.journeys DROP CONSTRAINT journeys_status_check,
    ADD CONSTRAINT journeys_status_check CHECK (status IN ('draft', 'active', 'paused', 'archived'));
COMMENT ON COLUMN cjo.journeys.status IS 'draft: saved, never published; active: customers enter and move; paused: customers are held where they are (events and timers are ignored until cjo_resume); archived: no new entries, events and timers are ignored';
-- Publishing a paused journey keeps it paused.
CREATE OR REPLACE FUNCTION @extschema@.cjo_publish(definition cjo.journey) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    jname text := cjo.journey_name(definition);
    jid integer;
    v integer;
BEGIN
    INSERT INTO cjo.journeys AS j (name) VALUES (jname)
        ON CONFLICT (name) DO UPDATE SET status = CASE WHEN j.status = 'paused' THEN 'paused' ELSE 'active' END
        RETURNING j.journey_id INTO jid;
    -- Serialise concurrent publications of one journey.
    PERFORM 1 FROM cjo.journeys WHERE journey_id = jid FOR UPDATE;
    SELECT coalesce(max(version), 0) + 1 INTO v FROM cjo.journey_versions WHERE journey_id = jid;
    INSERT INTO cjo.journey_versions (journey_id, version, graph) VALUES (jid, v, definition);
    RETURN v;
END
$$;

-- cjo.node_stats is now computed from cjo_journey_funnel() (sql/install/30_analytics.sql).
DROP VIEW cjo.node_stats;

-- History cause v: moved into a newer version by cjo_migrate (sql/install/20_lifecycle.sql).
CREATE OR REPLACE FUNCTION cjo.cause_name("char") RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT CASE $1 WHEN 'e' THEN 'entry' WHEN 's' THEN 'step' WHEN 'm' THEN 'event'
                  WHEN 't' THEN 'timer' WHEN 'o' THEN 'timeout' WHEN 'x' THEN 'exit'
                  WHEN 'g' THEN 'goal' WHEN 'r' THEN 'reentry' WHEN 'v' THEN 'migrated'
                  WHEN 'i' THEN 'merged' END $$;
COMMENT ON COLUMN cjo.history.cause IS 'Cause of the first transition: e entry; m matched a waited-for event; t wait elapsed; o wait_event timed out; x exit event; g goal reached; r restarted by re-entry; v moved into a newer version by cjo_migrate; i ended by an identity merge (cjo_identify). Later transitions of the move are immediate steps (s)';

-- Delivery policies (sql/install/65_delivery_policies.sql): new action statuses.
ALTER TABLE cjo.actions DROP CONSTRAINT actions_status_check,
    ADD CONSTRAINT actions_status_check CHECK (status IN ('pending', 'claimed', 'sent', 'failed', 'held', 'capped', 'suppressed'));
COMMENT ON COLUMN cjo.actions.status IS 'pending: waiting for a worker; claimed: leased to a worker; sent: delivered; failed: given up; held: kept back by a suppression rule until it no longer applies; capped: dropped by a frequency cap; suppressed: dropped for lack of consent or by suppression (never delivered)';
COMMENT ON COLUMN cjo.actions.last_error IS 'The error reported with the last failure, or why a delivery policy held, capped, suppressed or delayed the action';

-- wait_until nodes (src/graph_compile.c).
COMMENT ON COLUMN cjo.journey_nodes.node_type IS 'action, set, wait, wait_until, wait_event, branch, split or exit';

-- pg_cron jobs through two helpers (the purge job uses them too).
-- pg_cron jobs of cjo, by name (pg_cron is optional: it may live in another
-- database, or not at all).
CREATE FUNCTION cjo.cron_schedule(job text, schedule text, command text, hint text) RETURNS bigint
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    id bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Add pg_cron to shared_preload_libraries, then CREATE EXTENSION pg_cron; or ' || hint || ' from any scheduler.';
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO id USING job, schedule, command;
    RETURN id;
END
$$;
COMMENT ON FUNCTION cjo.cron_schedule(text, text, text, text) IS
    'Schedules (or reschedules) a named pg_cron job; fails with a hint when pg_cron is not installed in this database';

CREATE FUNCTION cjo.cron_unschedule(job text) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    done boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = $1' INTO done USING job;
    RETURN coalesce(done, false);
END
$$;
COMMENT ON FUNCTION cjo.cron_unschedule(text) IS 'Removes a named pg_cron job; returns whether there was one';

CREATE OR REPLACE FUNCTION @extschema@.cjo_schedule_sweep(schedule text DEFAULT '* * * * *')
    RETURNS bigint
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS
$$ SELECT cjo.cron_schedule('cjo-sweep', schedule, 'SELECT cjo_advance()', 'call SELECT cjo_advance()') $$;
COMMENT ON FUNCTION @extschema@.cjo_schedule_sweep(text) IS
    'Schedules SELECT cjo_advance() with pg_cron under the job name cjo-sweep (calling it again changes the schedule); returns the job id';

CREATE OR REPLACE FUNCTION @extschema@.cjo_unschedule_sweep() RETURNS boolean
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS
$$ SELECT cjo.cron_unschedule('cjo-sweep') $$;
COMMENT ON FUNCTION @extschema@.cjo_unschedule_sweep() IS 'Removes the pg_cron job created by cjo_schedule_sweep(); returns whether there was one';

-- Journey data: set nodes store values per run (src/engine.c).
ALTER TABLE cjo.journey_state ADD COLUMN data jsonb;
COMMENT ON COLUMN cjo.journey_state.data IS 'The run''s journey data: the values set nodes stored, visible to conditions and payloads as $.journey (NULL: none yet)';
CREATE OR REPLACE VIEW cjo.customer_journeys AS
SELECT s.customer_id, j.name AS journey, s.version, s.run, n.node, n.node_type,
       cjo.status_name(s.status) AS status, s.entered_at, s.node_at, s.due_at, s.ended_at,
       s.converted_at, s.goal_value, s.data
  FROM cjo.journey_state s
  JOIN cjo.journeys j USING (journey_id)
  LEFT JOIN cjo.journey_nodes n ON n.journey_id = s.journey_id AND n.version = s.version AND n.node_index = s.node;
COMMENT ON COLUMN cjo.customer_journeys.data IS 'The run''s journey data (what set nodes stored)';
