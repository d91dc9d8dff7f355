-- Data protection: cjo_forget_customer() erases one customer everywhere;
-- cjo_purge() deletes history of finished runs and settled actions past
-- their retention, in batches, with exact boundaries.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions, cjo.retention RESTART IDENTITY;
SELECT cjo_publish('{"name": "dp", "entry": {"event": "signup"}, "start": "mail",
    "reentry": {"policy": "after_exit"},
    "nodes": {"mail": {"type": "action", "channel": "email", "template": "welcome", "next": "wait"},
              "wait": {"type": "wait", "duration": "1 day", "next": "push"},
              "push": {"type": "action", "channel": "push", "template": "nudge", "next": "x"},
              "x": {"type": "exit"}}}') AS version;

-- d1, d2, d4 sign up on Jan 1 and finish on Jan 2; d3 signs up on Jan 10
-- and waits; d4 signs up again on Jan 10 (run 2, waiting).
INSERT INTO cjo.customers (customer_id, attributes)
SELECT 'd' || i, jsonb_build_object('email', 'd' || i || '@example.com') FROM generate_series(1, 4) i;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('d1', 'signup', '2026-01-01 10:00+00'), ('d2', 'signup', '2026-01-01 10:00+00'),
    ('d4', 'signup', '2026-01-01 10:00+00'), ('d1', 'page_view', '2026-01-01 11:00+00');
SELECT cjo_advance('2026-01-03 00:00+00') AS moved;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('d3', 'signup', '2026-01-10 10:00+00'), ('d4', 'signup', '2026-01-10 10:00+00');
SELECT customer_id, run, node, status FROM cjo.customer_journeys ORDER BY 1;

-- Rows per customer and table before.
CREATE VIEW pg_temp.per_customer AS
SELECT c.customer_id,
       (SELECT count(*) FROM cjo.events x WHERE x.customer_id = c.customer_id) AS events,
       (SELECT count(*) FROM cjo.journey_state x WHERE x.customer_id = c.customer_id) AS states,
       (SELECT count(*) FROM cjo.history x WHERE x.customer_id = c.customer_id) AS history,
       (SELECT count(*) FROM cjo.actions x WHERE x.customer_id = c.customer_id) AS actions,
       (SELECT count(*) FROM cjo.customers x WHERE x.customer_id = c.customer_id) AS profiles
  FROM (VALUES ('d1'), ('d2'), ('d3'), ('d4')) c(customer_id);
SELECT * FROM pg_temp.per_customer ORDER BY 1;

------------------------------------------------------------------------------
-- Erasure.
------------------------------------------------------------------------------
SELECT * FROM cjo_forget_customer('d1')
 WHERE table_name IN ('actions', 'customers', 'events', 'history', 'journey_state') ORDER BY 1;
SELECT * FROM pg_temp.per_customer ORDER BY 1;
-- d1 is in no table of the extension that has a customer_id, whichever
-- pieces added them.
CREATE FUNCTION pg_temp.rows_of(customer text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    t regclass;
    n bigint;
    total bigint := 0;
BEGIN
    FOR t IN SELECT c.oid FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'customer_id'
              WHERE c.relnamespace = 'cjo'::regnamespace AND c.relkind IN ('r', 'p') LOOP
        EXECUTE format('SELECT count(*) FROM %s WHERE customer_id = $1', t) INTO n USING customer;
        total := total + n;
    END LOOP;
    RETURN total;
END $$;
SELECT pg_temp.rows_of('d1') AS rows_left_for_d1, pg_temp.rows_of('d2') AS rows_left_for_d2;
-- Forgetting again, or someone unknown, deletes nothing; NULL is an error.
SELECT sum(deleted) AS deleted FROM cjo_forget_customer('d1');
SELECT sum(deleted) AS deleted FROM cjo_forget_customer('nobody');
SELECT * FROM cjo_forget_customer(NULL);
-- The customer's engine lock is held until the transaction ends (an event
-- insert for d2 would wait for it, a sweep would skip d2).
BEGIN;
SELECT count(*) AS tables FROM cjo_forget_customer('d2') WHERE deleted > 0;
SELECT count(*) AS cjo_locks_held FROM pg_locks
 WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid IN (25450, 25451);
ROLLBACK;
SELECT * FROM pg_temp.per_customer ORDER BY 1;

------------------------------------------------------------------------------
-- Retention: nothing is purged without a setting.
------------------------------------------------------------------------------
-- Settle the actions at known times: d2's email sent on Jan 1 12:00, its
-- push failed on Jan 2 12:00, d3's email sent on Jan 10 12:00; d4's first
-- email stays pending (never purged), its push is sent on Jan 2 12:00.
UPDATE cjo.actions SET status = 'sent', updated_at = '2026-01-01 12:00+00' WHERE customer_id = 'd2' AND channel = 'email';
UPDATE cjo.actions SET status = 'failed', updated_at = '2026-01-02 12:00+00' WHERE customer_id = 'd2' AND channel = 'push';
UPDATE cjo.actions SET status = 'sent', updated_at = '2026-01-10 12:00+00' WHERE customer_id = 'd3' AND channel = 'email';
UPDATE cjo.actions SET status = 'sent', updated_at = '2026-01-02 12:00+00' WHERE customer_id = 'd4' AND channel = 'push';
UPDATE cjo.actions SET updated_at = '2026-01-01 10:00+00' WHERE customer_id = 'd4' AND status = 'pending' AND run = 1;
SELECT customer_id, run, channel, status, CASE WHEN updated_at < '2026-02-01' THEN updated_at END AS updated_at
  FROM cjo.actions ORDER BY customer_id, action_id;
SELECT customer_id, run, step, cause, at FROM cjo.history ORDER BY customer_id, run, step;
SELECT * FROM cjo_purge_batch('2030-01-01');

INSERT INTO cjo.retention VALUES ('history', '7 days'), ('actions', '7 days');
SELECT * FROM cjo.retention ORDER BY 1;
INSERT INTO cjo.retention VALUES ('events', '7 days');
INSERT INTO cjo.retention VALUES ('history', '0 days') ON CONFLICT (target) DO UPDATE SET keep_for = excluded.keep_for;

-- History: runs that are over and whose last move (Jan 2 10:00 for d2 and
-- d4's run 1) is older than as_of - 7 days. At the boundary nothing goes,
-- even d2's entry of Jan 1 (its run's last move is not older).
-- Actions: sent or failed, last changed before as_of - 7 days.
SELECT * FROM cjo_purge_batch('2026-01-08 12:00+00');
SELECT * FROM cjo_purge_batch('2026-01-08 12:00:00.000001+00');
SELECT * FROM cjo_purge_batch('2026-01-09 10:00+00');
SELECT customer_id, run, channel, status FROM cjo.actions ORDER BY customer_id, action_id;
-- One microsecond later both finished runs go (2 moves each), in batches.
SELECT * FROM cjo_purge_batch('2026-01-09 10:00:00.000001+00', 3);
SELECT * FROM cjo_purge_batch('2026-01-09 10:00:00.000001+00', 3);
SELECT customer_id, run, step, cause FROM cjo.history ORDER BY customer_id, run, step;
-- Active runs are kept however old; d3's sent email goes after Jan 17 12:00.
CALL cjo_purge(batch_size => 1, as_of => '2027-01-01');
SELECT customer_id, run, step, cause FROM cjo.history ORDER BY customer_id, run, step;
SELECT customer_id, run, channel, status FROM cjo.actions ORDER BY customer_id, action_id;
CALL cjo_purge(as_of => '2027-01-01');
-- Analytics of the runs still there are whole.
SELECT node, entered, waiting FROM cjo_journey_funnel('dp') ORDER BY node_index;

-- Errors: a transaction block cannot hold the batches' commits; bad sizes.
BEGIN;
CALL cjo_purge();
ROLLBACK;
SELECT * FROM cjo_purge_batch(now(), 0);
SELECT * FROM cjo_purge_batch(NULL);

------------------------------------------------------------------------------
-- Who may: cjo_admin erases and purges (with the owner's rights: it cannot
-- delete from the tables itself); the other roles may not.
------------------------------------------------------------------------------
CREATE ROLE regress_dp_admin NOLOGIN IN ROLE cjo_admin;
CREATE ROLE regress_dp_ingest NOLOGIN IN ROLE cjo_ingest;
SET ROLE regress_dp_admin;
SELECT sum(deleted) AS deleted FROM cjo_forget_customer('d3');
CALL cjo_purge();
DELETE FROM cjo.events WHERE customer_id = 'd4';
SELECT target, keep_for FROM cjo.retention ORDER BY 1;
UPDATE cjo.retention SET keep_for = '30 days' WHERE target = 'history';
DELETE FROM cjo.retention WHERE target = 'actions';
RESET ROLE;
SET ROLE regress_dp_ingest;
SELECT * FROM cjo_forget_customer('d4');
CALL cjo_purge();
SELECT * FROM cjo.retention;
RESET ROLE;
SELECT * FROM pg_temp.per_customer ORDER BY 1;
SELECT * FROM cjo.retention ORDER BY 1;
DROP ROLE regress_dp_admin, regress_dp_ingest;

------------------------------------------------------------------------------
-- pg_cron.
------------------------------------------------------------------------------
CREATE EXTENSION pg_cron;
SELECT cjo_schedule_purge() > 0 AS scheduled;
SELECT jobname, schedule, command FROM cron.job WHERE jobname = 'cjo-purge';
SELECT cjo_schedule_purge('30 4 * * 0') > 0 AS rescheduled;
SELECT jobname, schedule, command FROM cron.job WHERE jobname = 'cjo-purge';
SELECT cjo_unschedule_purge();
SELECT cjo_unschedule_purge();
DROP EXTENSION pg_cron;
SELECT cjo_schedule_purge();
SELECT cjo_unschedule_purge();

-- Clean up.
SELECT cjo_archive('dp');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions, cjo.retention RESTART IDENTITY;
