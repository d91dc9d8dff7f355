-- The stress test's database: three journeys that use waits, wait_event with
-- time-outs, a branch on the profile, splits, exit events, goals, re-entry
-- and journey data (set nodes); profiles for half of the customers; and a
-- log of the order in which the engine processed every event (the replay
-- oracle inserts the same events in that order).
--   psql -v customers=1000 -f test/stress/setup.sql
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cjo;

SELECT cjo_publish('{
  "name": "stress_onboarding",
  "entry": {"event": "signup"},
  "reentry": {"policy": "after_exit", "cooldown": "2 days"},
  "exit_on": [{"event": "unsubscribe"}],
  "goal": {"event": "purchase", "within": "5 days", "value": "$.event.properties.amount"},
  "start": "welcome",
  "nodes": {
    "welcome": {"type": "action", "channel": "email", "template": "welcome",
                "payload": {"plan": "{{$.event.properties.plan}}", "tier": "{{$.profile.tier}}"}, "next": "pause"},
    "pause": {"type": "wait", "duration": "1 day", "next": "route"},
    "route": {"type": "branch", "cases": [{"when": "$.profile.tier == \"gold\"", "next": "gold"}], "else": "ab"},
    "gold": {"type": "action", "channel": "sms", "template": "gold_hello", "next": "listen"},
    "ab": {"type": "split", "variants": [
             {"name": "email", "weight": 2, "next": "tips"},
             {"name": "push", "weight": 1, "next": "nudge"},
             {"name": "control", "weight": 1, "next": "listen", "control": true}]},
    "tips": {"type": "action", "channel": "email", "template": "tips", "next": "listen"},
    "nudge": {"type": "action", "channel": "push", "template": "nudge", "next": "listen"},
    "listen": {"type": "wait_event",
               "events": [{"event": "purchase", "when": "$.event.properties.amount >= 50", "next": "thanks"},
                          {"event": "support", "next": "done"}],
               "timeout": "2 days", "timeout_next": "last_call"},
    "thanks": {"type": "action", "channel": "email", "template": "thanks", "next": "done"},
    "last_call": {"type": "action", "channel": "push", "template": "last_call", "next": "done"},
    "done": {"type": "exit"}
  }}');

SELECT cjo_publish('{
  "name": "stress_cart",
  "entry": {"event": "cart"},
  "reentry": {"policy": "always", "cooldown": "3 hours"},
  "exit_on": [{"event": "purchase"}],
  "start": "remember",
  "nodes": {
    "remember": {"type": "set", "values": {"sku": "{{$.event.properties.sku}}", "stage": "open"}, "next": "hold"},
    "hold": {"type": "wait_event", "events": [{"event": "view", "next": "seen"}],
             "timeout": "4 hours", "timeout_next": "remind"},
    "seen": {"type": "set", "values": {"viewed": "{{$.event.properties.sku}}", "stage": "viewed"}, "next": "hold2"},
    "hold2": {"type": "wait", "duration": "2 hours", "next": "remind"},
    "remind": {"type": "split", "variants": [
                 {"name": "a", "weight": 1, "next": "mail"},
                 {"name": "b", "weight": 1, "next": "done", "control": true}]},
    "mail": {"type": "action", "channel": "email", "template": "cart_reminder",
             "payload": {"sku": "{{$.entry.properties.sku}}", "kept": "{{$.journey.sku}}",
                         "viewed": "{{$.journey.viewed}}", "stage": "{{$.journey.stage}}"}, "next": "done"},
    "done": {"type": "exit"}
  }}');

-- The k-th purchase: thanks after the 1st, a reward after the 3rd, then a
-- week's wait; never re-entered.
SELECT cjo_publish('{
  "name": "stress_loyalty",
  "entry": {"event": "purchase"},
  "goal": {"event": "vip", "exit": true},
  "start": "first",
  "nodes": {
    "first": {"type": "action", "channel": "email", "template": "first_purchase", "next": "second"},
    "second": {"type": "wait_event", "events": [{"event": "purchase", "next": "third"}]},
    "third": {"type": "wait_event", "events": [{"event": "purchase", "next": "reward"}]},
    "reward": {"type": "action", "channel": "sms", "template": "reward",
               "payload": {"amount": "{{$.event.properties.amount}}"}, "next": "rest"},
    "rest": {"type": "wait", "duration": "7 days", "next": "done"},
    "done": {"type": "exit"}
  }}');

INSERT INTO cjo.customers (customer_id, attributes)
SELECT 'c' || i, jsonb_build_object('tier', CASE WHEN i % 3 = 0 THEN 'gold' ELSE 'basic' END)
  FROM generate_series(0, :customers - 1) i WHERE i % 2 = 0;

-- The order in which the engine processed each event.  This trigger fires
-- after cjo's events_advance (same statement, name order), while the
-- customer's lock is still held: for each customer the sequence follows the
-- processing order.  Within a statement cjo takes a customer's events in
-- (event time, position in the statement) order; so does the log.
CREATE TABLE stress_order (seq bigserial, event_id bigint, customer_id text);
CREATE FUNCTION stress_log_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stress_order (event_id, customer_id)
    SELECT event_id, customer_id
      FROM (SELECT *, row_number() OVER () AS pos FROM new_events) e
     ORDER BY customer_id, least(occurred_at, now()), pos;
    RETURN NULL;
END $$;
CREATE TRIGGER zz_stress_log_order AFTER INSERT ON cjo.events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION stress_log_order();
