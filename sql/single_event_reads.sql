-- What a single event reads: only the states of the journeys listening to
-- the statement's events (entry of the latest version, goal, exit_on and
-- awaited events of every version), and the profile only when a path needs
-- it. The results must be those a bulk batch (which reads every profile up
-- front) gives, and those worked out by hand below.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;

------------------------------------------------------------------------------
-- 1. One event name, five roles. ser_a is:
--   the entry event of ser_after (after_exit, cooldown 1 day) and ser_always,
--   the goal of ser_goal, an exit_on event of ser_exit, awaited by ser_wait;
--   ser_none does not listen to it (it waits 1 hour, then awaits ser_b).
------------------------------------------------------------------------------
SELECT cjo_publish('{"name": "ser_after", "entry": {"event": "ser_a"},
    "reentry": {"policy": "after_exit", "cooldown": "1 day"}, "start": "w",
    "nodes": {"w": {"type": "wait", "duration": "1 hour", "next": "done"}, "done": {"type": "exit"}}}') > 0 AS ok;
SELECT cjo_publish('{"name": "ser_always", "entry": {"event": "ser_a"},
    "reentry": {"policy": "always"}, "start": "w",
    "nodes": {"w": {"type": "wait", "duration": "30 days", "next": "done"}, "done": {"type": "exit"}}}') > 0 AS ok;
SELECT cjo_publish('{"name": "ser_goal", "entry": {"event": "ser_g0"},
    "goal": {"event": "ser_a", "value": "$.event.properties.amount", "exit": true}, "start": "w",
    "nodes": {"w": {"type": "wait", "duration": "1 hour", "next": "mail"},
              "mail": {"type": "action", "channel": "email", "template": "g_mail", "next": "long"},
              "long": {"type": "wait", "duration": "30 days", "next": "done"}, "done": {"type": "exit"}}}') > 0 AS ok;
SELECT cjo_publish('{"name": "ser_exit", "entry": {"event": "ser_x0"},
    "exit_on": [{"event": "ser_a"}], "start": "w",
    "nodes": {"w": {"type": "wait", "duration": "30 days", "next": "done"}, "done": {"type": "exit"}}}') > 0 AS ok;
SELECT cjo_publish('{"name": "ser_wait", "entry": {"event": "ser_w0"}, "start": "w",
    "nodes": {"w": {"type": "wait_event", "events": [{"event": "ser_a", "next": "mail"}]},
              "mail": {"type": "action", "channel": "sms", "template": "w_mail",
                       "payload": {"amount": "{{$.event.properties.amount}}"}, "next": "done"},
              "done": {"type": "exit"}}}') > 0 AS ok;
SELECT cjo_publish('{"name": "ser_none", "entry": {"event": "ser_n0"}, "start": "w",
    "nodes": {"w": {"type": "wait", "duration": "1 hour", "next": "b"},
              "b": {"type": "wait_event", "events": [{"event": "ser_b", "next": "mail"}]},
              "mail": {"type": "action", "channel": "push", "template": "n_mail", "next": "done"},
              "done": {"type": "exit"}}}') > 0 AS ok;

-- Every customer enters all six journeys at 10:00 on 1 January (ser_a) and
-- 10:01 (the others), all in one bulk statement.
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT c, e, t::timestamptz
  FROM unnest(ARRAY['single', 'bulk', 'both']) c,
       (VALUES ('ser_a', '2025-01-01 10:00+00'), ('ser_g0', '2025-01-01 10:01+00'), ('ser_x0', '2025-01-01 10:01+00'),
               ('ser_w0', '2025-01-01 10:01+00'), ('ser_n0', '2025-01-01 10:01+00')) AS v(e, t);
SELECT customer_id, journey, run, node, status, entered_at, due_at
  FROM cjo.customer_journeys WHERE customer_id = 'single' ORDER BY journey;

-- Two days later, ser_a alone for 'single' (a batch of one customer, one
-- event). By hand, at 2025-01-03 10:00:
--   ser_after:  the 11:00 timer fires first (run 1 completes at 11:00 on 1
--               January), then the cooldown (1 day from 10:00) has passed:
--               run 2 enters, waits until 11:00 on 3 January;
--   ser_always: run 1 is still waiting (30 days): re-entry ends it, run 2;
--   ser_goal:   the 11:01 timer fires (mail, then the 30-day wait), then the
--               goal converts the run with value 12.5 and ends it;
--   ser_exit:   exited;
--   ser_wait:   the awaited event: mail (amount 12.5), then done;
--   ser_none:   untouched: still at w, its 11:01 timer left to the sweep.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('single', 'ser_a', '{"amount": 12.5}', '2025-01-03 10:00+00');
-- The same for 'bulk', in one statement with a customer of its own.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('bulk', 'ser_a', '{"amount": 12.5}', '2025-01-03 10:00+00'),
       ('other', 'ser_a', '{"amount": 1}', '2025-01-03 10:00+00');

SELECT journey, version, run, node, status, entered_at, node_at, due_at, ended_at, converted_at, goal_value
  FROM cjo.customer_journeys WHERE customer_id = 'single' ORDER BY journey;
SELECT journey, run, step, from_node, to_node, cause, event, at
  FROM cjo.transitions WHERE customer_id = 'single' AND at >= '2025-01-01 10:02+00' ORDER BY journey, run, step;
SELECT j.name, a.run, n.node, a.channel, a.template, a.payload, e.name AS event
  FROM cjo.actions a JOIN cjo.journeys j USING (journey_id)
  JOIN cjo.journey_nodes n ON n.journey_id = a.journey_id AND n.version = a.version AND n.node_index = a.node
  LEFT JOIN cjo.events e ON e.customer_id = a.customer_id AND e.event_id = a.event_id
 WHERE a.customer_id = 'single' ORDER BY j.name, a.action_id;

-- The single event and the bulk batch did the same (no rows).
CREATE TEMP VIEW ser_result AS
SELECT 'state' AS kind, customer_id, row(journey, version, run, node, status, entered_at, node_at, due_at,
       ended_at, converted_at, goal_value, data)::text AS r
  FROM cjo.customer_journeys
UNION ALL
SELECT 'transition', customer_id, row(journey, version, run, step, from_node, to_node, cause, choice, event, at)::text
  FROM cjo.transitions
UNION ALL
SELECT 'action', a.customer_id, row(j.name, a.version, a.run, a.node, a.channel, a.template, a.payload, e.name)::text
  FROM cjo.actions a JOIN cjo.journeys j USING (journey_id)
  LEFT JOIN cjo.events e ON e.customer_id = a.customer_id AND e.event_id = a.event_id;
CREATE FUNCTION pg_temp.ser_diff(one text, two text)
RETURNS TABLE (kind text, only_in text, r text) LANGUAGE sql AS $$
    (SELECT kind, one, r FROM ser_result WHERE customer_id = one
     EXCEPT ALL SELECT kind, one, r FROM ser_result WHERE customer_id = two)
    UNION ALL
    (SELECT kind, two, r FROM ser_result WHERE customer_id = two
     EXCEPT ALL SELECT kind, two, r FROM ser_result WHERE customer_id = one)
    ORDER BY 1, 2, 3 $$;
SELECT * FROM pg_temp.ser_diff('single', 'bulk');
SELECT count(*) FROM ser_result WHERE customer_id = 'single';

------------------------------------------------------------------------------
-- 2. Two events of one customer in one statement, with different names: the
-- journeys listening to either are read. ser_b alone is heard by ser_none
-- only; its 11:01 timer fires first, then ser_b moves it on.
------------------------------------------------------------------------------
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('both', 'ser_b', '{}', '2025-01-03 10:01+00'),
       ('both', 'ser_a', '{"amount": 12.5}', '2025-01-03 10:00+00');
SELECT journey, run, node, status, node_at, due_at
  FROM cjo.customer_journeys WHERE customer_id = 'both' ORDER BY journey;
SELECT journey, run, step, from_node, to_node, cause, event, at
  FROM cjo.transitions WHERE customer_id = 'both' AND journey = 'ser_none' ORDER BY step;
-- Apart from ser_none, 'both' is where 'single' is.
SELECT * FROM pg_temp.ser_diff('single', 'both') WHERE r NOT LIKE '(ser_none,%';
-- The sweep catches 'single' up in ser_none: the timer it was left.
SELECT cjo_advance('2025-01-03 12:00+00') >= 1 AS swept;
SELECT customer_id, journey, run, node, status, node_at, due_at
  FROM cjo.customer_journeys WHERE customer_id IN ('single', 'bulk') AND journey = 'ser_none' ORDER BY 1;

------------------------------------------------------------------------------
-- 3. A run in an old version, waiting for an event only that version awaits.
------------------------------------------------------------------------------
-- Version 1 also has a goal and an exit event that version 2 drops.
SELECT cjo_publish('{"name": "ser_old", "entry": {"event": "ser_o0"}, "start": "w",
    "exit_on": [{"event": "ser_old_exit"}], "goal": {"event": "ser_old_goal"},
    "nodes": {"w": {"type": "wait_event", "events": [{"event": "ser_old_only", "next": "mail"}]},
              "mail": {"type": "action", "channel": "email", "template": "old_mail", "next": "done"},
              "done": {"type": "exit"}}}') > 0 AS ok;
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT c, 'ser_o0', '2025-02-01 10:00+00' FROM unnest(ARRAY['old1', 'old2', 'old3', 'old4']) c;
SELECT cjo_publish('{"name": "ser_old", "entry": {"event": "ser_o0"}, "reentry": {"policy": "after_exit"}, "start": "w",
    "nodes": {"w": {"type": "wait", "duration": "1 day", "next": "done"}, "done": {"type": "exit"}}}') > 0 AS ok;
-- ser_old_only is now no journey's entry, goal or exit: only version 1 hears it.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('old1', 'ser_old_only', '2025-02-02 10:00+00');
INSERT INTO cjo.events (customer_id, name, occurred_at)
VALUES ('old2', 'ser_old_only', '2025-02-02 10:00+00'), ('other', 'ser_old_only', '2025-02-02 10:00+00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('old3', 'ser_old_goal', '2025-02-02 10:00+00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('old4', 'ser_old_exit', '2025-02-02 10:00+00');
SELECT customer_id, version, run, node, status, node_at, ended_at, converted_at
  FROM cjo.customer_journeys WHERE journey = 'ser_old' ORDER BY customer_id;
SELECT customer_id, version, run, step, from_node, to_node, cause, event
  FROM cjo.transitions WHERE journey = 'ser_old' ORDER BY customer_id, step;
SELECT customer_id, template FROM cjo.actions a JOIN cjo.journeys j USING (journey_id)
 WHERE j.name = 'ser_old' ORDER BY customer_id;

-- Re-entry in the new version: ser_o0 is the entry event only, the state exists.
-- old1's run 1 completed at 10:00 on 2 February: run 2, version 2.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('old1', 'ser_o0', '2025-02-03 10:00+00');
SELECT customer_id, version, run, node, status, entered_at, due_at
  FROM cjo.customer_journeys WHERE journey = 'ser_old' AND customer_id IN ('old1', 'old2') ORDER BY customer_id;

------------------------------------------------------------------------------
-- 4. The profile, read only when a path needs it (single events) or for
-- every customer up front (bulk). ser_p enters:
--   ser_p_wild:  when $.*.tier is gold (a wildcard reaches the profile);
--   ser_p_entry: when $.profile.tier is gold; a branch on $.profile.vip; a
--                payload {{$.profile.name}};
--   ser_p_tz:    waits until 09:00 in the profile's time_zone (UTC if none);
--   ser_p_event: reads the event only ({{$}} is the event alone).
------------------------------------------------------------------------------
SELECT cjo_publish('{"name": "ser_p_wild", "entry": {"event": "ser_p", "when": "$.*.tier == \"gold\""},
    "start": "mail",
    "nodes": {"mail": {"type": "action", "channel": "push", "template": "wild",
                       "payload": {"tier": "{{$.*.tier}}"}, "next": "done"},
              "done": {"type": "exit"}}}') > 0 AS ok;
SELECT cjo_publish('{"name": "ser_p_entry", "entry": {"event": "ser_p", "when": "$.profile.tier == \"gold\""},
    "start": "check",
    "nodes": {"check": {"type": "branch", "cases": [{"when": "$.profile.vip == true", "next": "vip"}], "else": "std"},
              "vip": {"type": "action", "channel": "email", "template": "vip",
                      "payload": {"name": "{{$.profile.name}}", "event": "{{$.event.name}}"}, "next": "done"},
              "std": {"type": "action", "channel": "email", "template": "std",
                      "payload": {"name": "{{$.profile.name}}", "missing": "{{$.profile.nope}}"}, "next": "done"},
              "done": {"type": "exit"}}}') > 0 AS ok;
SELECT cjo_publish('{"name": "ser_p_tz", "entry": {"event": "ser_p"}, "start": "nine",
    "nodes": {"nine": {"type": "wait_until", "time": "09:00", "next": "done"}, "done": {"type": "exit"}}}') > 0 AS ok;
SELECT cjo_publish('{"name": "ser_p_event", "entry": {"event": "ser_p"}, "start": "mail",
    "nodes": {"mail": {"type": "action", "channel": "sms", "template": "event_only",
                       "payload": {"ctx": "{{$}}"}, "next": "done"},
              "done": {"type": "exit"}}}') > 0 AS ok;

-- Profiles of the s_ customers (single events) and their b_ twins (one bulk
-- statement). Each event happens at 22:00 UTC on Saturday 1 March 2025.
--   x_new:   profile inserted in the same transaction, just before the event
--            (gold, vip, Tokyo: 07:00 on Sunday there, 09:00 is 00:00 UTC);
--   x_upd:   profile silver, updated to gold (not vip, New York: 17:00 there,
--            09:00 on Sunday is 14:00 UTC) in the same transaction;
--   x_none:  no profile: neither entry condition holds; 09:00 UTC on Sunday;
--   x_plain: a profile without a tier (Paris: 23:00, 09:00 is 08:00 UTC).
INSERT INTO cjo.customers (customer_id, attributes) VALUES
    ('s_upd', '{"tier": "silver", "name": "Una", "time_zone": "America/New_York"}'),
    ('b_upd', '{"tier": "silver", "name": "Una", "time_zone": "America/New_York"}'),
    ('s_plain', '{"name": "Pat", "time_zone": "Europe/Paris"}'),
    ('b_plain', '{"name": "Pat", "time_zone": "Europe/Paris"}');
BEGIN;
INSERT INTO cjo.customers (customer_id, attributes)
VALUES ('s_new', '{"tier": "gold", "vip": true, "name": "Nao", "time_zone": "Asia/Tokyo"}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('s_new', 'ser_p', '2025-03-01 22:00+00');
UPDATE cjo.customers SET attributes = attributes || '{"tier": "gold"}' WHERE customer_id = 's_upd';
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('s_upd', 'ser_p', '2025-03-01 22:00+00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('s_none', 'ser_p', '2025-03-01 22:00+00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('s_plain', 'ser_p', '2025-03-01 22:00+00');
COMMIT;
BEGIN;
INSERT INTO cjo.customers (customer_id, attributes)
VALUES ('b_new', '{"tier": "gold", "vip": true, "name": "Nao", "time_zone": "Asia/Tokyo"}');
UPDATE cjo.customers SET attributes = attributes || '{"tier": "gold"}' WHERE customer_id = 'b_upd';
INSERT INTO cjo.events (customer_id, name, occurred_at)
SELECT c, 'ser_p', '2025-03-01 22:00+00' FROM unnest(ARRAY['b_new', 'b_upd', 'b_none', 'b_plain']) c;
COMMIT;

SELECT customer_id, journey, node, status, due_at
  FROM cjo.customer_journeys WHERE customer_id LIKE 's\_%' ORDER BY customer_id, journey;
SELECT a.customer_id, j.name, a.template, a.payload
  FROM cjo.actions a JOIN cjo.journeys j USING (journey_id)
 WHERE a.customer_id LIKE 's\_%' AND j.name <> 'ser_p_event' ORDER BY a.customer_id, j.name;
-- {{$}} is the context of a path that mentions nothing: the event alone,
-- though the paths of ser_p_entry just before it read the profile (a
-- context built with the profile must not be reused for it).
SELECT a.customer_id, jsonb_object_keys(a.payload->'ctx') AS key
  FROM cjo.actions a JOIN cjo.journeys j USING (journey_id)
 WHERE a.customer_id LIKE 's\_%' AND j.name = 'ser_p_event' ORDER BY 1, 2;
-- Single events and the bulk statement agree (no rows).
SELECT * FROM pg_temp.ser_diff('s_new', 'b_new');
SELECT * FROM pg_temp.ser_diff('s_upd', 'b_upd');
SELECT * FROM pg_temp.ser_diff('s_none', 'b_none');
SELECT * FROM pg_temp.ser_diff('s_plain', 'b_plain');

-- A profile inserted by the same statement (a data-modifying WITH), and one
-- inserted in a REPEATABLE READ transaction after its snapshot: both seen,
-- like s_new's (no rows).
WITH p AS (INSERT INTO cjo.customers (customer_id, attributes)
           VALUES ('s_cte', '{"tier": "gold", "vip": true, "name": "Nao", "time_zone": "Asia/Tokyo"}') RETURNING customer_id)
INSERT INTO cjo.events (customer_id, name, occurred_at) SELECT customer_id, 'ser_p', '2025-03-01 22:00+00' FROM p;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM cjo.customers WHERE customer_id = 's_rr';
INSERT INTO cjo.customers (customer_id, attributes)
VALUES ('s_rr', '{"tier": "gold", "vip": true, "name": "Nao", "time_zone": "Asia/Tokyo"}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('s_rr', 'ser_p', '2025-03-01 22:00+00');
COMMIT;
SELECT * FROM pg_temp.ser_diff('s_new', 's_cte');
SELECT * FROM pg_temp.ser_diff('s_new', 's_rr');

-- .keyvalue() reaches every key of the context without naming it: such a
-- journey gets everything, the profile included (gold enters, silver not).
SELECT cjo_publish('{"name": "ser_kv", "entry": {"event": "ser_kv",
    "when": "$.keyvalue().value.tier == \"gold\""},
    "start": "x", "nodes": {"x": {"type": "exit"}}}') IS NOT NULL AS published;
INSERT INTO cjo.customers (customer_id, attributes) VALUES ('s_kv_gold', '{"tier": "gold"}'), ('s_kv_silver', '{"tier": "silver"}');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('s_kv_gold', 'ser_kv', '2025-03-02 10:00+00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('s_kv_silver', 'ser_kv', '2025-03-02 10:00+00');
SELECT s.customer_id, s.status FROM cjo.journey_state s JOIN cjo.journeys j USING (journey_id)
 WHERE j.name = 'ser_kv' ORDER BY 1;

-- One payload whose paths need five different contexts, back and forth
-- (the event alone, with the profile, with the entry event, with the
-- journey data, with all of these): an event keeps a few of them, and each
-- path must get its own. The second event (ser_docs_next) moves the run on
-- with the first as its entry event.
SELECT cjo_publish('{"name": "ser_docs", "entry": {"event": "ser_docs"}, "start": "keep",
    "nodes": {"keep": {"type": "set", "values": {"seen": "{{$.event.properties.n}}"}, "next": "wait"},
              "wait": {"type": "wait_event", "events": [{"event": "ser_docs_next", "next": "mail"}],
                       "timeout": "1 day", "timeout_next": "done"},
              "mail": {"type": "action", "channel": "email", "template": "docs", "payload": {
                  "e1": "{{$.event.properties.n}}", "p1": "{{$.profile.name}}", "en1": "{{$.entry.properties.n}}",
                  "j1": "{{$.journey.seen}}", "all": "{{$ ? (@.profile.name == \"Dee\" && @.entry.properties.n == \"first\").journey.seen}}",
                  "e2": "{{$.event.properties.n}}", "p2": "{{$.profile.name}}", "en2": "{{$.entry.properties.n}}",
                  "ctx": "{{$}}"}, "next": "done"},
              "done": {"type": "exit"}}}') IS NOT NULL AS published;
INSERT INTO cjo.customers (customer_id, attributes) VALUES ('s_docs', '{"name": "Dee"}');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('s_docs', 'ser_docs', '{"n": "first"}', '2025-03-02 10:00+00');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('s_docs', 'ser_docs_next', '{"n": "second"}', '2025-03-02 10:05+00');
SELECT a.payload - 'ctx' AS payload, (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(a.payload->'ctx') k) AS ctx_keys
  FROM cjo.actions a JOIN cjo.journeys j USING (journey_id) WHERE j.name = 'ser_docs';

------------------------------------------------------------------------------
-- 5. Entry conditions on the event alone judged before any state is read.
-- When every journey listening to an event hears it only as its entry
-- event, with a condition on the event alone, the trigger judges those
-- conditions first: an event that fails them all does nothing, so the
-- customer is neither locked nor read (a due timer is left to the sweep),
-- and a journey whose condition it fails is not read. Otherwise (a journey
-- hears the name as a goal, exit or awaited event, in any version, or its
-- condition reads the profile) the states are read as before. Judging stops
-- paying when few events are turned away; then it stops.
--   ser_f, ser_f2: entry ser_f when amount > 10 (> 30), re-entry always, a 1-hour wait;
--   ser_h, ser_h_goal: entry ser_h when amount > 10; ser_h is ser_h_goal's goal;
--   ser_q, ser_q_prof: entry ser_q when amount > 10; when the profile is gold;
--   ser_fv: version 1 awaits ser_fv_x; version 2 enters on it when amount > 10.
------------------------------------------------------------------------------
CREATE FUNCTION pg_temp.ser_entry(name text, event text, cond text) RETURNS boolean LANGUAGE sql AS $$
    SELECT cjo_publish(jsonb_build_object('name', name, 'entry', jsonb_build_object('event', event, 'when', cond),
        'reentry', jsonb_build_object('policy', 'always'), 'start', 'w',
        'nodes', '{"w": {"type": "wait", "duration": "1 hour", "next": "done"}, "done": {"type": "exit"}}'::jsonb)::text) > 0 $$;
SELECT pg_temp.ser_entry('ser_f', 'ser_f', '$.event.properties.amount > 10'),
       pg_temp.ser_entry('ser_f2', 'ser_f', '$.event.properties.amount > 30'),
       pg_temp.ser_entry('ser_h', 'ser_h', '$.event.properties.amount > 10'),
       pg_temp.ser_entry('ser_q', 'ser_q', '$.event.properties.amount > 10'),
       pg_temp.ser_entry('ser_q_prof', 'ser_q', '$.profile.tier == "gold"');
SELECT cjo_publish('{"name": "ser_h_goal", "entry": {"event": "ser_h0"}, "goal": {"event": "ser_h"}, "start": "w",
    "nodes": {"w": {"type": "wait", "duration": "30 days", "next": "done"}, "done": {"type": "exit"}}}') > 0 AS ok;
SELECT cjo_publish('{"name": "ser_fv", "entry": {"event": "ser_fv0"}, "start": "w",
    "nodes": {"w": {"type": "wait_event", "events": [{"event": "ser_fv_x", "next": "done"}]},
              "done": {"type": "exit"}}}') > 0 AS ok;
INSERT INTO cjo.customers (customer_id, attributes) VALUES ('q1', '{"tier": "gold"}');
-- At 10:00 on 1 April every customer enters what it will be tested in.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('f1', 'ser_f', '{"amount": 40}', '2025-04-01 10:00+00'),
       ('f2', 'ser_f', '{"amount": 40}', '2025-04-01 10:00+00'),
       ('f3', 'ser_f', '{"amount": 40}', '2025-04-01 10:00+00'),
       ('h1', 'ser_h', '{"amount": 20}', '2025-04-01 10:00+00'),
       ('h1', 'ser_h0', '{}', '2025-04-01 10:00+00'),
       ('q1', 'ser_q', '{"amount": 20}', '2025-04-01 10:00+00'),
       ('v1', 'ser_fv0', '{}', '2025-04-01 10:00+00');
SELECT cjo_publish('{"name": "ser_fv", "entry": {"event": "ser_fv_x", "when": "$.event.properties.amount > 10"},
    "start": "w", "nodes": {"w": {"type": "wait", "duration": "1 hour", "next": "done"}, "done": {"type": "exit"}}}') > 0 AS ok;
-- At 13:00:
--   f1, amount 5 (a single event): fails ser_f and ser_f2: nothing read, both
--       11:00 timers still due;
--   f2, amount 20: meets ser_f (its timer fires, run 2), fails ser_f2: not
--       read, its timer still due;
--   f3, amounts 5 and 50 in one statement: the second meets both: read, run 2 in both;
--   h1, amount 5: ser_h_goal hears ser_h as its goal, so the states are read:
--       ser_h's timer fires, and the goal converts ser_h_goal's run;
--   q1, amount 5: ser_q_prof's condition reads the profile: read, ser_q's
--       timer fires, and q1 (gold) enters ser_q_prof again;
--   v1, amount 5: version 2 would not enter, but version 1 awaits ser_fv_x: done;
--   f0 (in no journey), amount 5: nothing written.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('f1', 'ser_f', '{"amount": 5}', '2025-04-01 13:00+00');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('f2', 'ser_f', '{"amount": 20}', '2025-04-01 13:00+00');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('f3', 'ser_f', '{"amount": 5}', '2025-04-01 13:00+00'),
       ('f3', 'ser_f', '{"amount": 50}', '2025-04-01 13:01+00');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('h1', 'ser_h', '{"amount": 5}', '2025-04-01 13:00+00');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('q1', 'ser_q', '{"amount": 5}', '2025-04-01 13:00+00');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('v1', 'ser_fv_x', '{"amount": 5}', '2025-04-01 13:00+00'),
       ('f0', 'ser_f', '{"amount": 5}', '2025-04-01 13:00+00');
SELECT customer_id, journey, version, run, node, status, node_at, due_at, converted_at
  FROM cjo.customer_journeys WHERE customer_id ~ '^[fhqv][0-9]$' ORDER BY customer_id, journey;
-- The sweep catches up what the events left, with the same stamps.
SELECT cjo_advance('2025-04-01 14:00+00') >= 1 AS swept;
SELECT customer_id, journey, run, step, from_node, to_node, cause, event, at
  FROM cjo.transitions WHERE customer_id ~ '^[fhq][0-9]$' AND at > '2025-04-01 10:00+00'
 ORDER BY customer_id, journey, run, step;

-- Forty events of ser_f that meet ser_f: judging turned none of them away,
-- so it stops paying. f4, waiting in ser_f, then sends one that fails both
-- conditions: its state is read as before, and the due timer fires.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('f4', 'ser_f', '{"amount": 20}', '2025-04-02 10:00+00');
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
SELECT 'fl' || i, 'ser_f', '{"amount": 20}', '2025-04-02 10:00+00' FROM generate_series(1, 40) i;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('f4', 'ser_f', '{"amount": 5}', '2025-04-02 13:00+00');
SELECT customer_id, journey, run, node, status, node_at, due_at
  FROM cjo.customer_journeys WHERE customer_id = 'f4' ORDER BY journey;

SELECT count(cjo_archive(name)) FROM cjo.journeys WHERE name LIKE 'ser\_%' AND status = 'active';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
