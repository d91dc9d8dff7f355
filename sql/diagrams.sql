-- Journey diagrams: cjo_diagram() as Mermaid and Graphviz DOT, with counts.
\pset footer off
\pset format unaligned
\pset tuples_only on

-- Every node type, an entry condition, a goal, exit events, a wait_event with
-- two awaited events and a time-out, a branch with a case and else, a split
-- with a control group.
SELECT cjo_publish('{
  "name": "diagram_demo",
  "entry": {"event": "signed_up", "when": "$.event.properties.plan == \"free\""},
  "exit_on": [{"event": "unsubscribed"}, {"event": "account_closed"}],
  "goal": {"event": "upgraded", "within": "30 days"},
  "start": "welcome",
  "nodes": {
    "welcome": {"type": "action", "channel": "email", "template": "welcome", "next": "pause"},
    "pause": {"type": "wait", "duration": "1 day", "next": "active"},
    "active": {"type": "branch", "cases": [{"when": "$.profile.logins >= 3", "next": "done"}], "else": "ab"},
    "ab": {"type": "split", "variants": [
        {"name": "push", "weight": 45, "next": "nudge"},
        {"name": "sms", "weight": 45, "next": "text"},
        {"name": "holdout", "weight": 10, "next": "done", "control": true}]},
    "nudge": {"type": "action", "channel": "push", "template": "come_back", "next": "listen"},
    "text": {"type": "action", "channel": "sms", "template": "come_back", "next": "listen"},
    "listen": {"type": "wait_event", "events": [
        {"event": "logged_in", "next": "done"},
        {"event": "clicked", "when": "$.event.properties.link == \"pricing\"", "next": "done"}],
      "timeout": "2 days", "timeout_next": "done"},
    "done": {"type": "exit"}
  }}') AS version;

-- Twelve customers; three log in often enough to skip the split.
INSERT INTO cjo.customers (customer_id, attributes)
SELECT 'd' || i, jsonb_build_object('logins', CASE WHEN i <= 3 THEN 5 ELSE 0 END)
  FROM generate_series(1, 12) i;
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
SELECT 'd' || i, 'signed_up', '{"plan": "free"}', '2026-01-05 10:00+00' FROM generate_series(1, 12) i;
-- One more signs up on a paid plan: the entry condition keeps them out.
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
VALUES ('d13', 'signed_up', '{"plan": "pro"}', '2026-01-05 10:00+00');
-- d12 unsubscribes while waiting; a day later the others pass the branch and split.
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('d12', 'unsubscribed', '2026-01-05 12:00+00');
SELECT cjo_advance('2026-01-06 10:00+00') AS moved;

-- Where they went (the split is random but stable per customer).
\pset tuples_only off
\pset format aligned
SELECT from_node, choice, to_node, count(*) FROM cjo.transitions
 WHERE journey = 'diagram_demo' GROUP BY 1, 2, 3 ORDER BY 1 NULLS FIRST, 2, 3;
\pset tuples_only on
\pset format unaligned

-- Of the eight at "listen": one logs in, one clicks the pricing link (after
-- a click elsewhere that does not count), one upgrades (the goal, no exit);
-- the others time out two days later.
SELECT string_agg(customer_id, ' ' ORDER BY customer_id) AS at_listen
  FROM cjo.customer_journeys WHERE journey = 'diagram_demo' AND node = 'listen' \gset
\echo :at_listen
INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
SELECT customer_id, e.name, e.properties, '2026-01-06 12:00+00'
  FROM (SELECT customer_id, row_number() OVER (ORDER BY customer_id) AS k
          FROM cjo.customer_journeys WHERE journey = 'diagram_demo' AND node = 'listen') c
  JOIN (VALUES (1, 'logged_in', '{}'::jsonb), (2, 'clicked', '{"link": "blog"}'),
               (2, 'clicked', '{"link": "pricing"}'), (3, 'upgraded', '{}')) AS e(k, name, properties)
    ON e.k = c.k;
SELECT cjo_advance('2026-01-08 13:00+00') AS moved;

\pset tuples_only off
\pset format aligned
SELECT node, entered, waiting, moved_on, dropped, converted
  FROM cjo.node_stats WHERE journey = 'diagram_demo' ORDER BY node_index;
\pset tuples_only on
\pset format unaligned

-- The latest version with counts, as Mermaid (the default) and DOT.
SELECT cjo_diagram('diagram_demo');
SELECT cjo_diagram('diagram_demo', 'dot');
-- Without counts; the format name is not case-sensitive, graphviz is dot.
SELECT cjo_diagram('diagram_demo', 'Mermaid', counts => false);
SELECT cjo_diagram('diagram_demo', 'graphviz', 1, false) = cjo_diagram('diagram_demo', 'dot', counts => false) AS graphviz_is_dot;

-- A second version: counts belong to each version.
SELECT cjo_publish('{"name": "diagram_demo", "entry": {"event": "signed_up"}, "start": "done",
                     "nodes": {"done": {"type": "exit"}}}') AS version;
SELECT cjo_diagram('diagram_demo');
SELECT cjo_diagram('diagram_demo', journey_version => 1) = cjo_diagram('diagram_demo', 'mermaid', 1, true) AS same;

-- A document that is not published: no counts, the journey name as title.
SELECT cjo_diagram('{"name": "draft", "entry": {"event": "e"}, "start": "w",
  "nodes": {"w": {"type": "wait", "duration": "90 minutes", "next": "x"}, "x": {"type": "exit"}}}'::cjo.journey, 'dot');
-- A published version given as a document differs only by its title.
SELECT replace(cjo_diagram(graph), '"diagram_demo<br>', '"diagram_demo v2<br>')
       = cjo_diagram('diagram_demo', journey_version => 2, counts => false) AS same_but_title
  FROM cjo.journey_versions v JOIN cjo.journeys j USING (journey_id) WHERE j.name = 'diagram_demo' AND v.version = 2;

-- Hostile names and labels: quotes, brackets, braces, pipes, arrows, comment
-- and entity syntax, backslash escapes, newlines, tabs, unicode. They must
-- come out as text inside their labels, never as diagram syntax.
SELECT cjo_publish($doc${
  "name": "evil\"] --> x[\"pwned",
  "entry": {"event": "a\"b", "when": "$.event.properties.\"x\\\"y\" == \"}{\""},
  "exit_on": [{"event": "%% comment\n}"}],
  "start": "n\"1",
  "nodes": {
    "n\"1": {"type": "action", "channel": "e<br>mail", "template": "t|\u0007x", "next": "a]b"},
    "a]b": {"type": "wait_event", "events": [{"event": "x\"]; click n0 call alert(1) %%", "next": "c}d"},
                                             {"event": "#quot;&amp;", "next": "\\N\\G\\l"}],
            "timeout": "1h", "timeout_next": "c}d"},
    "c}d": {"type": "split", "variants": [{"name": "v|1\n-->", "weight": 1, "next": "日本語 🚀"},
                                          {"name": "`x` (y) [z]", "weight": 2, "next": "\\N\\G\\l"}]},
    "日本語 🚀": {"type": "branch", "cases": [{"when": "$.profile.\"a\\\"b\" like_regex \"[\\\\]\\\"]\"", "next": "\\N\\G\\l"}],
                  "else": "tab\there"},
    "tab\there": {"type": "wait", "duration": "1 day", "next": "\\N\\G\\l"},
    "\\N\\G\\l": {"type": "exit"}
  }}$doc$) AS version;
SELECT cjo_diagram(cjo.journey_name(graph)) FROM cjo.journey_versions v JOIN cjo.journeys j USING (journey_id)
 WHERE j.name LIKE 'evil%';
SELECT cjo_diagram(cjo.journey_name(graph), 'dot') FROM cjo.journey_versions v JOIN cjo.journeys j USING (journey_id)
 WHERE j.name LIKE 'evil%';

-- Every line of the output is one statement of a small grammar: generated
-- ids, a quoted label that holds no quote, no line break, and (Mermaid) no
-- character the Mermaid parser reads as syntax.
CREATE FUNCTION pg_temp.good_line(format text, line text) RETURNS boolean LANGUAGE sql AS $$
    SELECT CASE $1
         WHEN 'mermaid' THEN replace($2, '<br>', '') ~ '^(flowchart TD|    (entry|n\d+)(>|\[|\(|\{\{|\{|\[/|\(\[)"[^"\[\]{}()|<>&`%\\]*"(\]|\)|\}\}|\}|\\\]|\]\))|    (entry|n\d+) (-->|-\.->)(\|"[^"\[\]{}()|<>&`%\\]*"\|)? n\d+|    classDef [a-z_]+ fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6}|    class (entry|n\d+(,n\d+)*) [a-z_]+)$'
         ELSE $2 ~ '^(digraph journey \{|\}|  (graph|node|edge) \[[a-zA-Z=", .0-9]*\];|  (entry|n\d+) \[[a-z=, "#0-9.]*label="([^"\\]|\\[\\"n])*"\];|  (entry|n\d+) -> n\d+( \[(label="([^"\\]|\\[\\"n])*")?(, )?(style=dashed)?\])?;)$'
       END $$;
\pset tuples_only off
\pset format aligned
SELECT j.name LIKE 'evil%' AS hostile, f.format, count(*) AS lines,
       count(*) FILTER (WHERE NOT pg_temp.good_line(f.format, l)) AS bad_lines
  FROM cjo.journey_versions v JOIN cjo.journeys j USING (journey_id)
 CROSS JOIN (VALUES ('mermaid'), ('dot')) AS f(format)
 CROSS JOIN LATERAL regexp_split_to_table(rtrim(cjo_diagram(j.name, f.format, v.version), E'\n'), E'\n') AS l
 WHERE j.name = 'diagram_demo' OR j.name LIKE 'evil%'
 GROUP BY 1, 2, j.name, v.version ORDER BY 1, 2, j.name, v.version;
-- The grammar refuses what a broken escape would produce.
SELECT pg_temp.good_line('mermaid', '    n0["a"b"]') AS quote_in_mermaid, pg_temp.good_line('mermaid', '    n0["a]b"]') AS bracket,
       pg_temp.good_line('mermaid', '    n0["a<b"]') AS angle, pg_temp.good_line('dot', '  n0 [label="a"b"];') AS quote_in_dot,
       pg_temp.good_line('dot', '  n0 [label="a\"];') AS trailing_backslash, pg_temp.good_line('dot', '  n0 [label="a\\"];') AS escaped_backslash;
-- The same for every journey version the other tests left in the database.
SELECT count(*) FILTER (WHERE NOT pg_temp.good_line(f.format, l)) AS bad_lines_anywhere
  FROM cjo.journey_versions v JOIN cjo.journeys j USING (journey_id)
 CROSS JOIN (VALUES ('mermaid'), ('dot')) AS f(format)
 CROSS JOIN LATERAL regexp_split_to_table(rtrim(cjo_diagram(j.name, f.format, v.version), E'\n'), E'\n') AS l;

-- The escapes, one by one.
SELECT s AS text, cjo.mermaid_text(s) AS mermaid, cjo.dot_text(s) AS dot
  FROM (VALUES ('a"b'), ('#quot;'), ('x]y[z'), ('{}()|'), ('<br>&'), ('100%%'), ('`md`'), (E'two\nlines'),
               (E'cr\r\nlf'), (E'tab\there'), ('\N \l \"'), ('日本語 🚀')) AS t(s);
SELECT cjo.condition_text(c) AS shown
  FROM (VALUES ('($."event"."properties"."plan" == "free")'), ('($."a" > 1) && ($."b" < 2)'),
               ('$."x y"'), ('($."a" == ")(")')) AS t(c);

-- Errors.
SELECT cjo_diagram('diagram_demo', 'svg');
SELECT cjo_diagram('no_such_journey');
SELECT cjo_diagram('diagram_demo', journey_version => 7);

SELECT cjo_archive(name) FROM cjo.journeys WHERE name = 'diagram_demo' OR name LIKE 'evil%';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
