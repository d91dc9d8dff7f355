-- The crash test's journey and events (explicit event ids, so that two
-- databases loading the same file have the same ids).
--   psql -v customers=N -v events=M -v out=FILE -f test/stress/crash.sql
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cjo;
SELECT cjo_publish('{
  "name": "crash_journey",
  "entry": {"event": "signup"},
  "exit_on": [{"event": "unsubscribe"}],
  "goal": {"event": "buy", "within": "10 days"},
  "start": "hello",
  "nodes": {
    "hello": {"type": "action", "channel": "email", "template": "hello", "next": "pause"},
    "pause": {"type": "wait", "duration": "1 day", "next": "ab"},
    "ab": {"type": "split", "variants": [{"name": "a", "weight": 1, "next": "tip"},
                                          {"name": "b", "weight": 1, "next": "listen", "control": true}]},
    "tip": {"type": "action", "channel": "push", "template": "tip", "next": "listen"},
    "listen": {"type": "wait_event", "events": [{"event": "buy", "next": "thanks"}],
               "timeout": "2 days", "timeout_next": "last"},
    "thanks": {"type": "action", "channel": "email", "template": "thanks", "next": "done"},
    "last": {"type": "action", "channel": "email", "template": "last_call", "next": "done"},
    "done": {"type": "exit"}
  }}') \gset
\if :{?out}
-- Every customer signs up in the first week; then views, buys and
-- unsubscribes come at random over four weeks.
CREATE TEMP TABLE gen AS
SELECT i AS event_id, 'k' || (i % :customers) AS customer_id,
       CASE WHEN i <= :customers THEN 'signup'
            ELSE (ARRAY['view','view','buy','unsubscribe','signup'])[1 + (hashint4(i) & 4095) % 5] END AS name,
       jsonb_build_object('n', i) AS properties,
       timestamptz '2026-01-01 00:00+00' + CASE WHEN i <= :customers THEN (hashint4(i) & 65535) * interval '9 seconds'
                                                ELSE ((hashint4(-i) & 65535) * interval '37 seconds') END AS occurred_at
  FROM generate_series(1, :events) i;
COPY (SELECT event_id, customer_id, name, properties, occurred_at FROM gen WHERE event_id <= :customers ORDER BY event_id) TO STDOUT \g :out.base
COPY (SELECT event_id, customer_id, name, properties, occurred_at FROM gen WHERE event_id > :customers ORDER BY event_id) TO STDOUT \g :out.load
\endif
