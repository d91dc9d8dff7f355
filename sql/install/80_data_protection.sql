
------------------------------------------------------------------------------
-- Data protection: forgetting a customer, and retention of history and
-- actions.
------------------------------------------------------------------------------
CREATE FUNCTION cjo.lock_customer(customer text) RETURNS void
    AS 'MODULE_PATHNAME', 'cjo_lock_customer' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION cjo.lock_customer(text) IS
    'Takes the customer''s engine lock (the one the events trigger and cjo_advance() take) until the end of the transaction';

-- Every table of the extension with a customer_id column holds data about
-- customers: found in the catalog, so that tables added later are covered.
CREATE FUNCTION @extschema@.cjo_forget_customer(customer text)
    RETURNS TABLE (table_name text, deleted bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    t record;
    n bigint;
BEGIN
    IF customer IS NULL THEN
        RAISE EXCEPTION 'customer must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- The engine's lock: an event insert for the customer waits for us, a
    -- sweep skips the customer, and we wait for those already running.
    PERFORM cjo.lock_customer(customer);
    FOR t IN
        SELECT c.oid::regclass AS rel, c.relname::text AS name
          FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_class c ON c.oid = d.objid
          JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'customer_id' AND NOT a.attisdropped
         WHERE d.classid = 'pg_catalog.pg_class'::regclass
           AND d.refclassid = 'pg_catalog.pg_extension'::regclass
           AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'cjo')
           AND d.deptype = 'e'
           AND c.relkind IN ('r', 'p')
           AND c.relnamespace = 'cjo'::regnamespace
         ORDER BY c.relname
    LOOP
        EXECUTE format('DELETE FROM %s WHERE customer_id = $1', t.rel) USING customer;
        GET DIAGNOSTICS n = ROW_COUNT;
        table_name := t.name;
        deleted := n;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_forget_customer(text) IS
    'Erases a customer (right to erasure): deletes their rows from every cjo table that has a customer_id (events, journey_state, history, actions, customers, ...) under the customer''s engine lock; returns the rows deleted per table';

CREATE TABLE cjo.retention (
    target   text PRIMARY KEY CHECK (target IN ('history', 'actions')),
    keep_for interval NOT NULL CHECK (keep_for > interval '0')
);
COMMENT ON TABLE cjo.retention IS 'How long cjo_purge() keeps history and finished actions; a target without a row is kept for ever';
COMMENT ON COLUMN cjo.retention.target IS 'history: moves of runs that are over; actions: sent and failed actions';
COMMENT ON COLUMN cjo.retention.keep_for IS 'Age after which cjo_purge() deletes them: of the run''s last move for history, of the last status change for actions';
SELECT pg_catalog.pg_extension_config_dump('cjo.retention', '');

CREATE FUNCTION @extschema@.cjo_purge_batch(as_of timestamptz DEFAULT now(), batch_size integer DEFAULT 10000,
                                            OUT history bigint, OUT actions bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    history_cutoff timestamptz := as_of - (SELECT r.keep_for FROM cjo.retention r WHERE r.target = 'history');
    actions_cutoff timestamptz := as_of - (SELECT r.keep_for FROM cjo.retention r WHERE r.target = 'actions');
BEGIN
    IF as_of IS NULL THEN
        RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    history := 0;
    actions := 0;
    IF history_cutoff IS NOT NULL THEN
        -- Whole runs that are over (not the customer's active run) and whose
        -- last move is older than the cutoff; funnels never see half a run
        -- once a purge has finished.
        WITH doomed AS (
            SELECT h.customer_id, h.journey_id, h.run, h.step
              FROM cjo.history h
             WHERE h.at < history_cutoff
               AND NOT EXISTS (SELECT 1 FROM cjo.journey_state s
                                WHERE s.customer_id = h.customer_id AND s.journey_id = h.journey_id
                                  AND s.run = h.run AND s.status = 'a')
               AND NOT EXISTS (SELECT 1 FROM cjo.history l
                                WHERE l.customer_id = h.customer_id AND l.journey_id = h.journey_id
                                  AND l.run = h.run AND l.at >= history_cutoff)
             LIMIT batch_size)
        DELETE FROM cjo.history h
         USING doomed d
         WHERE h.customer_id = d.customer_id AND h.journey_id = d.journey_id
           AND h.run = d.run AND h.step = d.step;
        GET DIAGNOSTICS history = ROW_COUNT;
    END IF;
    IF actions_cutoff IS NOT NULL THEN
        WITH doomed AS (
            SELECT a.customer_id, a.action_id
              FROM cjo.actions a
             WHERE a.status IN ('sent', 'failed')
               AND a.updated_at < actions_cutoff
             LIMIT batch_size)
        DELETE FROM cjo.actions a
         USING doomed d
         WHERE a.customer_id = d.customer_id AND a.action_id = d.action_id;
        GET DIAGNOSTICS actions = ROW_COUNT;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_purge_batch(timestamptz, integer) IS
    'Deletes at most batch_size history rows and batch_size actions past their retention (cjo.retention) at as_of: moves of runs that are over and whose last move is older than the history retention; sent and failed actions last changed before the actions retention. Returns the rows deleted';

-- A procedure, so that it can commit between batches; it cannot carry SET
-- search_path (that forbids COMMIT), so every name in it is qualified.
CREATE PROCEDURE @extschema@.cjo_purge(INOUT history bigint DEFAULT 0, INOUT actions bigint DEFAULT 0,
                                       batch_size integer DEFAULT 10000, as_of timestamptz DEFAULT NULL)
    LANGUAGE plpgsql AS
$$
DECLARE
    b record;
BEGIN
    as_of := COALESCE(as_of, pg_catalog.now());
    history := 0;
    actions := 0;
    LOOP
        SELECT p.history, p.actions INTO b FROM @extschema@.cjo_purge_batch(as_of, batch_size) p;
        history := history OPERATOR(pg_catalog.+) b.history;
        actions := actions OPERATOR(pg_catalog.+) b.actions;
        COMMIT;
        EXIT WHEN b.history OPERATOR(pg_catalog.<) batch_size AND b.actions OPERATOR(pg_catalog.<) batch_size;
    END LOOP;
END
$$;
COMMENT ON PROCEDURE @extschema@.cjo_purge(bigint, bigint, integer, timestamptz) IS
    'Deletes history and actions past their retention (cjo.retention) in batches of batch_size rows, committing after each batch so that no transaction runs long; CALL cjo_purge() returns the rows deleted. Call it outside a transaction block';

CREATE FUNCTION @extschema@.cjo_schedule_purge(schedule text DEFAULT '17 3 * * *')
    RETURNS bigint
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS
$$ SELECT cjo.cron_schedule('cjo-purge', schedule, 'CALL @extschema@.cjo_purge()', 'CALL cjo_purge()') $$;
COMMENT ON FUNCTION @extschema@.cjo_schedule_purge(text) IS
    'Schedules CALL cjo_purge() with pg_cron under the job name cjo-purge (default daily at 03:17; calling it again changes the schedule); returns the job id';

CREATE FUNCTION @extschema@.cjo_unschedule_purge() RETURNS boolean
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS
$$ SELECT cjo.cron_unschedule('cjo-purge') $$;
COMMENT ON FUNCTION @extschema@.cjo_unschedule_purge() IS 'Removes the pg_cron job created by cjo_schedule_purge(); returns whether there was one';
