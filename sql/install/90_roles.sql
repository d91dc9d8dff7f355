
------------------------------------------------------------------------------
-- Roles and privileges.  This piece comes last so that its catch-all grants
-- cover the objects of every piece before it.
--
--   cjo_admin     defines, publishes, archives and simulates journeys; runs
--                 sweeps, purges and erasures; reads everything
--   cjo_ingest    inserts events, inserts and updates customer profiles
--   cjo_delivery  claims actions and reports their outcome
--   cjo_analyst   reads the tables and views (not action payloads) and calls
--                 the read-only cjo_* functions
--
-- Roles belong to the cluster, not to the database: they are created here
-- only if missing, and DROP EXTENSION leaves them (DROP ROLE them by hand).
------------------------------------------------------------------------------
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES
            ('cjo_admin', 'cjo: defines, publishes and simulates journeys; runs sweeps, purges and erasures; reads everything'),
            ('cjo_ingest', 'cjo: inserts events and customer profiles'),
            ('cjo_delivery', 'cjo: claims actions from the outbox and reports their outcome'),
            ('cjo_analyst', 'cjo: reads the tables and analytics views, except action payloads')) AS v(name, note)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r.name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r.name);
            EXECUTE format('COMMENT ON ROLE %I IS %L', r.name, r.note);
        END IF;
    END LOOP;
    IF NOT pg_catalog.pg_has_role('cjo_admin', 'cjo_analyst', 'MEMBER') THEN
        GRANT cjo_analyst TO cjo_admin;
    END IF;
END
$$;

------------------------------------------------------------------------------
-- Work that writes the engine's tables runs with the extension owner's
-- rights, so that no role needs to write journey_state, history or actions
-- itself: inserting an event (the triggers), sweeping, claiming, reporting,
-- simulating.  Each pins search_path, but for the events trigger: written in
-- C, it runs no statement for most events and pins search_path only around
-- the few it runs (src/sql_guard.c), which saves every INSERT a change of
-- the setting.
------------------------------------------------------------------------------
ALTER FUNCTION cjo.events_skip_duplicate() SECURITY DEFINER;
ALTER FUNCTION cjo.events_advance() SECURITY DEFINER;
ALTER FUNCTION @extschema@.cjo_advance(timestamptz, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.cjo_claim(integer, interval, text[], text) SECURITY DEFINER;
ALTER FUNCTION @extschema@.cjo_report(bigint, text, text, interval) SECURITY DEFINER;
ALTER FUNCTION @extschema@.cjo_simulate(cjo.journey, timestamptz, timestamptz) SECURITY DEFINER;
-- Discarding a never-published draft deletes its journey row: no role may
-- delete journeys itself.
ALTER FUNCTION @extschema@.cjo_discard_draft(text) SECURITY DEFINER;
-- Moving customers between versions writes their states and history.
ALTER FUNCTION @extschema@.cjo_migrate(text, jsonb, integer) SECURITY DEFINER;
-- So does an identity merge, which ingest triggers with an identify event.
ALTER FUNCTION @extschema@.cjo_identify(text, text) SECURITY DEFINER;

------------------------------------------------------------------------------
-- Tables and views.
------------------------------------------------------------------------------
GRANT USAGE ON SCHEMA cjo TO cjo_admin, cjo_ingest, cjo_delivery, cjo_analyst;

-- Analysts read everything in the schema, action payloads excepted (they
-- hold the personal data of messages).
GRANT SELECT ON ALL TABLES IN SCHEMA cjo TO cjo_analyst;
REVOKE SELECT ON cjo.actions FROM cjo_analyst;
GRANT SELECT (action_id, customer_id, journey_id, version, run, node, channel, template, event_id,
              status, attempts, available_at, claimed_by, last_error, created_at, updated_at)
    ON cjo.actions TO cjo_analyst;

-- Admins (members of cjo_analyst) publish with cjo_publish(), which writes
-- as the caller so that journey_versions.published_by names them.
GRANT SELECT ON cjo.actions TO cjo_admin;
GRANT INSERT, UPDATE ON cjo.journeys TO cjo_admin;
GRANT INSERT ON cjo.journey_versions TO cjo_admin;
GRANT INSERT, UPDATE, DELETE ON cjo.journey_drafts TO cjo_admin;
GRANT INSERT, UPDATE, DELETE ON cjo.retention TO cjo_admin;

-- Ingest writes events and profiles (SELECT: upserts read the profile), and
-- the customers' consent.
GRANT INSERT ON cjo.events TO cjo_ingest;
GRANT SELECT, INSERT, UPDATE ON cjo.customers TO cjo_ingest;
GRANT SELECT, INSERT, UPDATE, DELETE ON cjo.consent TO cjo_ingest;

-- Admins set the delivery policies.
GRANT INSERT, UPDATE, DELETE ON cjo.channels, cjo.consent, cjo.suppression_list, cjo.frequency_caps,
    cjo.journey_delivery TO cjo_admin;
GRANT INSERT, UPDATE, DELETE ON cjo.suppression_rules TO cjo_admin;

------------------------------------------------------------------------------
-- Functions.  EXECUTE is PUBLIC's by default: every cjo_* function of the
-- extension loses it; read-only ones (STABLE, IMMUTABLE) go to cjo_analyst,
-- the others (and procedures) to cjo_admin; the outbox API to cjo_delivery.
------------------------------------------------------------------------------
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure AS sig, p.prokind, p.provolatile
          FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_proc p ON p.oid = d.objid
         WHERE d.classid = 'pg_catalog.pg_proc'::regclass
           AND d.refclassid = 'pg_catalog.pg_extension'::regclass
           AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'cjo')
           AND d.deptype = 'e'
           AND p.pronamespace = '@extschema@'::regnamespace
           AND p.proname LIKE 'cjo\_%'
           AND p.prokind IN ('f', 'p')
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC',
                       CASE f.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, f.sig);
        EXECUTE format('GRANT EXECUTE ON %s %s TO %s',
                       CASE f.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, f.sig,
                       CASE WHEN f.prokind = 'f' AND f.provolatile IN ('s', 'i') THEN 'cjo_analyst' ELSE 'cjo_admin' END);
    END LOOP;
END
$$;

REVOKE EXECUTE ON FUNCTION @extschema@.cjo_claim(integer, interval, text[], text) FROM cjo_admin;
REVOKE EXECUTE ON FUNCTION @extschema@.cjo_report(bigint, text, text, interval) FROM cjo_admin;
GRANT EXECUTE ON FUNCTION @extschema@.cjo_claim(integer, interval, text[], text) TO cjo_delivery;
GRANT EXECUTE ON FUNCTION @extschema@.cjo_report(bigint, text, text, interval) TO cjo_delivery;
GRANT EXECUTE ON FUNCTION @extschema@.cjo_identify(text, text) TO cjo_ingest;

-- Internal: only the erasure, running as the owner, takes customer locks.
REVOKE ALL ON FUNCTION cjo.lock_customer(text) FROM PUBLIC;
