-- wait_until: wait for a time of day (on given days of the week) in the
-- customer's time zone, across daylight saving changes.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;

-- The document: days in any case come back in week order, lower case.
SELECT cjo.journey_nodes('{"name": "wu", "entry": {"event": "e"}, "start": "w",
    "nodes": {"w": {"type": "wait_until", "time": "09:30", "days": ["Fri", "mon", "wed", "mon"],
                    "time_zone": "Europe/Paris", "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey);
SELECT '{"name": "wu", "entry": {"event": "e"}, "start": "w",
    "nodes": {"w": {"type": "wait_until", "time": "09:30:15", "days": ["Fri", "mon"], "next": "d"},
              "d": {"type": "exit"}}}'::cjo.journey;

-- Bad documents.
\set VERBOSITY terse
SELECT '{"name": "wu", "entry": {"event": "e"}, "start": "w", "nodes": {"w": {"type": "wait_until", "time": "9:30", "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "wu", "entry": {"event": "e"}, "start": "w", "nodes": {"w": {"type": "wait_until", "time": "24:00", "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "wu", "entry": {"event": "e"}, "start": "w", "nodes": {"w": {"type": "wait_until", "time": "09:60", "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "wu", "entry": {"event": "e"}, "start": "w", "nodes": {"w": {"type": "wait_until", "time": "09:30:", "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "wu", "entry": {"event": "e"}, "start": "w", "nodes": {"w": {"type": "wait_until", "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "wu", "entry": {"event": "e"}, "start": "w", "nodes": {"w": {"type": "wait_until", "time": "09:00", "days": [], "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "wu", "entry": {"event": "e"}, "start": "w", "nodes": {"w": {"type": "wait_until", "time": "09:00", "days": ["funday"], "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "wu", "entry": {"event": "e"}, "start": "w", "nodes": {"w": {"type": "wait_until", "time": "09:00", "time_zone": "Mars/Olympus", "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
SELECT '{"name": "wu", "entry": {"event": "e"}, "start": "w", "nodes": {"w": {"type": "wait_until", "time": "09:00", "duration": "1 day", "next": "d"}, "d": {"type": "exit"}}}'::cjo.journey;
\set VERBOSITY default

-- The customer's time zone. A sign-up on Saturday 28 March 2026, 22:00 UTC,
-- waits for the next 09:00 local time:
--   Tokyo (UTC+9): it is 07:00 on Sunday there: 09:00 Sunday = 00:00 UTC;
--   Paris: 23:00 on Saturday; summer time starts that night (02:00 -> 03:00),
--          so 09:00 on Sunday is 07:00 UTC (08:00 UTC a day earlier);
--   no profile, or an unknown zone: UTC: 09:00 UTC on Sunday.
SELECT cjo_publish('{"name": "wu_morning", "entry": {"event": "signup"}, "start": "morning",
    "nodes": {"morning": {"type": "wait_until", "time": "09:00", "next": "hello"},
              "hello": {"type": "action", "channel": "email", "template": "good_morning", "next": "done"},
              "done": {"type": "exit"}}}');
INSERT INTO cjo.customers (customer_id, attributes) VALUES
    ('tokyo', '{"time_zone": "Asia/Tokyo"}'), ('paris', '{"time_zone": "Europe/Paris"}'), ('mars', '{"time_zone": "Mars/Olympus"}');
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT c, 'signup', '2026-03-28 22:00+00' FROM unnest(ARRAY['tokyo', 'paris', 'nobody', 'mars']) c;
SELECT customer_id, node, due_at FROM cjo.customer_journeys WHERE journey = 'wu_morning' ORDER BY due_at, customer_id;
-- The sweep at 08:00 UTC sends Tokyo's and Paris's, not the others'.
SELECT cjo_advance('2026-03-29 08:00+00');
SELECT customer_id, template FROM cjo.actions ORDER BY customer_id;
SELECT customer_id, cause, from_node, to_node, at FROM cjo.transitions WHERE customer_id = 'paris' AND journey = 'wu_morning' ORDER BY step;

-- Days of the week in a fixed zone: weekdays at 10:00 New York time. Friday
-- 30 October 2026 16:00 UTC is 12:00 there: the next weekday 10:00 is Monday
-- 2 November, after the clocks went back (1 November): 10:00 EST = 15:00 UTC.
-- A Sunday sign-up at 09:00 New York time (13:00 UTC on 25 October) gets Monday
-- 10:00 EDT = 14:00 UTC. One at 09:59 on Tuesday gets 10:00 that day.
SELECT cjo_publish('{"name": "wu_weekdays", "entry": {"event": "lead"}, "start": "office",
    "nodes": {"office": {"type": "wait_until", "time": "10:00", "days": ["mon", "tue", "wed", "thu", "fri"],
                         "time_zone": "America/New_York", "next": "call"},
              "call": {"type": "action", "channel": "phone", "template": "call", "next": "done"},
              "done": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('fri', 'lead', '2026-10-30 16:00+00'), ('sun', 'lead', '2026-10-25 13:00+00'), ('tue', 'lead', '2026-10-27 13:59+00');
SELECT customer_id, due_at, to_char(due_at AT TIME ZONE 'America/New_York', 'Dy HH24:MI') AS local
  FROM cjo.customer_journeys WHERE journey = 'wu_weekdays' ORDER BY customer_id;

-- Diagrams draw it like a wait.
SELECT line FROM regexp_split_to_table(cjo_diagram('wu_weekdays', counts => false), E'\n') AS line WHERE line LIKE '%office%';

SELECT cjo_archive('wu_morning'), cjo_archive('wu_weekdays');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
