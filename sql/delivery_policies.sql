-- Delivery policies: consent, suppression, frequency caps, quiet hours and
-- time zones, applied to actions as they reach the outbox.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
CREATE FUNCTION pg_temp.policy_trigger() RETURNS text LANGUAGE sql AS
$$ SELECT CASE tgenabled WHEN 'D' THEN 'disabled' ELSE 'enabled' END FROM pg_trigger
    WHERE tgrelid = 'cjo.actions'::regclass AND tgname = 'actions_policies' $$;

-- 1. Quiet hours in local time, worked out by hand.
--    22:00-08:00 in Paris (UTC+1 in winter, UTC+2 in summer):
SELECT cjo.after_quiet_hours('2026-01-10 22:30+00', '22:00', '08:00', 'Europe/Paris') AS "23:30 Paris -> 08:00 Paris = 07:00 UTC",
       cjo.after_quiet_hours('2026-01-10 05:00+00', '22:00', '08:00', 'Europe/Paris') AS "06:00 Paris -> 08:00 the same day",
       cjo.after_quiet_hours('2026-01-10 11:00+00', '22:00', '08:00', 'Europe/Paris') AS "12:00 Paris: not quiet",
       cjo.after_quiet_hours('2026-01-10 07:00+00', '22:00', '08:00', 'Europe/Paris') AS "08:00 Paris: the window ends at 08:00";
--    A window within a day, 13:00-14:00 in Tokyo (UTC+9): 13:30 -> 14:00.
SELECT cjo.after_quiet_hours('2026-01-10 04:30+00', '13:00', '14:00', 'Asia/Tokyo') AS "13:30 Tokyo -> 14:00 Tokyo = 05:00 UTC";
--    Across a DST change: Paris springs forward on 29 March 2026 (02:00 -> 03:00),
--    so 08:00 that morning is 06:00 UTC, not 07:00; New York falls back on
--    1 November 2026, so 08:00 that morning is 13:00 UTC, not 12:00.
SELECT cjo.after_quiet_hours('2026-03-28 22:00+00', '22:00', '08:00', 'Europe/Paris') AS "Paris, spring forward",
       cjo.after_quiet_hours('2026-11-01 03:30+00', '22:00', '08:00', 'America/New_York') AS "New York, fall back";
--    Customers in different zones at the same instant, 2026-01-10 21:30 UTC:
--    22:30 in Paris (quiet), 13:30 in Los Angeles (not), 06:30 next day in Tokyo (quiet until 08:00).
SELECT tz, cjo.after_quiet_hours('2026-01-10 21:30+00', '22:00', '08:00', tz) AS deliver_at
  FROM unnest(ARRAY['Europe/Paris', 'America/Los_Angeles', 'Asia/Tokyo']) tz;
-- The customer's zone: the profile's time_zone if known, else the channel's.
SELECT cjo.customer_time_zone('{"time_zone": "Asia/Tokyo"}', 'UTC'), cjo.customer_time_zone('{"time_zone": "Mars/Olympus"}', 'UTC'),
       cjo.customer_time_zone('{}', 'Europe/Paris'), cjo.customer_time_zone(NULL, 'Europe/Paris');

-- 2. Every policy on one action, in order (suppression list, consent,
--    suppression rules, caps, quiet hours), with fixed times.
INSERT INTO cjo.journeys (journey_id, name) VALUES (900, 'dp_fixture');
INSERT INTO cjo.customers (customer_id, attributes) VALUES
    ('p1', '{"time_zone": "Europe/Paris", "open_tickets": 0}'), ('p2', '{"open_tickets": 2}');
INSERT INTO cjo.channels (channel, quiet_from, quiet_until, time_zone) VALUES ('email', '22:00', '08:00', 'UTC');
INSERT INTO cjo.frequency_caps (channel, max_actions, per, comment) VALUES ('email', 2, '7 days', 'two emails a week');
INSERT INTO cjo.suppression_rules (journey_id, channel, condition, effect, comment)
VALUES (900, 'email', '$.profile.open_tickets > 0', 'hold', 'no marketing during an open ticket');
SELECT pg_temp.policy_trigger();
CREATE FUNCTION pg_temp.policy(customer text, at timestamptz) RETURNS TABLE (status text, available_at timestamptz, why text)
    LANGUAGE sql AS
$$ SELECT (a).status, (a).available_at, (a).last_error
     FROM (SELECT cjo.apply_delivery_policies(jsonb_populate_record(NULL::cjo.actions, jsonb_build_object(
              'action_id', 0, 'customer_id', customer, 'journey_id', 900, 'version', 1, 'run', 1, 'node', 0,
              'channel', 'email', 'template', 't', 'status', 'pending', 'available_at', at))) AS a) x $$;
-- Quiet hours only: 23:00 UTC is 00:00 in Paris: wait until 08:00 Paris.
SELECT * FROM pg_temp.policy('p1', '2026-01-10 23:00+00');
-- Two emails already this week (delivered 1 and 3 January): the cap holds the
-- third until 7 days after the older one (8 January 09:00), which is in the day.
INSERT INTO cjo.actions (customer_id, journey_id, version, run, node, channel, template, status, updated_at) VALUES
    ('p1', 900, 1, 1, 0, 'email', 'a', 'sent', '2026-01-01 09:00+00'),
    ('p1', 900, 1, 1, 0, 'email', 'b', 'sent', '2026-01-03 09:00+00');
SELECT cjo_set_when_capped('dp_fixture', 'hold');
SELECT * FROM pg_temp.policy('p1', '2026-01-05 12:00+00');
-- The cap's end falls in the quiet hours: a cap ending at 22:30 UTC (23:30 in
-- Paris) goes on to 08:00 Paris.
UPDATE cjo.actions SET updated_at = '2025-12-31 22:30+00' WHERE template = 'a';
SELECT * FROM pg_temp.policy('p1', '2026-01-05 12:00+00');
-- With skip, the capped action is dropped.
SELECT cjo_set_when_capped('dp_fixture', 'skip');
SELECT * FROM pg_temp.policy('p1', '2026-01-05 12:00+00');
-- An open ticket holds it before any cap is counted.
SELECT * FROM pg_temp.policy('p2', '2026-01-05 12:00+00');
-- No consent wins over the rule; the suppression list wins over everything.
INSERT INTO cjo.consent (customer_id, channel, subscribed) VALUES ('p2', 'email', false);
SELECT * FROM pg_temp.policy('p2', '2026-01-05 12:00+00');
INSERT INTO cjo.suppression_list (customer_id, reason) VALUES ('p2', 'complaint');
SELECT * FROM pg_temp.policy('p2', '2026-01-05 12:00+00');
DELETE FROM cjo.actions;
TRUNCATE cjo.channels, cjo.consent, cjo.suppression_list, cjo.suppression_rules, cjo.frequency_caps, cjo.journey_delivery;
-- No policy left: the trigger is off again, and actions cost nothing more.
SELECT pg_temp.policy_trigger();

-- 3. Through the engine: the journeys write actions, the policies decide.
SELECT cjo_publish('{"name": "dp_news", "entry": {"event": "signup"}, "start": "mail",
    "nodes": {"mail": {"type": "action", "channel": "email", "template": "welcome", "next": "sms"},
              "sms": {"type": "action", "channel": "sms", "template": "code", "next": "done"},
              "done": {"type": "exit"}}}');
SELECT cjo_publish('{"name": "dp_promo", "entry": {"event": "promo"}, "reentry": {"policy": "always"}, "start": "mail",
    "nodes": {"mail": {"type": "action", "channel": "email", "template": "promo", "next": "done"},
              "done": {"type": "exit"}}}');
INSERT INTO cjo.customers (customer_id, attributes) VALUES
    ('ann', '{}'), ('bob', '{}'), ('cat', '{}'), ('dan', '{}'), ('eve', '{"open_tickets": 1}'), ('fay', '{}');
-- Texts need an opt-in (only bob gave it); ann unsubscribed from email; dan is
-- on the suppression list; eve has an open ticket (promotions are held); two
-- emails a week at most, skipped.
INSERT INTO cjo.channels (channel, requires_opt_in) VALUES ('sms', true);
INSERT INTO cjo.consent (customer_id, channel, subscribed) VALUES ('bob', 'sms', true), ('ann', 'email', false);
INSERT INTO cjo.suppression_list (customer_id, reason) VALUES ('dan', 'test account');
INSERT INTO cjo.suppression_rules (journey_id, channel, condition, effect, comment)
SELECT journey_id, 'email', '$.profile.open_tickets > 0', 'hold', 'open ticket' FROM cjo.journeys WHERE name = 'dp_promo';
INSERT INTO cjo.frequency_caps (channel, max_actions, per) VALUES ('email', 2, '7 days');
SELECT pg_temp.policy_trigger();
INSERT INTO cjo.events (customer_id, name) SELECT c, 'signup' FROM unnest(ARRAY['ann', 'bob', 'cat', 'dan', 'eve', 'fay']) c;
-- fay gets three promotions in one statement: the third email of the week is capped.
INSERT INTO cjo.events (customer_id, name) VALUES ('fay', 'promo'), ('fay', 'promo'), ('fay', 'promo'), ('eve', 'promo');
SELECT a.customer_id, j.name AS journey, a.channel, a.template, a.status, a.last_error
  FROM cjo.actions a JOIN cjo.journeys j USING (journey_id) ORDER BY a.customer_id, a.action_id;
-- Only pending actions can be claimed.
SELECT customer_id, template FROM cjo_claim(100) ORDER BY action_id;
-- The journeys went on regardless: everyone completed.
SELECT status, count(*) FROM cjo.customer_journeys GROUP BY 1;
-- eve's ticket is closed: the held promotion goes out on the next release.
UPDATE cjo.customers SET attributes = '{"open_tickets": 0}' WHERE customer_id = 'eve';
SELECT cjo_release_held();
SELECT customer_id, template, status FROM cjo.actions WHERE customer_id = 'eve' AND template = 'promo';
-- With hold, fay's next promotion waits until 7 days after the older of her
-- two emails of the week (both went out a moment ago).
SELECT cjo_set_when_capped('dp_promo', 'hold');
INSERT INTO cjo.events (customer_id, name) VALUES ('fay', 'promo');
SELECT status, available_at - now() BETWEEN interval '6 days 23 hours' AND interval '7 days' AS waits_7_days,
       last_error LIKE 'held by frequency cap %' AS why
  FROM cjo.actions WHERE customer_id = 'fay' ORDER BY action_id DESC LIMIT 1;
-- Analytics count what the policies did.
SELECT * FROM cjo.delivery_stats ORDER BY journey, channel;

-- 4. Bad input.
\set VERBOSITY sqlstate
INSERT INTO cjo.channels (channel, time_zone) VALUES ('fax', 'Mars/Olympus');
INSERT INTO cjo.channels (channel, quiet_from) VALUES ('fax', '22:00');
INSERT INTO cjo.frequency_caps (max_actions, per) VALUES (0, '1 day');
INSERT INTO cjo.frequency_caps (max_actions, per) VALUES (1, '-1 day');
INSERT INTO cjo.suppression_rules (condition, effect) VALUES ('$.profile.x', 'maybe');
SELECT cjo_set_when_capped('dp_promo', 'later');
SELECT cjo_set_when_capped('nope', 'hold');
\set VERBOSITY default

TRUNCATE cjo.channels, cjo.consent, cjo.suppression_list, cjo.suppression_rules, cjo.frequency_caps, cjo.journey_delivery;
SELECT pg_temp.policy_trigger();
DELETE FROM cjo.journeys WHERE name = 'dp_fixture';
SELECT cjo_archive('dp_news'), cjo_archive('dp_promo');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
