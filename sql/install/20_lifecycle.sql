
------------------------------------------------------------------------------
-- Journey lifecycle: drafts, pause and resume, and moving the customers of
-- an older version into the latest one.
--   draft --publish--> active <--pause/resume--> paused
--                        \--archive--> archived --publish--> active
------------------------------------------------------------------------------
CREATE TABLE cjo.journey_drafts (
    journey_id integer PRIMARY KEY REFERENCES cjo.journeys,
    graph      cjo.journey NOT NULL,
    saved_at   timestamptz NOT NULL DEFAULT now(),
    saved_by   name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE cjo.journey_drafts IS 'The work-in-progress document of a journey: validated and compiled like a publication, but no customer sees it until cjo_publish_draft()';
COMMENT ON COLUMN cjo.journey_drafts.journey_id IS 'The journey (cjo.journeys; status draft until its first publication)';
COMMENT ON COLUMN cjo.journey_drafts.graph IS 'The draft document, compiled';
COMMENT ON COLUMN cjo.journey_drafts.saved_at IS 'When the draft was last saved';
COMMENT ON COLUMN cjo.journey_drafts.saved_by IS 'The role that saved it';
SELECT pg_catalog.pg_extension_config_dump('cjo.journey_drafts', '');

CREATE FUNCTION @extschema@.cjo_save_draft(definition cjo.journey) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    jid integer;
BEGIN
    INSERT INTO cjo.journeys AS j (name, status) VALUES (cjo.journey_name(definition), 'draft')
        ON CONFLICT (name) DO UPDATE SET name = excluded.name
        RETURNING j.journey_id INTO jid;
    INSERT INTO cjo.journey_drafts AS d (journey_id, graph) VALUES (jid, definition)
        ON CONFLICT (journey_id) DO UPDATE SET graph = excluded.graph, saved_at = now(), saved_by = current_user;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_save_draft(cjo.journey) IS
    'Saves (or replaces) the draft of a journey: validated now, published later with cjo_publish_draft(); a new name becomes a journey with status draft';

CREATE FUNCTION @extschema@.cjo_save_draft(definition text) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS
$$ SELECT @extschema@.cjo_save_draft(definition::cjo.journey) $$;
COMMENT ON FUNCTION @extschema@.cjo_save_draft(text) IS 'cjo_save_draft() of a document given as text';

CREATE FUNCTION @extschema@.cjo_save_draft(definition jsonb) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS
$$ SELECT @extschema@.cjo_save_draft(definition::text::cjo.journey) $$;
COMMENT ON FUNCTION @extschema@.cjo_save_draft(jsonb) IS 'cjo_save_draft() of a document given as jsonb';

-- The draft of a journey, or an error.
CREATE FUNCTION cjo.draft_of(journey_name text) RETURNS cjo.journey_drafts
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    d cjo.journey_drafts;
BEGIN
    SELECT dr.* INTO d FROM cjo.journey_drafts dr JOIN cjo.journeys j USING (journey_id) WHERE j.name = journey_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'journey "%" has no draft', journey_name USING ERRCODE = 'undefined_object';
    END IF;
    RETURN d;
END
$$;
COMMENT ON FUNCTION cjo.draft_of(text) IS 'The draft row of a journey; error 42704 if there is none';

CREATE FUNCTION @extschema@.cjo_publish_draft(journey_name text) RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    d cjo.journey_drafts := cjo.draft_of(journey_name);
    v integer;
BEGIN
    v := @extschema@.cjo_publish(d.graph);
    DELETE FROM cjo.journey_drafts WHERE journey_id = d.journey_id;
    RETURN v;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_publish_draft(text) IS
    'Publishes the draft of a journey as its next version (as cjo_publish) and removes the draft; returns the version';

CREATE FUNCTION @extschema@.cjo_discard_draft(journey_name text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    d cjo.journey_drafts := cjo.draft_of(journey_name);
BEGIN
    DELETE FROM cjo.journey_drafts WHERE journey_id = d.journey_id;
    -- A journey that was never published goes with its draft.
    DELETE FROM cjo.journeys j WHERE j.journey_id = d.journey_id AND j.status = 'draft';
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_discard_draft(text) IS
    'Throws the draft of a journey away (and the journey itself if it was never published)';

-- Moves a journey between active and paused.
CREATE FUNCTION cjo.set_journey_status(journey_name text, from_status text, to_status text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    current text;
BEGIN
    SELECT j.status INTO current FROM cjo.journeys j WHERE j.name = journey_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'journey "%" does not exist', journey_name USING ERRCODE = 'undefined_object';
    END IF;
    IF current <> from_status THEN
        RAISE EXCEPTION 'journey "%" is %, not %', journey_name, current, from_status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE cjo.journeys SET status = to_status WHERE name = journey_name;
END
$$;
COMMENT ON FUNCTION cjo.set_journey_status(text, text, text) IS 'Changes a journey''s status from one value to another, or fails with 55000';

CREATE FUNCTION @extschema@.cjo_pause(journey_name text) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS
$$ SELECT cjo.set_journey_status(journey_name, 'active', 'paused') $$;
COMMENT ON FUNCTION @extschema@.cjo_pause(text) IS
    'Pauses an active journey: customers stay where they are; no one enters; events and due timers are ignored until cjo_resume()';

CREATE FUNCTION @extschema@.cjo_resume(journey_name text) RETURNS void
    LANGUAGE sql SET search_path = pg_catalog, pg_temp AS
$$ SELECT cjo.set_journey_status(journey_name, 'paused', 'active') $$;
COMMENT ON FUNCTION @extschema@.cjo_resume(text) IS
    'Resumes a paused journey: new events move customers again, and the next sweep fires the timers that fell due meanwhile';

------------------------------------------------------------------------------
-- Version migration: customers waiting in older versions of a journey move
-- into the latest version, node by node.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.cjo_migrate(journey_name text, mapping jsonb DEFAULT '{}',
                                        only_version integer DEFAULT NULL)
    RETURNS TABLE (from_version integer, from_node text, to_node text, customers bigint)
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
#variable_conflict use_variable
DECLARE
    jid integer;
    latest integer;
    bad text;
    st record;
    target record;
BEGIN
    SELECT j.journey_id INTO jid FROM cjo.journeys j WHERE j.name = journey_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'journey "%" does not exist', journey_name USING ERRCODE = 'undefined_object';
    END IF;
    IF mapping IS NULL OR jsonb_typeof(mapping) <> 'object'
       OR EXISTS (SELECT FROM jsonb_each(mapping) m WHERE jsonb_typeof(m.value) NOT IN ('string', 'null')) THEN
        RAISE EXCEPTION 'the mapping must be a JSON object of old node name to new node name (or null: stay)'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example ''{"wait_1h": "wait_2h", "old_offer_wait": null}''.';
    END IF;
    SELECT max(v.version) INTO latest FROM cjo.journey_versions v WHERE v.journey_id = jid;
    IF latest IS NULL THEN
        RAISE EXCEPTION 'journey "%" has no published version', journey_name USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF only_version IS NOT NULL AND (only_version < 1 OR only_version >= latest) THEN
        RAISE EXCEPTION 'only_version must be an older version than % (the latest)', latest
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- Where the customers to move are, and where each of those nodes goes:
    -- the mapping, else the node of the same name in the latest version.
    CREATE TEMP TABLE cjo_migration ON COMMIT DROP AS
    SELECT s.version, s.node, o.node AS old_name,
           CASE WHEN mapping ? o.node THEN mapping ->> o.node ELSE o.node END AS new_name,
           count(*) AS customers
      FROM cjo.journey_state s
      JOIN cjo.journey_nodes o ON o.journey_id = s.journey_id AND o.version = s.version AND o.node_index = s.node
     WHERE s.journey_id = jid AND s.status = 'a' AND s.version < latest
       AND (only_version IS NULL OR s.version = only_version)
     GROUP BY 1, 2, 3, 4;

    SELECT string_agg(DISTINCT k, ', ') INTO bad
      FROM jsonb_object_keys(mapping) k
     WHERE NOT EXISTS (SELECT FROM cjo.journey_nodes o
                        WHERE o.journey_id = jid AND o.version < latest AND o.node = k);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'journey "%": the mapping names nodes that no older version has: %', journey_name, bad
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT string_agg(format('%s (version %s) -> %s', m.old_name, m.version, coalesce(m.new_name, '?')), ', ') INTO bad
      FROM cjo_migration m
      LEFT JOIN cjo.journey_nodes n ON n.journey_id = jid AND n.version = latest AND n.node = m.new_name
     WHERE m.new_name IS NOT NULL AND (n.node IS NULL OR n.node_type NOT IN ('wait', 'wait_event'));
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'journey "%": customers can only move to a wait or wait_event node of version %: %',
                        journey_name, latest, bad
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Map each node to a waiting node of the new version, or to null to let its customers finish in their version.';
    END IF;

    -- One customer at a time, under the lock the engine takes, re-reading the
    -- state under it: an event or a sweep may have moved the customer since.
    FOR st IN
        SELECT s.customer_id FROM cjo.journey_state s
          JOIN cjo_migration m ON m.version = s.version AND m.node = s.node AND m.new_name IS NOT NULL
         WHERE s.journey_id = jid AND s.status = 'a'
         ORDER BY s.customer_id
    LOOP
        PERFORM cjo.lock_customer(st.customer_id);
        SELECT s.*, m.new_name INTO target
          FROM cjo.journey_state s
          JOIN cjo_migration m ON m.version = s.version AND m.node = s.node AND m.new_name IS NOT NULL
         WHERE s.customer_id = st.customer_id AND s.journey_id = jid AND s.status = 'a';
        CONTINUE WHEN NOT FOUND;
        -- The time already spent waiting counts against the new node's wait.
        UPDATE cjo.journey_state s
           SET version = latest, node = n.node_index, step = s.step + 1,
               due_at = s.node_at + make_interval(secs => extract(epoch FROM (
                            (v.graph::jsonb -> 'nodes' -> n.node ->> CASE n.node_type WHEN 'wait' THEN 'duration' ELSE 'timeout' END)::interval)))
          FROM cjo.journey_nodes n
          JOIN cjo.journey_versions v ON v.journey_id = n.journey_id AND v.version = n.version
         WHERE s.customer_id = st.customer_id AND s.journey_id = jid
           AND n.journey_id = jid AND n.version = latest AND n.node = target.new_name;
        INSERT INTO cjo.history (customer_id, journey_id, version, run, step, cause, event_id, at, path)
        SELECT s.customer_id, jid, latest, s.run, s.step, 'v', NULL, now(), ARRAY[NULL, s.node]::smallint[]
          FROM cjo.journey_state s WHERE s.customer_id = st.customer_id AND s.journey_id = jid;
    END LOOP;

    RETURN QUERY SELECT m.version, m.old_name, m.new_name, m.customers FROM cjo_migration m ORDER BY 1, 2;
    DROP TABLE cjo_migration;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_migrate(text, jsonb, integer) IS
    'Moves the customers waiting in older versions of a journey (or in only_version) into its latest version: each node to the node the mapping names, else to the node of the same name; a node mapped to null keeps its customers in their version. Targets must be wait or wait_event nodes; time already waited counts. Returns how many customers went from where to where';
