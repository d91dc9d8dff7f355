
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
