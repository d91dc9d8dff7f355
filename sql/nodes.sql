-- Every node type moving customers: action (outbox rows with payload
-- templates), wait (timers fired by cjo_advance), branch, split, wait_event
-- (match, condition, time-out, time-out caught up by a later event), exit.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;

SELECT cjo_publish('{
  "name": "nodes",
  "entry": {"event": "signup"},
  "start": "welcome",
  "nodes": {
    "welcome": {"type": "action", "channel": "email", "template": "welcome",
                "payload": {"plan": "{{$.event.properties.plan}}", "name": "{{ $.profile.name }}",
                            "missing": "{{$.event.properties.nope}}", "fixed": {"a": [1, 2]}, "n": 3},
                "next": "pause"},
    "pause": {"type": "wait", "duration": "1 day", "next": "route"},
    "route": {"type": "branch", "cases": [
                {"when": "$.profile.vip == true", "next": "vip"},
                {"when": "$.entry.properties.coupon", "next": "coupon"}],
              "else": "ab"},
    "vip": {"type": "action", "channel": "sms", "template": "vip_hello",
            "payload": {"plan": "{{$.entry.properties.plan}}"}, "next": "done"},
    "coupon": {"type": "action", "channel": "email", "template": "coupon", "next": "done"},
    "ab": {"type": "split", "variants": [
             {"name": "treatment", "weight": 1, "next": "listen"},
             {"name": "control", "weight": 0, "next": "done", "control": true}]},
    "listen": {"type": "wait_event",
               "events": [{"event": "purchase", "when": "$.event.properties.amount >= 10", "next": "thanks"},
                          {"event": "support", "next": "done"}],
               "timeout": "2 days", "timeout_next": "last_call"},
    "thanks": {"type": "action", "channel": "email", "template": "thanks", "next": "done"},
    "last_call": {"type": "action", "channel": "push", "template": "last_call", "next": "done"},
    "done": {"type": "exit"}
  }}');

INSERT INTO cjo.customers (customer_id, attributes) VALUES
    ('vip', '{"name": "Vera", "vip": true}'),
    ('coupon', '{"name": "Carl"}'),
    ('buyer', '{"name": "Bea"}'),
    ('cheap', '{"name": "Chen"}'),
    ('silent', '{"name": "Sam"}'),
    ('late', '{"name": "Lee"}');
-- No profile row for 'ghost': conditions see an empty profile.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('vip', 'signup', '{"plan": "pro"}', '2026-01-05 10:00+00'),
    ('coupon', 'signup', '{"plan": "free", "coupon": "SPRING"}', '2026-01-05 10:00+00'),
    ('buyer', 'signup', '{"plan": "free"}', '2026-01-05 10:00+00'),
    ('cheap', 'signup', '{"plan": "free"}', '2026-01-05 10:00+00'),
    ('silent', 'signup', '{"plan": "free"}', '2026-01-05 10:00+00'),
    ('late', 'signup', '{"plan": "free"}', '2026-01-05 10:00+00'),
    ('ghost', 'signup', '{}', '2026-01-05 10:00+00');

-- Everyone got the welcome email, with the payload built from event and profile.
SELECT customer_id, channel, template, payload FROM cjo.actions ORDER BY customer_id;
SELECT customer_id, node, status, due_at FROM cjo.customer_journeys ORDER BY customer_id;

-- Nothing is due yet.
SELECT cjo_advance('2026-01-06 09:59+00');
-- A day later the waits end: branch and split run at once.
SELECT cjo_advance('2026-01-06 10:00+00');
SELECT customer_id, node, status, due_at FROM cjo.customer_journeys ORDER BY customer_id;
SELECT customer_id, template, payload FROM cjo.actions WHERE template <> 'welcome' ORDER BY customer_id;
SELECT customer_id, from_node, to_node, cause, choice FROM cjo.transitions
 WHERE from_node IN ('route', 'ab') ORDER BY customer_id, step;

-- Awaited events: a purchase of 5 does not match (amount >= 10), one of 25 does.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('cheap', 'purchase', '{"amount": 5}', '2026-01-06 12:00+00'),
    ('buyer', 'purchase', '{"amount": 25}', '2026-01-06 12:00+00'),
    ('ghost', 'support', '{}', '2026-01-06 13:00+00');
SELECT customer_id, node, status FROM cjo.customer_journeys ORDER BY customer_id;

-- An event arriving after the time-out deadline fires the time-out first:
-- 'late' gets last_call, not thanks, although it bought.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('late', 'purchase', '{"amount": 50}', '2026-01-08 11:00+00');
SELECT customer_id, from_node, to_node, cause, at FROM cjo.transitions
 WHERE customer_id = 'late' ORDER BY step;

-- The sweep fires the remaining time-outs ('cheap', 'silent').
SELECT cjo_advance('2026-01-09 00:00+00');
SELECT customer_id, node, status, ended_at FROM cjo.customer_journeys ORDER BY customer_id;
SELECT template, count(*) FROM cjo.actions GROUP BY 1 ORDER BY 1;
-- Sweeping again finds nothing.
SELECT cjo_advance('2026-02-01 00:00+00');

-- One customer at a time: cjo_advance(as_of, customer).
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('x1', 'signup', '2026-01-10 10:00+00'), ('x2', 'signup', '2026-01-10 10:00+00');
SELECT cjo_advance('2026-01-11 10:00+00', 'x1');
SELECT customer_id, node FROM cjo.customer_journeys WHERE customer_id IN ('x1', 'x2') ORDER BY 1;

-- Stable split: 50/50 over 1000 customers is close to even, and the same
-- customers get the same variants in a second journey with the same names.
SELECT cjo_archive('nodes');
SELECT cjo_publish('{"name": "split5050", "entry": {"event": "go"}, "start": "s", "nodes": {
    "s": {"type": "split", "variants": [{"name": "a", "weight": 50, "next": "x"}, {"name": "b", "weight": 50, "next": "x"}]},
    "x": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'split-' || i, 'go', '2026-01-05 10:00+00' FROM generate_series(1, 1000) i;
SELECT choice, count(*) BETWEEN 450 AND 550 AS near_half
  FROM cjo.transitions WHERE journey = 'split5050' AND from_node = 's' GROUP BY 1 ORDER BY 1;
CREATE TEMP TABLE first_assignment AS
SELECT customer_id, choice FROM cjo.transitions WHERE journey = 'split5050' AND from_node = 's';
-- Version 2 of the same journey, which lets them in again.
SELECT cjo_publish('{"name": "split5050", "entry": {"event": "go2"}, "reentry": {"policy": "after_exit"}, "start": "s", "nodes": {
    "s": {"type": "split", "variants": [{"name": "a", "weight": 50, "next": "x"}, {"name": "b", "weight": 50, "next": "x"}]},
    "x": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT 'split-' || i, 'go2', '2026-01-06 10:00+00' FROM generate_series(1, 1000) i;
SELECT count(*) AS same_variant_both_times
  FROM cjo.transitions t JOIN first_assignment f USING (customer_id)
 WHERE t.journey = 'split5050' AND t.version = 2 AND t.from_node = 's' AND t.choice = f.choice;
SELECT cjo_archive('split5050');

-- A condition with a wildcard reaches every part of the context: here the
-- profile, although no path names it.
SELECT cjo_publish('{"name": "wildcard", "entry": {"event": "hello", "when": "$.*.vip == true"}, "start": "x",
    "nodes": {"x": {"type": "exit"}}}');
INSERT INTO cjo.customers (customer_id, attributes) VALUES ('w-vip', '{"vip": true}'), ('w-plain', '{"vip": false}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('w-vip', 'hello', '2026-01-05 10:00+00'), ('w-plain', 'hello', '2026-01-05 10:00+00');
SELECT customer_id FROM cjo.customer_journeys WHERE journey = 'wildcard';
SELECT cjo_archive('wildcard');
