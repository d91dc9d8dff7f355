
------------------------------------------------------------------------------
-- Identity: an anonymous visitor who identifies becomes the known customer,
-- with their events, journey states, history, actions and profile.
------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.cjo_identify(anonymous_id text, customer text)
    RETURNS TABLE (item text, moved bigint)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    n bigint;
    j record;
    shift integer;
BEGIN
    IF anonymous_id IS NULL OR customer IS NULL THEN
        RAISE EXCEPTION 'anonymous_id and customer must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF anonymous_id = customer THEN
        RAISE EXCEPTION 'customer "%" cannot be merged into itself', customer USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Both customers' engine locks, in the order the events trigger takes
    -- them (byte order of the ids), so that no event or sweep sees half a merge.
    PERFORM cjo.lock_customer(least(anonymous_id COLLATE "C", customer COLLATE "C"));
    PERFORM cjo.lock_customer(greatest(anonymous_id COLLATE "C", customer COLLATE "C"));

    -- Events: all of them move; an idempotency key both used keeps its
    -- meaning for the known customer, the anonymous one's is prefixed.
    UPDATE cjo.events e SET idempotency_key = anonymous_id || ':' || e.idempotency_key
     WHERE e.customer_id = anonymous_id
       AND EXISTS (SELECT FROM cjo.events k WHERE k.customer_id = customer AND k.idempotency_key = e.idempotency_key);
    UPDATE cjo.events e SET customer_id = customer WHERE e.customer_id = anonymous_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    item := 'events'; moved := n; RETURN NEXT;

    -- Profile: the known customer's attributes win over the anonymous ones.
    INSERT INTO cjo.customers AS c (customer_id, attributes)
    SELECT customer, a.attributes FROM cjo.customers a WHERE a.customer_id = anonymous_id
        ON CONFLICT (customer_id) DO UPDATE SET attributes = excluded.attributes || c.attributes, updated_at = now();
    DELETE FROM cjo.customers a WHERE a.customer_id = anonymous_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    item := 'profile'; moved := n; RETURN NEXT;

    -- Journeys. Where only the anonymous visitor is in a journey, their state,
    -- history and actions become the customer's. Where both are, the known
    -- customer's state stays (no one is in a journey twice): the anonymous
    -- runs come first in the history, the customer's are renumbered after
    -- them, and an anonymous run still going ends with a move of cause i.
    FOR j IN SELECT s.journey_id, s.run, s.status, s.node, s.version, s.step,
                    k.customer_id IS NOT NULL AS both
               FROM cjo.journey_state s
               LEFT JOIN cjo.journey_state k ON k.customer_id = customer AND k.journey_id = s.journey_id
              WHERE s.customer_id = anonymous_id
    LOOP
        IF j.both THEN
            shift := j.run;
            UPDATE cjo.journey_state s SET run = s.run + shift WHERE s.customer_id = customer AND s.journey_id = j.journey_id;
            UPDATE cjo.history h SET run = h.run + shift WHERE h.customer_id = customer AND h.journey_id = j.journey_id;
            UPDATE cjo.actions a SET run = a.run + shift WHERE a.customer_id = customer AND a.journey_id = j.journey_id;
            IF j.status = 'a' THEN
                INSERT INTO cjo.history (customer_id, journey_id, version, run, step, cause, event_id, at, path)
                VALUES (anonymous_id, j.journey_id, j.version, j.run, j.step + 1, 'i', NULL, now(), ARRAY[j.node]);
            END IF;
            DELETE FROM cjo.journey_state s WHERE s.customer_id = anonymous_id AND s.journey_id = j.journey_id;
            item := 'journey merged: ' || (SELECT name FROM cjo.journeys WHERE journey_id = j.journey_id);
        ELSE
            UPDATE cjo.journey_state s SET customer_id = customer WHERE s.customer_id = anonymous_id AND s.journey_id = j.journey_id;
            item := 'journey moved: ' || (SELECT name FROM cjo.journeys WHERE journey_id = j.journey_id);
        END IF;
        UPDATE cjo.history h SET customer_id = customer WHERE h.customer_id = anonymous_id AND h.journey_id = j.journey_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        UPDATE cjo.actions a SET customer_id = customer WHERE a.customer_id = anonymous_id AND a.journey_id = j.journey_id;
        moved := n; RETURN NEXT;
    END LOOP;
    -- Consent: the known customer's choices win; suppression follows the person.
    INSERT INTO cjo.consent (customer_id, channel, subscribed, updated_at)
    SELECT customer, c.channel, c.subscribed, c.updated_at FROM cjo.consent c WHERE c.customer_id = anonymous_id
        ON CONFLICT (customer_id, channel) DO NOTHING;
    DELETE FROM cjo.consent c WHERE c.customer_id = anonymous_id;
    INSERT INTO cjo.suppression_list (customer_id, reason, added_at)
    SELECT customer, s.reason, s.added_at FROM cjo.suppression_list s WHERE s.customer_id = anonymous_id
        ON CONFLICT (customer_id) DO NOTHING;
    DELETE FROM cjo.suppression_list s WHERE s.customer_id = anonymous_id;

    -- History or actions of journeys without a state left (after a purge, say).
    UPDATE cjo.history h SET customer_id = customer WHERE h.customer_id = anonymous_id;
    UPDATE cjo.actions a SET customer_id = customer WHERE a.customer_id = anonymous_id;
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_identify(text, text) IS
    'Merges an anonymous visitor into a known customer: events, profile (the known attributes win), consent and suppression, journey states, history and actions; in a journey both are in, the known customer''s state stays. Returns what moved';

-- An "identify" event with properties.anonymous_id merges the anonymous
-- visitor into the event's customer before the event itself is processed.
CREATE FUNCTION cjo.events_identify() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF NEW.properties ->> 'anonymous_id' <> NEW.customer_id THEN
        PERFORM @extschema@.cjo_identify(NEW.properties ->> 'anonymous_id', NEW.customer_id);
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION cjo.events_identify() IS 'Trigger: an identify event merges properties.anonymous_id into the event''s customer (cjo_identify)';
CREATE TRIGGER events_identify BEFORE INSERT ON cjo.events
    FOR EACH ROW WHEN (NEW.name = 'identify' AND NEW.properties ? 'anonymous_id')
    EXECUTE FUNCTION cjo.events_identify();
