-- The cjo.journey type: a JSON journey document, validated and compiled in C.
-- Output is canonical JSON (fixed key order, nodes in graph order, durations
-- and jsonpaths spelled canonically), and input(output(x)) = x.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.try(doc text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM doc::cjo.journey;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- A template of a valid document; each case below breaks one thing.
CREATE FUNCTION pg_temp.doc(nodes text, extra text DEFAULT '') RETURNS text LANGUAGE sql AS $$
    SELECT '{"name": "t", "entry": {"event": "e"}, "start": "a", ' || extra || '"nodes": ' || nodes || '}'
$$;

-- Canonical output.
SELECT '{"nodes": {"w": {"next": "x", "duration": "36h", "type": "wait"}, "x": {"type": "exit"}},
         "start": "w", "entry": {"when": "$.event.properties.price>10", "event": "viewed"}, "name": "j"}'::cjo.journey;
-- Round trip: output parses back to the same graph.
WITH j AS (SELECT '{"name": "rt", "description": "all features",
    "entry": {"event": "signup", "when": "$.profile.country == \"JP\""},
    "reentry": {"policy": "after_exit", "cooldown": "1w"},
    "exit_on": [{"event": "unsubscribed"}, {"event": "deleted", "when": "$.event.properties.hard"}],
    "goal": {"event": "purchase", "within": "30 days", "value": "$.event.properties.amount", "exit": true},
    "start": "a",
    "nodes": {
      "a": {"type": "action", "channel": "email", "template": "hi", "payload": {"n": "{{$.profile.name}}", "k": [1, 2]}, "next": "b"},
      "b": {"type": "branch", "cases": [{"when": "$.profile.vip", "next": "s"}], "else": "w"},
      "s": {"type": "split", "variants": [{"name": "A", "weight": 0.5, "next": "w"}, {"name": "C", "weight": 0.5, "next": "z", "control": true}]},
      "w": {"type": "wait_event", "events": [{"event": "click", "next": "z"}], "timeout": "90 minutes", "timeout_next": "z"},
      "z": {"type": "exit", "description": "the end"}}}'::cjo.journey AS g)
SELECT g::text = (g::text)::cjo.journey::text AS round_trip,
       cjo.journey_name(g) AS name,
       cjo.journey_send(g) = cjo.journey_send((g::text)::cjo.journey) AS binary_equal
  FROM j;
SELECT * FROM cjo.journey_nodes(pg_temp.doc('{"a": {"type": "branch", "cases": [{"when": "$.x", "next": "c"}], "else": "b"},
    "b": {"type": "wait", "duration": "1 day", "next": "c"}, "c": {"type": "exit"}}')::cjo.journey);
SELECT * FROM cjo.journey_choices(pg_temp.doc('{"a": {"type": "split", "variants": [{"name": "v1", "weight": 1, "next": "c"},
    {"name": "ctl", "weight": 1, "next": "c", "control": true}]}, "c": {"type": "exit"}}')::cjo.journey);

-- Documents that are not JSON objects: 22P02.
SELECT pg_temp.try('not json');
SELECT pg_temp.try('[1, 2]');
SELECT pg_temp.try('{"name": "t", "entry": {"event": "e"}');
-- Duplicate keys would silently drop a node: 42P17.
SELECT pg_temp.try('{"name": "t", "entry": {"event": "e"}, "start": "a", "nodes": {"a": {"type": "exit"}, "a": {"type": "exit"}}}');

-- Structure: 42P17 (invalid_object_definition).
SELECT pg_temp.try('{"entry": {"event": "e"}, "start": "a", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.try('{"name": "t", "start": "a", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.try('{"name": "t", "entry": {"event": "e"}, "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.try('{"name": "t", "entry": {"event": "e"}, "start": "a"}');
SELECT pg_temp.try(pg_temp.doc('{}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "exit"}}', '"colour": "red", '));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "exit", "next": "a"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "teleport"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"next": "b"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": 7}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "action", "template": "t", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "action", "channel": "email", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "action", "channel": "email", "template": "t"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "action", "channel": "", "template": "t", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "action", "channel": "email", "template": "t", "payload": [1], "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait", "duration": "1 day", "next": "nowhere"}}'));
SELECT pg_temp.try('{"name": "t", "entry": {"event": "e"}, "start": "b", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "exit"}, "orphan": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "branch", "cases": [{"when": "$.x", "next": "b"}], "else": "b"},
                                  "b": {"type": "action", "channel": "c", "template": "t", "next": "a"}}'));
-- A loop through a wait is fine: it cannot spin inside one transaction.
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "next": "w"},
                                  "w": {"type": "wait", "duration": "1 day", "next": "a"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait_event", "events": [], "timeout": "1 day", "timeout_next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait_event", "events": [{"event": "x", "next": "b"}], "timeout": "1 day"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait_event", "events": [{"event": "x", "next": "b"}], "timeout_next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait_event", "events": [{"event": "x", "then": "b"}]}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "branch", "cases": [{"when": "$.x", "next": "b"}]}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "split", "variants": [{"name": "x", "weight": 1, "next": "b"}, {"name": "x", "weight": 1, "next": "b"}]}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "split", "variants": [{"name": "x", "weight": 1, "next": "b", "control": true}, {"name": "y", "weight": 1, "next": "b", "control": true}]}, "b": {"type": "exit"}}'));
SELECT pg_temp.try('{"name": "t", "entry": {"event": "e", "if": "$.x"}, "start": "a", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "exit"}}', '"goal": {"within": "1 day"}, '));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "exit"}}', '"exit_on": {"event": "x"}, '));

-- Bad values: 22023 (invalid_parameter_value).
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait", "duration": "0 days", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait", "duration": "-1 day", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait", "duration": "2 months", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait", "duration": "5 parsecs", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait", "duration": "soon", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait", "duration": "3651 days", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "wait", "duration": "99999999999999999999 seconds", "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "split", "variants": [{"name": "x", "weight": -1, "next": "b"}]}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "split", "variants": [{"name": "x", "weight": "half", "next": "b"}]}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "split", "variants": [{"name": "x", "weight": 0, "next": "b"}]}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "split", "variants": [{"name": "x", "weight": 1e400, "next": "b"}]}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "exit"}}', '"reentry": {"policy": "sometimes"}, '));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "exit"}}', '"reentry": {"policy": "always", "cooldown": "1 fortnight"}, '));

-- Bad jsonpath: 42601 (syntax_error).
SELECT pg_temp.try('{"name": "t", "entry": {"event": "e", "when": "$.a ==="}, "start": "a", "nodes": {"a": {"type": "exit"}}}');
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "branch", "cases": [{"when": "$$$", "next": "b"}], "else": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "payload": {"x": "{{ }}"}, "next": "b"}, "b": {"type": "exit"}}'));
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "payload": {"x": "{{$.(}}"}, "next": "b"}, "b": {"type": "exit"}}'));

-- Limits: at most 10000 nodes (54000 program_limit_exceeded); deep nesting is
-- stops the JSON parser with 54001 (stack depth limit exceeded), not a crash.
SELECT pg_temp.try(pg_temp.doc('{"a": {"type": "exit"}, ' ||
    (SELECT string_agg(format('"n%s": {"type": "exit"}', i), ', ') FROM generate_series(1, 10000) i) || '}'));
SELECT left(pg_temp.try(pg_temp.doc('{"a": {"type": "action", "channel": "c", "template": "t", "next": "b", "payload": {"x": ' ||
    repeat('[', 100000) || repeat(']', 100000) || '}}, "b": {"type": "exit"}}')), 30);

-- The same checks guard every way in: casts from jsonb and publishing.
SELECT pg_temp.try('{"name": "t"}'::jsonb::text);
SELECT cjo_publish('{"name": "t", "entry": {"event": "e"}, "start": "a", "nodes": {"a": {"type": "nope"}}}');
