-- The outbox: claim and report actions; leases, retries, attempts and
-- failures; bad input refused with its error code.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS cjo;
SELECT plan(33);
SET LOCAL timezone = 'UTC';
SET LOCAL cjo.max_attempts = 3;

SELECT is(cjo_publish('{"name": "outbox_tap", "entry": {"event": "signup"}, "start": "mail",
    "nodes": {"mail": {"type": "action", "channel": "email", "template": "hello",
                       "payload": {"sku": "{{$.event.properties.sku}}"}, "next": "push"},
              "push": {"type": "action", "channel": "push", "template": "hello", "next": "bye"},
              "bye": {"type": "exit"}}}'::text), 1, 'publish');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
SELECT 'c' || i, 'signup', jsonb_build_object('sku', 'sku-' || i), '2026-01-05 10:00+00' FROM generate_series(1, 4) i;
SELECT results_eq($$SELECT channel, status, count(*), sum(attempts) FROM cjo.actions GROUP BY 1, 2 ORDER BY 1$$,
                  $$VALUES ('email', 'pending', 4::bigint, 0::bigint), ('push', 'pending', 4, 0)$$,
                  'four customers, two pending actions each');

-- Bad arguments.
SELECT throws_ok($$SELECT * FROM cjo_claim(0)$$, '22023', 'batch_size must be at least 1', 'batch_size 0: 22023');
SELECT throws_ok($$SELECT * FROM cjo_claim(NULL)$$, '22023', NULL, 'batch_size NULL: 22023');
SELECT throws_ok($$SELECT * FROM cjo_claim(1, '0 seconds')$$, '22023', 'lease must be a positive interval', 'a zero lease: 22023');
SELECT throws_ok($$SELECT * FROM cjo_claim(1, '-1 minute')$$, '22023', NULL, 'a negative lease: 22023');
SELECT throws_ok($$SELECT cjo_report((SELECT min(action_id) FROM cjo.actions), 'delivered')$$, '22023', NULL,
                 'an unknown outcome: 22023');
SELECT throws_ok($$SELECT cjo_report((SELECT min(action_id) FROM cjo.actions), NULL)$$, '22023', NULL,
                 'a NULL outcome: 22023');
SELECT throws_ok($$SELECT cjo_report(999999, 'sent')$$, 'P0002', 'action 999999 does not exist', 'an unknown action: P0002');
SELECT throws_ok($$SELECT cjo_report((SELECT min(action_id) FROM cjo.actions), 'sent')$$, '55000', NULL,
                 'reporting a pending (unclaimed) action: 55000');

-- Claim: by channel, oldest first, leased.
CREATE TEMP TABLE got AS SELECT * FROM cjo_claim(10, '5 minutes', ARRAY['email'], 'worker-1');
SELECT results_eq($$SELECT customer_id, channel, status, attempts, claimed_by, payload FROM got ORDER BY customer_id$$,
                  $$SELECT 'c' || i, 'email', 'claimed', 1, 'worker-1', jsonb_build_object('sku', 'sku-' || i) FROM generate_series(1, 4) i$$,
                  'a claim for email returns the four email actions, claimed, with their payloads');
SELECT ok((SELECT bool_and(available_at > clock_timestamp() + interval '4 minutes') FROM cjo.actions WHERE channel = 'email'),
          'they are leased for 5 minutes');
SELECT is_empty($$SELECT * FROM cjo_claim(10, '5 minutes', ARRAY['email'], 'worker-2')$$, 'leased actions are not claimed again');
SELECT is((SELECT count(*) FROM cjo_claim(3, '5 minutes', NULL, 'worker-2')), 3::bigint, 'batch_size bounds a claim');
SELECT is((SELECT count(*) FROM cjo_claim(3, '5 minutes', NULL, 'worker-2')), 1::bigint, 'the last push action');
SELECT is_empty($$SELECT * FROM cjo_claim(10)$$, 'nothing left to claim');

-- Report: sent.
SELECT is(cjo_report((SELECT action_id FROM got WHERE customer_id = 'c1'), 'sent'), 'sent', 'report sent');
SELECT throws_ok(format('SELECT cjo_report(%s, %L)', (SELECT action_id FROM got WHERE customer_id = 'c1'), 'sent'),
                 '55000', NULL, 'a sent action cannot be reported again: 55000');

-- Report: failed, for good, with the error.
SELECT is(cjo_report((SELECT action_id FROM got WHERE customer_id = 'c2'), 'failed', 'mailbox does not exist'), 'failed', 'report failed');
SELECT results_eq($$SELECT a.status, a.last_error FROM cjo.actions a JOIN got USING (action_id) WHERE got.customer_id = 'c2'$$,
                  $$VALUES ('failed', 'mailbox does not exist')$$, 'a failed action keeps its error');
SELECT throws_ok(format('SELECT cjo_report(%s, %L)', (SELECT action_id FROM got WHERE customer_id = 'c2'), 'retry'),
                 '55000', NULL, 'a failed action cannot be retried: 55000');

-- Report: retry, with a delay, then again until cjo.max_attempts (3) claims.
SELECT is(cjo_report((SELECT action_id FROM got WHERE customer_id = 'c3'), 'retry', 'busy', '1 hour'), 'pending', 'retry: pending again');
SELECT ok((SELECT a.available_at > clock_timestamp() + interval '59 minutes' FROM cjo.actions a JOIN got USING (action_id)
            WHERE got.customer_id = 'c3'), 'offered again after retry_in');
SELECT is_empty($$SELECT * FROM cjo_claim(10)$$, 'not before');
SELECT is(cjo_report((SELECT action_id FROM got WHERE customer_id = 'c4'), 'retry', 'busy', '0 seconds'), 'pending', 'retry at once');
SELECT results_eq($$SELECT customer_id, attempts FROM cjo_claim(10, '5 minutes', NULL, 'worker-3')$$,
                  $$VALUES ('c4', 2)$$, 'claimed again: second attempt');
SELECT is(cjo_report((SELECT action_id FROM got WHERE customer_id = 'c4'), 'retry', 'busy', '0 seconds'), 'pending', 'retry again');
SELECT results_eq($$SELECT customer_id, attempts FROM cjo_claim(10, '5 minutes', NULL, 'worker-3')$$,
                  $$VALUES ('c4', 3)$$, 'third attempt');
SELECT is(cjo_report((SELECT action_id FROM got WHERE customer_id = 'c4'), 'retry', 'still busy', '0 seconds'), 'failed',
          'a retry after cjo.max_attempts claims fails for good');
SELECT results_eq($$SELECT a.status, a.attempts, a.last_error FROM cjo.actions a JOIN got USING (action_id) WHERE got.customer_id = 'c4'$$,
                  $$VALUES ('failed', 3, 'still busy')$$, 'with its attempts and last error');

-- A lease that runs out makes the action claimable again.
SELECT is((SELECT count(*) FROM cjo_claim(1, '1 millisecond', ARRAY['push'], 'slow')), 0::bigint,
          'the push actions are still leased');
UPDATE cjo.actions SET available_at = clock_timestamp() - interval '1 second' WHERE channel = 'push' AND customer_id = 'c1';
SELECT results_eq($$SELECT customer_id, attempts, claimed_by FROM cjo_claim(10, '5 minutes', ARRAY['push'], 'rescuer')$$,
                  $$VALUES ('c1', 2, 'rescuer')$$, 'an expired lease is claimed by the next worker');
SELECT is(cjo_report((SELECT action_id FROM cjo.actions WHERE channel = 'push' AND customer_id = 'c1'), 'sent'), 'sent',
          'and reported by it');

SELECT * FROM finish();
ROLLBACK;
