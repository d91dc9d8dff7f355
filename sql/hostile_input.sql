-- Hostile and bad input: every case ends in an error with its SQLSTATE (never
-- XX000, never a lost connection) or in a documented behaviour.  The cases
-- and their codes are listed in doc/hostile-input.md.
SET timezone = 'UTC';
SET client_min_messages = warning;
\set VERBOSITY sqlstate
-- A valid document around one node map, and one around a whole top level.
CREATE FUNCTION pg_temp.doc(nodes text, extra text DEFAULT '') RETURNS text LANGUAGE sql AS $$
    SELECT '{"name": "hostile", "entry": {"event": "e"}, "start": "a", ' || extra || '"nodes": ' || nodes || '}'
$$;
CREATE FUNCTION pg_temp.ok(doc text) RETURNS boolean LANGUAGE sql AS $$ SELECT doc::cjo.journey IS NOT NULL $$;
-- A wait node "a" with the given duration JSON value.
CREATE FUNCTION pg_temp.wait(duration text) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.doc('{"a": {"type": "wait", "duration": ' || duration || ', "next": "b"}, "b": {"type": "exit"}}')
$$;
-- An entry condition.
CREATE FUNCTION pg_temp.cond(path text) RETURNS text LANGUAGE sql AS $$
    SELECT '{"name": "hostile", "entry": {"event": "e", "when": ' || to_jsonb(path)::text || '}, "start": "a", "nodes": {"a": {"type": "exit"}}}'
$$;
-- A split node with one variant of the given weight.
CREATE FUNCTION pg_temp.weight(w text) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.doc('{"a": {"type": "split", "variants": [{"name": "v", "weight": ' || w || ', "next": "b"}]}, "b": {"type": "exit"}}')
$$;
-- A chain of n action nodes n1 -> n2 -> ... -> nn, the last going to "last".
CREATE FUNCTION pg_temp.chain(n integer, last text) RETURNS text LANGUAGE sql AS $$
    SELECT '{"name": "hostile", "entry": {"event": "e"}, "start": "n1", "nodes": {'
        || string_agg(format('"n%s": {"type": "action", "channel": "c", "template": "t", "next": "%s"}',
                             i, CASE WHEN i = n THEN last ELSE 'n' || (i + 1) END), ', ')
        || CASE WHEN last = 'end' THEN ', "end": {"type": "exit"}' ELSE '' END || '}}'
      FROM generate_series(1, n) i
$$;

-------------------------------------------------------------------------------
-- Not JSON, or not an object: 22P02.
-------------------------------------------------------------------------------
SELECT pg_temp.ok('');
SELECT pg_temp.ok('null');
SELECT pg_temp.ok('"a journey"');
SELECT pg_temp.ok('[{"name": "hostile"}]');
SELECT pg_temp.ok('{"name": "hostile", "nodes": ');
SELECT pg_temp.ok(pg_temp.weight('NaN'));
SELECT pg_temp.ok(pg_temp.weight('Infinity'));
SELECT pg_temp.ok(pg_temp.weight('-Infinity'));
SELECT pg_temp.ok(pg_temp.weight('0x10'));
-- A NUL escape cannot be stored in jsonb: 22P05.
SELECT pg_temp.ok(pg_temp.doc('{"a\u0000": {"type": "exit"}}'));
-- A lone surrogate: 22P02.
SELECT pg_temp.ok(pg_temp.doc('{"\ud800": {"type": "exit"}}'));

-------------------------------------------------------------------------------
-- Deep nesting.  10000 levels parse, and the misplaced value is refused
-- (42P17); 100000 levels exceed the stack limit (54001), checked before any
-- deep recursion.
-------------------------------------------------------------------------------
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit", "description": ' || repeat('[', 10000) || repeat(']', 10000) || '}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"x": ' || repeat('{"a": ', 10000) || '1' || repeat('}', 10000) || ', '));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit", "description": ' || repeat('[', 100000) || repeat(']', 100000) || '}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"x": ' || repeat('{"a": ', 100000) || '1' || repeat('}', 100000) || ', '));
-- Payload literals may be any JSON: 1000 levels of nesting are kept.
SELECT length(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "payload": {"deep": '
    || repeat('[', 1000) || repeat(']', 1000) || '}, "next": "b"}, "b": {"type": "exit"}}')::cjo.journey::text);

-------------------------------------------------------------------------------
-- Size.  A 5 MB description is kept; 300000 nodes (an 8.6 MB document) and
-- 10001 nodes exceed the node limit (54000), as do 1001 choices or payload
-- fields.  10000 nodes in one chain (the limit) compile.
-------------------------------------------------------------------------------
SELECT length(pg_temp.doc('{"a": {"type": "exit", "description": "' || repeat('x', 5 * 1024 * 1024) || '"}}')::cjo.journey::text);
CREATE TEMP TABLE big_doc AS
SELECT pg_temp.doc('{' || string_agg(format('"n%s": {"type": "exit"}', i), ', ') || '}') AS doc
  FROM generate_series(1, 300000) i;
SELECT length(doc) AS bytes FROM big_doc;
SELECT pg_temp.ok(doc) FROM big_doc;
DROP TABLE big_doc;
SELECT pg_temp.ok(pg_temp.doc('{' || string_agg(format('"n%s": {"type": "exit"}', i), ', ') || '}'))
  FROM generate_series(1, 10001) i;
SELECT count(*) FROM cjo.journey_nodes(pg_temp.chain(10000 - 1, 'end')::cjo.journey);
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "branch", "cases": [' || string_agg('{"when": "$.x", "next": "b"}', ', ') || '], "else": "b"}, "b": {"type": "exit"}}'))
  FROM generate_series(1, 1001) i;
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "payload": {'
    || string_agg(format('"f%s": %s', i, i), ', ') || '}, "next": "b"}, "b": {"type": "exit"}}'))
  FROM generate_series(1, 1001) i;
-- A name longer than 256 bytes: 22023 (65 four-byte emoji are 260 bytes).
SELECT pg_temp.ok('{"name": "' || repeat('🚀', 65) || '", "entry": {"event": "e"}, "start": "a", "nodes": {"a": {"type": "exit"}}}');

-------------------------------------------------------------------------------
-- Cycles that contain no wait: 42P17, however long; with a wait they are fine.
-------------------------------------------------------------------------------
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "next": "a"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "branch", "cases": [{"when": "$.x", "next": "b"}], "else": "b"},
                               "b": {"type": "split", "variants": [{"name": "v", "weight": 1, "next": "a"}]}}'));
SELECT pg_temp.ok(pg_temp.chain(10000, 'n1'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "next": "w"},
                               "w": {"type": "wait", "duration": "1 day", "next": "a"}}'));

-------------------------------------------------------------------------------
-- Unicode: names, events, channels and templates in any script are kept as
-- they are and round-trip.
-------------------------------------------------------------------------------
SELECT '{"name": "旅程 🚀", "entry": {"event": "购买 ✅"}, "start": "שלום",
         "nodes": {"שלום": {"type": "action", "channel": "📧", "template": "e\u0301t\u00e9", "next": "终"},
                   "终": {"type": "exit"}}}'::cjo.journey;
SELECT j::text = (j::text)::cjo.journey::text AS round_trip
  FROM (SELECT '{"name": "👨‍👩‍👧", "entry": {"event": "\u2028"}, "start": "\t", "nodes": {"\t": {"type": "exit"}}}'::cjo.journey AS j) s;

-------------------------------------------------------------------------------
-- Numbers.  NaN and Infinity are not JSON (22P02, above); 1e400 and weights
-- over 1e9 are out of range (22023); -0 and 1e-400 are zero, so the weights
-- add up to zero (22023); a weight of type string is a structural error
-- (42P17, like every other wrong type).
-------------------------------------------------------------------------------
SELECT pg_temp.ok(pg_temp.weight('1e400'));
SELECT pg_temp.ok(pg_temp.weight('-1e400'));
SELECT pg_temp.ok(pg_temp.weight('1000000001'));
SELECT pg_temp.ok(pg_temp.weight('-0'));
SELECT pg_temp.ok(pg_temp.weight('1e-400'));
SELECT pg_temp.ok(pg_temp.weight('1e9'));
SELECT pg_temp.ok(pg_temp.weight('"1"'));
SELECT pg_temp.ok(pg_temp.weight('[1]'));
SELECT pg_temp.ok(pg_temp.weight('true'));

-------------------------------------------------------------------------------
-- Wrong JSON types, field by field: 42P17.
-------------------------------------------------------------------------------
SELECT pg_temp.ok('{"name": 1, "entry": {"event": "e"}, "start": "a", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"description": [], '));
SELECT pg_temp.ok('{"name": "hostile", "entry": "e", "start": "a", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.ok('{"name": "hostile", "entry": {"event": 1}, "start": "a", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.ok('{"name": "hostile", "entry": {"event": "e", "when": true}, "start": "a", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"reentry": [], '));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"reentry": {"policy": 1}, '));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"reentry": {"policy": "always", "cooldown": 3600}, '));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"exit_on": {"event": "x"}, '));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"exit_on": ["x"], '));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"goal": "buy", '));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"goal": {"event": "buy", "exit": "yes"}, '));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"goal": {"event": "buy", "within": 7}, '));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit"}}', '"goal": {"event": "buy", "value": 7}, '));
SELECT pg_temp.ok('{"name": "hostile", "entry": {"event": "e"}, "start": 1, "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.ok(pg_temp.doc('[{"type": "exit"}]'));
SELECT pg_temp.ok(pg_temp.doc('{"a": "exit"}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": ["exit"]}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "action", "channel": 1, "template": "t", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": {}, "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "payload": [], "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "next": ["b"]}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.wait('86400'));
SELECT pg_temp.ok(pg_temp.wait('{"days": 1}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "wait_event", "events": {"event": "x", "next": "b"}}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "wait_event", "events": [{"event": "x", "next": "b"}], "timeout": 60, "timeout_next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "branch", "cases": "x", "else": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "branch", "cases": [{"when": "$.x", "next": "b"}], "else": false}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "split", "variants": {"name": "v"}}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "split", "variants": [{"name": "v", "weight": 1, "next": "b", "control": "yes"}]}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "wait_until", "time": 900, "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "wait_until", "time": "09:00", "days": "mon", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "wait_until", "time": "09:00", "days": [1], "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "wait_until", "time": "09:00", "time_zone": 9, "next": "b"}, "b": {"type": "exit"}}'));
-- Bad values of the right type: 22023.
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "wait_until", "time": "24:00", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "wait_until", "time": "09:00", "time_zone": "Mars/Olympus_Mons", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "wait_until", "time": "09:00", "days": ["someday"], "next": "b"}, "b": {"type": "exit"}}'));

-------------------------------------------------------------------------------
-- Empty strings: 42P17 (a duration is the exception: an empty duration is a
-- bad duration, 22023, like one of blanks only).
-------------------------------------------------------------------------------
SELECT pg_temp.ok('{"name": "", "entry": {"event": "e"}, "start": "a", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.ok('{"name": "hostile", "entry": {"event": ""}, "start": "a", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.ok('{"name": "hostile", "entry": {"event": "e"}, "start": "", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.ok('{"name": "hostile", "entry": {"event": "e"}, "start": "", "nodes": {"": {"type": "exit"}}}');
SELECT pg_temp.ok(pg_temp.cond(''));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "action", "channel": "", "template": "t", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": ""}}'));
SELECT pg_temp.ok(pg_temp.wait('""'));
SELECT pg_temp.ok(pg_temp.wait('"   "'));

-------------------------------------------------------------------------------
-- Durations: every bad string is 22023; units in any letter case.
-------------------------------------------------------------------------------
SELECT pg_temp.ok(pg_temp.wait('"0 seconds"'));
SELECT pg_temp.ok(pg_temp.wait('"-1 day"'));
SELECT pg_temp.ok(pg_temp.wait('"1.5 days"'));
SELECT pg_temp.ok(pg_temp.wait('"1e3 seconds"'));
SELECT pg_temp.ok(pg_temp.wait('"P1D"'));
SELECT pg_temp.ok(pg_temp.wait('"１ day"'));
SELECT pg_temp.ok(pg_temp.wait('"1 month"'));
SELECT pg_temp.ok(pg_temp.wait('"1 YEAR"'));
SELECT pg_temp.ok(pg_temp.wait('"3651 days"'));
SELECT pg_temp.ok(pg_temp.wait('"3650 days 1 second"'));
SELECT pg_temp.ok(pg_temp.wait('"9223372036854775807 seconds"'));
SELECT pg_temp.ok(pg_temp.wait('"' || repeat('9', 10000) || ' seconds"'));
SELECT pg_temp.ok(pg_temp.wait('"' || repeat('1 second ', 100000) || '"'));
SELECT pg_temp.ok(pg_temp.wait('"1 day, 2 hours"'));
SELECT pg_temp.ok(pg_temp.wait('"day"'));
SELECT pg_temp.ok(pg_temp.wait('"1"'));
-- Accepted, shown canonically.
SELECT j::text FROM (SELECT pg_temp.wait('"2 DAYS"')::cjo.journey AS j) s;
SELECT j::text FROM (SELECT pg_temp.wait('"1 Week 1 H 1 M 1 S"')::cjo.journey AS j) s;
SELECT j::text FROM (SELECT pg_temp.wait('"3650 days"')::cjo.journey AS j) s;
SELECT j::text FROM (SELECT pg_temp.wait('"\t1d\n12h "')::cjo.journey AS j) s;

-------------------------------------------------------------------------------
-- jsonpath: bad or pathological paths are 42601; one too deep for the stack
-- stays 54001.  A path that compiles but meets data of the wrong type is
-- false at run time (evaluation is silent).
-------------------------------------------------------------------------------
SELECT pg_temp.ok(pg_temp.cond('$.a =='));
SELECT pg_temp.ok(pg_temp.cond('$.a like_regex "("'));
SELECT pg_temp.ok(pg_temp.cond('$.a like_regex "a" flag "z"'));
SELECT pg_temp.ok(pg_temp.cond(repeat('(', 10000) || '$' || repeat(')', 10000)));
SELECT pg_temp.ok(pg_temp.cond('$' || repeat('.a', 100000)));
SELECT pg_temp.ok(pg_temp.cond('$' || repeat('.a', 1000)));
SELECT pg_temp.ok(pg_temp.cond('$.a like_regex "' || repeat('(a|b)*', 5000) || 'c"'));
SELECT pg_temp.ok(pg_temp.cond('$.a like_regex "' || repeat('x', 100000) || '"'));
-- A long path or duration is quoted in part in the message.
\set VERBOSITY terse
SELECT pg_temp.ok(pg_temp.cond('$.a like_regex "' || repeat('x', 100000) || '"'));
SELECT pg_temp.ok(pg_temp.wait('"' || repeat('9', 100000) || ' seconds"'));
\set VERBOSITY sqlstate
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "payload": {"p": "{{ }}"}, "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "payload": {"p": "{{$.a ==}}"}, "next": "b"}, "b": {"type": "exit"}}'));

-------------------------------------------------------------------------------
-- Duplicate keys would silently drop a value: 42P17 at any depth.
-------------------------------------------------------------------------------
SELECT pg_temp.ok('{"name": "hostile", "name": "again", "entry": {"event": "e"}, "start": "a", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "exit", "type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "payload": {"x": {"k": 1, "k": 2}}, "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.ok(pg_temp.doc('{' || string_agg(format('"n%s": {"type": "exit"}', i % 50000), ', ') || '}'))
  FROM generate_series(1, 50001) i;

-------------------------------------------------------------------------------
-- API functions with bad arguments.
-------------------------------------------------------------------------------
SELECT cjo_publish(NULL::text);
SELECT cjo_publish('{"name": "hostile"}'::jsonb);
SELECT cjo_publish('[]'::jsonb);
SELECT cjo_archive('no such journey');
SELECT cjo_archive(NULL);
SELECT count(*) FROM cjo_funnel(NULL);
SELECT count(*) FROM cjo_funnel('{"a": 1}');
SELECT count(*) FROM cjo_funnel('[]');
SELECT count(*) FROM cjo_funnel('[1, 2]');
SELECT count(*) FROM cjo_funnel('[{"event": 1}]');
SELECT count(*) FROM cjo_funnel('["a", {"event": "b", "when": "$.x =="}]');
SELECT count(*) FROM cjo_funnel((SELECT jsonb_agg('s' || i) FROM generate_series(1, 33) i));
SELECT count(*) FROM cjo_funnel('["a", "b"]', interval '-1 day');
SELECT count(*) FROM cjo_funnel('["a", "b"]', mode => '{sideways}');
SELECT count(*) FROM cjo_funnel('["a", "b"]', since => 'infinity', "until" => '-infinity');
SELECT count(*) FROM cjo_attribution(NULL);
SELECT count(*) FROM cjo_attribution('buy', lookback => interval '-1 day');
SELECT count(*) FROM cjo_attribution('buy', half_life => interval '0');
SELECT count(*) FROM cjo_attribution('buy', half_life => NULL);
SELECT count(*) FROM cjo_attribution('buy', lookback => interval '1000000 years');
SELECT cjo_simulate('not json'::text);
SELECT cjo_simulate('{"name": "hostile"}'::jsonb);
SELECT cjo_simulate(pg_temp.doc('{"a": {"type": "exit"}}'), "until" => NULL);
SELECT cjo_simulate(pg_temp.doc('{"a": {"type": "exit"}}'), since => now(), "until" => now() - interval '1 day');
SELECT cjo_advance(NULL, 'h-nobody');
SELECT cjo_advance('-infinity');

-------------------------------------------------------------------------------
-- Events.
-------------------------------------------------------------------------------
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
SELECT cjo_publish('{"name": "hostile_events", "entry": {"event": "h_start"}, "reentry": {"policy": "always"},
  "start": "hello",
  "nodes": {
    "hello": {"type": "action", "channel": "email", "template": "hi",
              "payload": {"big": "{{$.event.properties.big}}", "vip": "{{$.profile.vip}}"}, "next": "pause"},
    "pause": {"type": "wait", "duration": "1 day", "next": "listen"},
    "listen": {"type": "wait_event", "events": [{"event": "h_click", "next": "done"}],
               "timeout": "3650 days", "timeout_next": "done"},
    "done": {"type": "exit"}}}') > 0 AS published;
-- NULL customer or name: 23502.
INSERT INTO cjo.events (customer_id, name) VALUES (NULL, 'h_start');
INSERT INTO cjo.events (customer_id, name) VALUES ('h-null', NULL);
-- No profile: the run starts, $.profile is {} (so the template is null).
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('h-noprofile', 'h_start', '2020-01-01 00:00+00');
SELECT customer_id, payload FROM cjo.actions WHERE customer_id = 'h-noprofile';
SELECT count(*) AS profiles FROM cjo.customers;
-- 10 MB of properties: stored, and the template copies them into the payload.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('h-big', 'h_start', jsonb_build_object('big', repeat('x', 10 * 1024 * 1024)), '2020-01-01 00:00+00');
SELECT customer_id, length(payload ->> 'big') AS big FROM cjo.actions WHERE customer_id = 'h-big';
-- Times: 'infinity' counts as the transaction time; '-infinity' as the
-- earliest finite time; 4713 BC as it is; year 294277 is no timestamp (22008).
BEGIN;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('h-inf', 'h_start', 'infinity');
SELECT at = now() AS at_now, due_at = now() + interval '1 day' AS due_tomorrow
  FROM cjo.history h JOIN cjo.journey_state s USING (customer_id) WHERE customer_id = 'h-inf';
COMMIT;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('h-neginf', 'h_start', '-infinity');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('h-bc', 'h_start', '4713-01-01 00:00+00 BC');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('h-far', 'h_start', '294277-01-01 00:00+00');
SELECT customer_id, step, cause, at FROM cjo.history WHERE customer_id IN ('h-neginf', 'h-bc') ORDER BY 1, 2;
SELECT customer_id, node, due_at FROM cjo.journey_state WHERE customer_id IN ('h-neginf', 'h-bc') ORDER BY 1;
-- The timers of the far past fire at once, stamped with their due times.
SELECT cjo_advance('2021-01-01 00:00+00', 'h-bc');
SELECT cjo_advance('2021-01-01 00:00+00', 'h-neginf');
SELECT customer_id, step, cause, at FROM cjo.history WHERE customer_id IN ('h-neginf', 'h-bc') ORDER BY 1, 2;
SELECT customer_id, node, status, due_at FROM cjo.journey_state WHERE customer_id IN ('h-neginf', 'h-bc') ORDER BY 1;
-- Out of order in one statement: applied in occurred_at order, so the start
-- (second row, but earlier) begins the run and the click (first row) then
-- ends the wait, after the one-day timer caught up.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('h-order', 'h_click', '2020-03-01 00:00+00'),
    ('h-order', 'h_start', '2020-01-01 00:00+00');
SELECT step, cause, at, from_node, to_node, event FROM cjo.transitions WHERE customer_id = 'h-order' ORDER BY step;
-- Across statements: a late event earlier than the customer's current time
-- does not move the run back; one before the run began is ignored.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('h-late', 'h_start', '2020-01-01 00:00+00');
SELECT cjo_advance('2020-01-03 00:00+00', 'h-late');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('h-late', 'h_click', '2019-12-01 00:00+00');
SELECT node, status FROM cjo.journey_state WHERE customer_id = 'h-late';
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('h-late', 'h_click', '2020-01-01 12:00+00');
SELECT step, cause, at, from_node, to_node, event FROM cjo.transitions WHERE customer_id = 'h-late' ORDER BY step;

-- A loop of one-second waits caught up over 30 days would fire 2.6 million
-- timers in memory: the catch-up stays cancellable (57014).
SELECT cjo_publish('{"name": "hostile_loop", "entry": {"event": "h_loop"}, "start": "w",
  "nodes": {"w": {"type": "wait", "duration": "1 second", "next": "a"},
            "a": {"type": "action", "channel": "c", "template": "t", "next": "w"}}}') > 0 AS published;
INSERT INTO cjo.events (customer_id, name) VALUES ('h-loop', 'h_loop');
BEGIN;
SET LOCAL statement_timeout = '1s';
SELECT cjo_advance(now() + interval '30 days', 'h-loop');
ROLLBACK;
SELECT cjo_archive('hostile_loop');

SELECT cjo_archive('hostile_events');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
