-- The outbox: delivery systems claim actions (FOR UPDATE SKIP LOCKED, with a
-- lease), report outcomes, retry with backoff, and give up after
-- cjo.max_attempts claims. (The NOTIFY that announces new work is shown by
-- the isolation spec specs/notify.spec.)
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
SELECT cjo_publish('{"name": "outbox", "entry": {"event": "signup"}, "start": "mail",
    "nodes": {"mail": {"type": "action", "channel": "email", "template": "welcome", "next": "push"},
              "push": {"type": "action", "channel": "push", "template": "hello", "next": "x"},
              "x": {"type": "exit"}}}');

INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'c' || i, 'signup', '2026-01-05 10:00+00' FROM generate_series(1, 3) i;
SELECT channel, template, status, attempts, count(*) FROM cjo.actions GROUP BY 1, 2, 3, 4 ORDER BY 1;

-- Claim two emails for worker w1: they are leased, not offered again.
SELECT customer_id, channel, status, attempts, claimed_by
  FROM cjo_claim(2, '5 minutes', ARRAY['email'], 'w1') ORDER BY customer_id;
SELECT count(*) AS claimable_emails FROM cjo_claim(10, '5 minutes', ARRAY['email'], 'w2');
SELECT channel, status, count(*) FROM cjo.actions GROUP BY 1, 2 ORDER BY 1, 2;

-- Outcomes: sent, retry (pending again later, with the error kept), failed.
SELECT cjo_report(action_id, 'sent') FROM cjo.actions WHERE customer_id = 'c1' AND channel = 'email';
SELECT cjo_report(action_id, 'retry', 'mailbox full') FROM cjo.actions WHERE customer_id = 'c2' AND channel = 'email';
SELECT status, attempts, last_error, available_at > now() AS backing_off
  FROM cjo.actions WHERE customer_id = 'c2' AND channel = 'email';
SELECT cjo_report(action_id, 'failed', 'no such user') FROM cjo.actions WHERE customer_id = 'c3' AND channel = 'email';
SELECT customer_id, status, last_error FROM cjo.actions WHERE channel = 'email' ORDER BY 1;

-- A retry may name its own delay; a claim whose lease runs out is offered
-- again (the worker died), and the attempt counter keeps going.
SELECT count(*) FROM cjo_claim(10, '1 millisecond', ARRAY['push'], 'dies');
SELECT pg_sleep(0.05);
SELECT customer_id, attempts, claimed_by FROM cjo_claim(10, '5 minutes', ARRAY['push'], 'w3') ORDER BY 1;
SELECT cjo_report(action_id, 'retry', 'gateway timeout', '0 seconds') FROM cjo.actions WHERE customer_id = 'c1' AND channel = 'push';
SELECT customer_id, status, attempts FROM cjo_claim(10, '5 minutes', ARRAY['push'], 'w4') ORDER BY 1;

-- cjo.max_attempts: a retry after the last allowed claim fails for good.
SHOW cjo.max_attempts;
SHOW cjo.retry_backoff;
SET cjo.max_attempts = 3;
SELECT cjo_report(action_id, 'retry', 'gateway timeout') FROM cjo.actions WHERE customer_id = 'c1' AND channel = 'push';
SELECT status, attempts, last_error FROM cjo.actions WHERE customer_id = 'c1' AND channel = 'push';
RESET cjo.max_attempts;

-- Errors, with their SQLSTATEs.
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.try($$SELECT cjo_report(action_id, 'delivered') FROM cjo.actions WHERE customer_id = 'c2' AND channel = 'push'$$);
SELECT pg_temp.try($$SELECT cjo_report(-1, 'sent')$$);
SELECT pg_temp.try($$SELECT cjo_report(action_id, 'sent') FROM cjo.actions WHERE customer_id = 'c1' AND channel = 'email'$$);
SELECT pg_temp.try($$SELECT * FROM cjo_claim(0)$$);
SELECT pg_temp.try($$SELECT * FROM cjo_claim(10, '-1 second')$$);
SELECT pg_temp.try($$SET cjo.max_attempts = 0$$);
SELECT cjo_archive('outbox');
