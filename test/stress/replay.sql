-- The replay oracle: the events of table replay_events (seq, event_id,
-- customer_id, name, properties, occurred_at), inserted one customer at a
-- time, one event per statement, in the order seq (the order in which the
-- engine processed them in the database under test).
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT * FROM replay_events ORDER BY customer_id, seq LOOP
        INSERT INTO cjo.events (event_id, customer_id, name, properties, occurred_at)
        VALUES (r.event_id, r.customer_id, r.name, r.properties, r.occurred_at);
    END LOOP;
END
$$;
