-- The cookbook (doc/cookbook.md): every scenario of the product that the
-- engine expresses, run from its journey document in doc/cookbook/ with the
-- events that exercise it. psql runs in the repository root, so the
-- documents are read with \set name `cat file`.
SET timezone = 'UTC';
SET datestyle = 'ISO';
\pset footer off
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
-- Where each customer is in a journey.
CREATE FUNCTION pg_temp.states(journey text)
    RETURNS TABLE (customer_id text, run integer, node text, status text, converted_at timestamptz, goal_value numeric)
    LANGUAGE sql AS $$
    SELECT customer_id, run, node, status, converted_at, goal_value
      FROM cjo.customer_journeys WHERE journey = $1 ORDER BY customer_id $$;
-- What a journey handed to delivery systems, with the journey time of each.
CREATE FUNCTION pg_temp.actions(journey text)
    RETURNS TABLE (at timestamptz, customer_id text, channel text, template text, payload jsonb)
    LANGUAGE sql AS $$
    SELECT (SELECT min(s.at) FROM cjo.steps s
             WHERE s.customer_id = a.customer_id AND s.journey_id = a.journey_id
               AND s.run = a.run AND s.to_node = a.node) AS at,
           a.customer_id, a.channel, a.template, a.payload
      FROM cjo.actions a JOIN cjo.journeys j USING (journey_id)
     WHERE j.name = $1 ORDER BY 1, 2, a.action_id $$;

--------------------------------------------------------------------------------
-- 1. A computer, then a service ticket: follow-ups held until it is resolved.
--------------------------------------------------------------------------------
\set doc `cat doc/cookbook/service_ticket_hold.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.customers (customer_id, attributes) VALUES
    ('ann', '{"open_tickets": 0}'), ('ben', '{"open_tickets": 0}'), ('cat', '{"open_tickets": 0}');
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('ann', 'purchase', 'store', '{"category": "computer", "model": "Laptop 14"}', '2026-01-05 10:00+00'),
    ('ben', 'purchase', 'web', '{"category": "computer", "model": "Laptop 15"}', '2026-01-05 10:00+00'),
    ('cat', 'purchase', 'web', '{"category": "computer", "model": "Laptop 13"}', '2026-01-05 10:00+00'),
    ('ann', 'purchase', 'web', '{"category": "book"}', '2026-01-05 11:00+00');
-- ben and cat open tickets the next day (the service desk keeps the profile up to date).
UPDATE cjo.customers SET attributes = '{"open_tickets": 1}' WHERE customer_id IN ('ben', 'cat');
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('ben', 'ticket_opened', 'service_desk', '{"ticket_id": "T-7"}', '2026-01-06 09:00+00'),
    ('cat', 'ticket_opened', 'service_desk', '{"ticket_id": "T-8"}', '2026-01-06 09:00+00');
SELECT cjo_advance('2026-01-07 10:00+00') AS moved;
SELECT * FROM pg_temp.states('computer_follow_up');
-- ben's ticket is resolved on the 8th: the apology, then the tips.
UPDATE cjo.customers SET attributes = '{"open_tickets": 0}' WHERE customer_id = 'ben';
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('ben', 'ticket_resolved', 'service_desk', '{"ticket_id": "T-7"}', '2026-01-08 15:00+00');
-- cat's never is: after 14 days she leaves without marketing.
SELECT cjo_advance('2026-01-21 11:00+00') AS moved;
SELECT * FROM pg_temp.states('computer_follow_up');
SELECT * FROM pg_temp.actions('computer_follow_up');
SELECT cjo_archive('computer_follow_up');

--------------------------------------------------------------------------------
-- 2a. App adoption: the first use of a feature explains it.
--------------------------------------------------------------------------------
\set doc `cat doc/cookbook/feature_first_use.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('dan', 'feature_used', 'app', '{"feature": "chat"}', '2026-01-05 10:00+00'),
    ('dan', 'feature_used', 'app', '{"feature": "reports"}', '2026-01-05 10:05+00'),
    ('dan', 'feature_used', 'app', '{"feature": "reports"}', '2026-01-06 10:00+00'),
    ('dan', 'feature_used', 'app', '{"feature": "reports"}', '2026-01-07 10:00+00');
SELECT * FROM pg_temp.states('explain_reports');
SELECT * FROM pg_temp.actions('explain_reports');
SELECT cjo_archive('explain_reports');

--------------------------------------------------------------------------------
-- 2b. App adoption: a customer who uses one part of the app is shown another.
--------------------------------------------------------------------------------
\set doc `cat doc/cookbook/feature_discovery.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.customers (customer_id, attributes) VALUES
    ('eve', '{"features_used": ["chat"]}'), ('fay', '{"features_used": ["chat", "reports"]}'),
    ('gil', '{"features_used": ["reports"]}');
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES
    ('eve', 'app_opened', 'app', '2026-01-05 10:00+00'),
    ('fay', 'app_opened', 'app', '2026-01-05 10:00+00'),
    ('gil', 'app_opened', 'app', '2026-01-05 10:00+00');
-- gil tries another feature two days later (the goal); eve does not.
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('gil', 'feature_used', 'app', '{"feature": "reports"}', '2026-01-06 10:00+00'),
    ('gil', 'feature_used', 'app', '{"feature": "calendar"}', '2026-01-07 10:00+00');
SELECT cjo_advance('2026-01-13 00:00+00') AS moved;
-- eve opens the app again within 30 days of her entry: the cooldown keeps her out.
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES ('eve', 'app_opened', 'app', '2026-01-20 10:00+00');
SELECT * FROM pg_temp.states('feature_discovery');
SELECT * FROM pg_temp.actions('feature_discovery');
SELECT cjo_archive('feature_discovery');

--------------------------------------------------------------------------------
-- 2c. App adoption: mature usage is offered the paid plan.
--------------------------------------------------------------------------------
\set doc `cat doc/cookbook/upgrade_offer.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.customers (customer_id, attributes) VALUES
    ('gus', '{"plan": "free"}'), ('hal', '{"plan": "free"}'), ('ivy', '{"plan": "free"}'), ('jon', '{"plan": "pro"}');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('gus', 'usage_summary', '{"sessions_30d": 25}', '2026-01-05 10:00+00'),
    ('hal', 'usage_summary', '{"sessions_30d": 31}', '2026-01-05 10:00+00'),
    ('ivy', 'usage_summary', '{"sessions_30d": 4}', '2026-01-05 10:00+00'),
    ('jon', 'usage_summary', '{"sessions_30d": 40}', '2026-01-05 10:00+00'),
    ('gus', 'upgraded', '{"mrr": 29}', '2026-01-07 10:00+00');
SELECT cjo_advance('2026-01-20 00:00+00') AS moved;
SELECT * FROM pg_temp.states('upgrade_offer');
SELECT * FROM pg_temp.actions('upgrade_offer');
SELECT cjo_archive('upgrade_offer');

--------------------------------------------------------------------------------
-- 3. Browse abandonment: contact after a delay unless they bought.
--------------------------------------------------------------------------------
\set doc `cat doc/cookbook/browse_abandonment.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
SELECT 'b' || i, 'product_viewed', 'web', jsonb_build_object('sku', 'SKU-' || i), '2026-01-05 10:00+00'
  FROM generate_series(1, 6) i;
-- b1 buys within the hour; b2 buys the next day.
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('b1', 'purchase', 'web', '{"amount": 40}', '2026-01-05 10:30+00');
SELECT cjo_advance('2026-01-05 11:00+00') AS moved;
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('b2', 'purchase', 'web', '{"amount": 25}', '2026-01-06 09:00+00');
SELECT * FROM pg_temp.states('abandoned_browse');
SELECT customer_id, choice AS variant FROM cjo.transitions
 WHERE journey = 'abandoned_browse' AND from_node = 'experiment' ORDER BY 1;
SELECT * FROM pg_temp.actions('abandoned_browse');
SELECT cjo_archive('abandoned_browse');

--------------------------------------------------------------------------------
-- 4a. Onboarding: welcome, and a nudge unless activated.
--------------------------------------------------------------------------------
\set doc `cat doc/cookbook/welcome.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.customers (customer_id, attributes) VALUES ('lee', '{"first_name": "Lee"}'), ('max', '{"first_name": "Max"}');
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES
    ('lee', 'signed_up', 'web', '2026-01-05 10:00+00'),
    ('max', 'signed_up', 'app', '2026-01-05 10:00+00'),
    ('lee', 'activated', 'web', '2026-01-06 08:00+00');
SELECT cjo_advance('2026-01-08 00:00+00') AS moved;
SELECT * FROM pg_temp.states('welcome');
SELECT * FROM pg_temp.actions('welcome');
SELECT cjo_archive('welcome');

--------------------------------------------------------------------------------
-- 4b. App sign-up prompt for web visitors without the app.
--------------------------------------------------------------------------------
\set doc `cat doc/cookbook/app_install_prompt.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.customers (customer_id, attributes) VALUES ('ned', '{}'), ('oli', '{"has_app": true}'), ('pia', '{"has_app": false}');
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES
    ('ned', 'web_visit', 'web', '2026-01-05 10:00+00'),
    ('oli', 'web_visit', 'web', '2026-01-05 10:00+00'),
    ('pia', 'web_visit', 'web', '2026-01-05 10:00+00');
-- ned installs the app ten minutes later, before the link went out.
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES ('ned', 'app_installed', 'app', '2026-01-05 10:10+00');
SELECT cjo_advance('2026-01-09 00:00+00') AS moved;
-- pia visits again after her run ended, but within a week of her entry: no second prompt.
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES ('pia', 'web_visit', 'web', '2026-01-10 10:00+00');
SELECT * FROM pg_temp.states('app_install_prompt');
SELECT * FROM pg_temp.actions('app_install_prompt');
SELECT cjo_archive('app_install_prompt');

--------------------------------------------------------------------------------
-- 4c. Survey prompt after delivery.
--------------------------------------------------------------------------------
\set doc `cat doc/cookbook/survey_prompt.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('pat', 'order_delivered', '{"order_id": "O-1"}', '2026-01-05 10:00+00'),
    ('quin', 'order_delivered', '{"order_id": "O-2"}', '2026-01-05 10:00+00');
SELECT cjo_advance('2026-01-08 10:00+00') AS moved;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at) VALUES
    ('pat', 'survey_completed', '{"score": 9}', '2026-01-09 18:00+00');
SELECT cjo_advance('2026-01-13 00:00+00') AS moved;
SELECT * FROM pg_temp.states('delivery_survey');
SELECT * FROM pg_temp.actions('delivery_survey');
SELECT cjo_archive('delivery_survey');

--------------------------------------------------------------------------------
-- 4d. Service-call follow-up.
--------------------------------------------------------------------------------
\set doc `cat doc/cookbook/service_call_follow_up.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('rae', 'call_ended', 'call_center', '{"resolved": true, "agent": "Kim"}', '2026-01-05 10:00+00'),
    ('sam', 'call_ended', 'call_center', '{"resolved": false, "reason": "refund"}', '2026-01-05 10:00+00'),
    ('taj', 'call_ended', 'call_center', '{"resolved": false, "reason": "broken screen"}', '2026-01-05 10:00+00'),
    ('sam', 'case_closed', 'service_desk', '{}', '2026-01-06 12:00+00');
SELECT cjo_advance('2026-01-08 00:00+00') AS moved;
SELECT * FROM pg_temp.states('service_call_follow_up');
SELECT * FROM pg_temp.actions('service_call_follow_up');
SELECT cjo_archive('service_call_follow_up');

--------------------------------------------------------------------------------
-- 4e. Financial advice scheduling.
--------------------------------------------------------------------------------
\set doc `cat doc/cookbook/advice_scheduling.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.customers (customer_id, attributes) VALUES ('tom', '{"adviser": "A. Smith"}'), ('uma', '{"adviser": "B. Jones"}'),
    ('val', '{"adviser": "A. Smith"}');
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) VALUES
    ('tom', 'deposit', 'bank', '{"amount": 25000}', '2026-01-05 10:00+00'),
    ('uma', 'deposit', 'bank', '{"amount": 500}', '2026-01-05 10:00+00'),
    ('val', 'deposit', 'bank', '{"amount": 12000}', '2026-01-05 10:00+00'),
    ('tom', 'appointment_booked', 'web', '{}', '2026-01-08 10:00+00');
SELECT cjo_advance('2026-01-27 00:00+00') AS moved;
SELECT * FROM pg_temp.states('advice_scheduling');
SELECT * FROM pg_temp.actions('advice_scheduling');
SELECT cjo_archive('advice_scheduling');

--------------------------------------------------------------------------------
-- 4f. Re-engagement of lapsed customers.
--------------------------------------------------------------------------------
\set doc `cat doc/cookbook/win_back.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.events (customer_id, name, channel, occurred_at) VALUES
    ('vic', 'session_started', 'app', '2026-01-01 10:00+00'),
    ('wes', 'session_started', 'web', '2026-01-01 10:00+00'),
    ('vic', 'session_started', 'app', '2026-01-20 10:00+00');
SELECT cjo_advance('2026-02-25 00:00+00') AS moved;
SELECT * FROM pg_temp.states('win_back');
SELECT * FROM pg_temp.actions('win_back');
SELECT cjo_archive('win_back');

--------------------------------------------------------------------------------
-- 5. Start small: one journey, watch where customers stall, adjust.
--------------------------------------------------------------------------------
-- The welcome journey of 4a, published again (version 2): twenty customers
-- sign up, eight activate within a day.
\set doc `cat doc/cookbook/welcome.json`
SELECT cjo_publish(:'doc') AS version;
INSERT INTO cjo.events (customer_id, name, channel, occurred_at)
SELECT 's' || i, 'signed_up', 'web', '2026-02-02 10:00+00' FROM generate_series(1, 20) i;
INSERT INTO cjo.events (customer_id, name, channel, occurred_at)
SELECT 's' || i, 'activated', 'web', '2026-02-03 08:00+00' FROM generate_series(1, 8) i;
SELECT cjo_advance('2026-02-03 12:00+00') AS moved;
-- Where do they stall? stalled: waiting at a node since before Feb 3, 10:00,
-- a day after sign-up: the twelve who did not activate.
SELECT node, entered, waiting, stalled, moved_on, converted
  FROM cjo_journey_funnel('welcome', 2, stalled_after => now() - '2026-02-03 10:00+00'::timestamptz)
 ORDER BY node_index;
-- Adjust: nudge after one day instead of two (version 3). Customers inside
-- version 2 finish it there; new sign-ups enter version 3.
SELECT cjo_publish(jsonb_set(:'doc'::jsonb, '{nodes,wait,timeout}', '"1 day"')) AS version;
INSERT INTO cjo.events (customer_id, name, channel, occurred_at)
SELECT 's' || i, 'signed_up', 'web', '2026-02-03 12:00+00' FROM generate_series(21, 30) i;
INSERT INTO cjo.events (customer_id, name, channel, occurred_at)
SELECT 's' || i, 'activated', 'app', '2026-02-04 08:00+00' FROM generate_series(21, 24) i;
SELECT cjo_advance('2026-02-05 12:00+00') AS moved;
SELECT version, node, status, count(*) AS customers, count(converted_at) AS converted
  FROM cjo.customer_journeys WHERE journey = 'welcome' AND customer_id LIKE 's%'
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
-- The new version drawn with its counts (doc/diagrams.md).
\pset format unaligned
\pset tuples_only on
SELECT cjo_diagram('welcome');
\pset format aligned
\pset tuples_only off
SELECT cjo_archive('welcome');

TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
