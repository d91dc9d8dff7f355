
------------------------------------------------------------------------------
-- Diagrams: a journey version drawn as Mermaid or Graphviz DOT, optionally
-- with the live counts of every node and edge.
--
-- Names, labels and conditions come from users and are never trusted: every
-- piece of text goes through cjo.mermaid_text() or cjo.dot_text(), and node
-- ids are generated (entry, n0, n1, ...), so no document can break out of a
-- label or add statements to the diagram.
------------------------------------------------------------------------------

CREATE FUNCTION cjo.mermaid_text(label text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$
    -- '#' first: every later replacement writes a '#'. Then everything Mermaid
    -- could read as syntax becomes an entity code; line breaks become <br>
    -- (written after '<' is escaped); other control characters become spaces.
    SELECT regexp_replace(
             regexp_replace(
               replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
               replace(replace(replace(replace(
                 replace(label, '#', '#35;'),
                 '"', '#quot;'), '&', '#amp;'), '<', '#lt;'), '>', '#gt;'),
                 '[', '#91;'), ']', '#93;'), '{', '#123;'), '}', '#125;'),
                 '(', '#40;'), ')', '#41;'), '|', '#124;'), '`', '#96;'),
                 '%', '#37;'), '\', '#92;'),
               E'\r\n|[\r\n\u2028\u2029]', '<br>', 'g'),
             '[[:cntrl:]]', ' ', 'g')
$$;
COMMENT ON FUNCTION cjo.mermaid_text(text) IS
    'Text made safe inside a double-quoted Mermaid label: syntax characters as #entity; codes, line breaks as <br>, control characters as spaces';

CREATE FUNCTION cjo.dot_text(label text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$
    -- Backslashes first (so that \N, \G, \l and friends stay literal), then
    -- quotes; line breaks become DOT's \n, other control characters spaces.
    SELECT regexp_replace(
             regexp_replace(replace(replace(label, '\', '\\'), '"', '\"'),
                            E'\r\n|[\r\n\u2028\u2029]', '\\n', 'g'),
             '[[:cntrl:]]', ' ', 'g')
$$;
COMMENT ON FUNCTION cjo.dot_text(text) IS
    'Text made safe inside a double-quoted Graphviz DOT label: backslashes and quotes escaped, line breaks as \n, control characters as spaces';

CREATE FUNCTION cjo.condition_text(condition text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    shown text;
    depth integer := 0;
    quoted boolean := false;
    ch text;
BEGIN
    -- The canonical form quotes every key ($."event"."name"); plain keys read
    -- better bare. This is only what a diagram shows: the condition is unchanged.
    shown := regexp_replace(condition, '\."([A-Za-z_][A-Za-z0-9_]*)"', '.\1', 'g');
    -- Outer parentheses around the whole condition go, if they are one pair.
    IF left(shown, 1) <> '(' OR right(shown, 1) <> ')' THEN
        RETURN shown;
    END IF;
    FOR i IN 1 .. length(shown) - 1 LOOP
        ch := substr(shown, i, 1);
        IF quoted THEN
            IF ch = '"' AND substr(shown, i - 1, 1) <> '\' THEN
                quoted := false;
            END IF;
        ELSIF ch = '"' THEN
            quoted := true;
        ELSIF ch = '(' THEN
            depth := depth + 1;
        ELSIF ch = ')' THEN
            depth := depth - 1;
            IF depth = 0 THEN
                RETURN shown;       -- the first pair closes before the end
            END IF;
        END IF;
    END LOOP;
    RETURN substr(shown, 2, length(shown) - 2);
END
$$;
COMMENT ON FUNCTION cjo.condition_text(text) IS
    'A canonical jsonpath condition as a diagram shows it: keys that are plain identifiers unquoted, outer parentheses removed';

CREATE FUNCTION cjo.diagram_render(graph cjo.journey, format text, title text,
                                   node_counts jsonb DEFAULT NULL, edge_counts jsonb DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    fmt text := lower(format);
    doc jsonb := graph::jsonb;
    counted boolean := node_counts IS NOT NULL;
    idx jsonb;                  -- node name -> node index
    total numeric;
    n record;
    node jsonb;
    c jsonb;
    i integer;
    lines text;
    detail text;
    out text[] := '{}';
    edges text[] := '{}';
    used_types text[] := '{}';
    -- Node shapes and colours by type (entry: the journey's entry card).
    mermaid_open constant jsonb := '{"entry": ">", "action": "[", "set": "[", "wait": "(", "wait_until": "(", "wait_event": "{{",
                                     "branch": "{", "split": "[/", "next_best_action": "[[", "exit": "(["}';
    mermaid_close constant jsonb := '{"entry": "]", "action": "]", "set": "]", "wait": ")", "wait_until": ")", "wait_event": "}}",
                                      "branch": "}", "split": "\\]", "next_best_action": "]]", "exit": "])"}';
    dot_shape constant jsonb := '{"entry": "shape=cds, margin=\"0.3,0.1\"", "action": "shape=box", "set": "shape=note",
                                  "wait": "shape=box, style=\"rounded,filled\"", "wait_event": "shape=hexagon",
                                  "wait_until": "shape=box, style=\"rounded,filled\"",
                                  "branch": "shape=diamond", "split": "shape=trapezium", "next_best_action": "shape=octagon",
                                  "exit": "shape=box, style=\"rounded,filled\", peripheries=2"}';
    colour constant jsonb := '{"entry": "#dcfce7", "action": "#dbeafe", "set": "#f3f4f6", "wait": "#fef9c3", "wait_until": "#fef9c3",
                               "wait_event": "#fde68a", "branch": "#ede9fe", "split": "#fce7f3", "next_best_action": "#ccfbf1",
                               "exit": "#e5e7eb"}';
BEGIN
    IF fmt = 'graphviz' THEN
        fmt := 'dot';
    END IF;
    IF fmt IS NULL OR fmt NOT IN ('mermaid', 'dot') THEN
        RAISE EXCEPTION 'unknown diagram format "%"', format
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use ''mermaid'' or ''dot'' (Graphviz).';
    END IF;

    SELECT jsonb_object_agg(jn.node, jn.node_index) INTO idx FROM cjo.journey_nodes(graph) jn;

    -- The entry card: title, entry event, goal, exit events, runs that entered.
    lines := title || E'\n' || 'entry: ' || (doc #>> '{entry,event}')
             || coalesce(E'\nwhen ' || cjo.condition_text(doc #>> '{entry,when}'), '');
    IF doc ? 'goal' THEN
        lines := lines || E'\ngoal: ' || (doc #>> '{goal,event}')
                 || coalesce(' within ' || (doc #>> '{goal,within}'), '');
    END IF;
    IF doc ? 'exit_on' THEN
        lines := lines || E'\nexit on: '
                 || (SELECT string_agg(e ->> 'event', ', ' ORDER BY k) FROM jsonb_array_elements(doc -> 'exit_on') WITH ORDINALITY AS x(e, k));
    END IF;
    out := out || CASE fmt
        WHEN 'mermaid' THEN '    entry' || (mermaid_open ->> 'entry') || '"' || cjo.mermaid_text(lines) || '"' || (mermaid_close ->> 'entry')
        ELSE '  entry [' || (dot_shape ->> 'entry') || ', fillcolor="' || (colour ->> 'entry') || '", label="' || cjo.dot_text(lines) || '"];'
    END;
    used_types := used_types || 'entry'::text;
    edges := edges || CASE fmt
        WHEN 'mermaid' THEN '    entry -->' || coalesce('|"' || cjo.mermaid_text(CASE WHEN counted THEN coalesce(edge_counts ->> 'entry', '0') END) || '"|', '') || ' n' || (idx ->> (doc ->> 'start'))
        ELSE '  entry -> n' || (idx ->> (doc ->> 'start')) || coalesce(' [label="' || cjo.dot_text(CASE WHEN counted THEN coalesce(edge_counts ->> 'entry', '0') END) || '"]', '') || ';'
    END;

    FOR n IN SELECT jn.node_index, jn.node, jn.node_type FROM cjo.journey_nodes(graph) jn ORDER BY jn.node_index LOOP
        node := doc -> 'nodes' -> n.node;
        detail := CASE n.node_type
            WHEN 'action' THEN (node ->> 'channel') || ': ' || (node ->> 'template')
            WHEN 'wait' THEN 'wait ' || (node ->> 'duration')
            WHEN 'set' THEN 'set ' || (SELECT string_agg(k, ', ') FROM jsonb_object_keys(node -> 'values') k)
            WHEN 'wait_until' THEN 'wait until ' || (node ->> 'time')
                || coalesce(' on ' || (SELECT string_agg(d, ', ') FROM jsonb_array_elements_text(node -> 'days') d), '')
                || ' ' || coalesce(node ->> 'time_zone', 'local time')
            WHEN 'wait_event' THEN coalesce('wait for an event, up to ' || (node ->> 'timeout'), 'wait for an event')
            WHEN 'split' THEN CASE WHEN (node ->> 'learn')::boolean THEN 'learning split' ELSE 'split' END
            WHEN 'next_best_action' THEN 'next best action by ' || coalesce(node ->> 'choose_by', 'score')
            ELSE n.node_type
        END;
        lines := n.node || E'\n' || detail;
        IF counted THEN
            c := coalesce(node_counts -> n.node_index::text, '{}');
            lines := lines || E'\n' || concat_ws(', ',
                'entered ' || coalesce(c ->> 'entered', '0'),
                CASE WHEN (c ->> 'waiting')::bigint > 0 THEN 'waiting ' || (c ->> 'waiting') END,
                CASE WHEN (c ->> 'moved_on')::bigint > 0 THEN 'moved on ' || (c ->> 'moved_on') END,
                CASE WHEN (c ->> 'completed')::bigint > 0 THEN 'completed ' || (c ->> 'completed') END,
                CASE WHEN (c ->> 'dropped')::bigint > 0 THEN 'dropped ' || (c ->> 'dropped') END,
                CASE WHEN (c ->> 'converted')::bigint > 0 THEN 'converted ' || (c ->> 'converted') END);
        END IF;
        out := out || CASE fmt
            WHEN 'mermaid' THEN '    n' || n.node_index || (mermaid_open ->> n.node_type) || '"' || cjo.mermaid_text(lines) || '"' || (mermaid_close ->> n.node_type)
            ELSE '  n' || n.node_index || ' [' || (dot_shape ->> n.node_type) || ', fillcolor="' || (colour ->> n.node_type) || '", label="' || cjo.dot_text(lines) || '"];'
        END;
        IF NOT n.node_type = ANY (used_types) THEN
            used_types := used_types || n.node_type;
        END IF;

        -- Its edges: (next node, label, choice as history records it, dashed).
        edges := edges || ARRAY(
            SELECT CASE fmt
                     WHEN 'mermaid' THEN '    n' || n.node_index || CASE WHEN e.dashed THEN ' -.->' ELSE ' -->' END
                                         || coalesce('|"' || cjo.mermaid_text(e.label_text) || '"|', '') || ' n' || (idx ->> e.target)
                     ELSE '  n' || n.node_index || ' -> n' || (idx ->> e.target)
                          || CASE WHEN e.label_text IS NULL AND NOT e.dashed THEN ''
                                  ELSE ' [' || concat_ws(', ', 'label="' || cjo.dot_text(e.label_text) || '"',
                                                         CASE WHEN e.dashed THEN 'style=dashed' END) || ']' END || ';'
                   END
              FROM (SELECT d.target, d.dashed, d.k,
                           nullif(concat_ws(E'\n', d.label,
                                            CASE WHEN counted THEN coalesce(edge_counts ->> (n.node_index || ':' || coalesce(d.choice::text, '') || ':' || (idx ->> d.target)), '0') END),
                                  '') AS label_text
                      FROM (SELECT node ->> 'next' AS target, NULL::text AS label, NULL::integer AS choice, false AS dashed, 0::bigint AS k
                             WHERE n.node_type IN ('action', 'wait')
                            UNION ALL
                            SELECT ev ->> 'next', (ev ->> 'event') || coalesce(E'\nwhen ' || cjo.condition_text(ev ->> 'when'), ''),
                                   (k - 1)::integer, false, k
                              FROM jsonb_array_elements(node -> 'events') WITH ORDINALITY AS x(ev, k)
                             WHERE n.node_type = 'wait_event'
                            UNION ALL
                            SELECT node ->> 'timeout_next', 'time-out ' || (node ->> 'timeout'), NULL, true, 1000000
                             WHERE n.node_type = 'wait_event' AND node ? 'timeout_next'
                            UNION ALL
                            SELECT cs ->> 'next', 'case ' || k || ': ' || cjo.condition_text(cs ->> 'when'), (k - 1)::integer, false, k
                              FROM jsonb_array_elements(node -> 'cases') WITH ORDINALITY AS x(cs, k)
                             WHERE n.node_type = 'branch'
                            UNION ALL
                            SELECT node ->> 'else', 'else', NULL, false, 1000000
                             WHERE n.node_type = 'branch'
                            UNION ALL
                            SELECT v ->> 'next',
                                   (v ->> 'name') || ' '
                                   -- A learning split learns the shares; only its control's is fixed.
                                   || CASE WHEN (node ->> 'learn')::boolean AND (v ->> 'control')::boolean IS NOT TRUE
                                                AND (v ->> 'weight')::numeric > 0 THEN 'learned'
                                           ELSE round(100 * (v ->> 'weight')::numeric
                                                      / (SELECT sum((w ->> 'weight')::numeric) FROM jsonb_array_elements(node -> 'variants') w), 1)::float8
                                                || '%' END
                                   || CASE WHEN (v ->> 'control')::boolean THEN ' (control)' ELSE '' END,
                                   (k - 1)::integer, (v ->> 'control')::boolean IS TRUE, k
                              FROM jsonb_array_elements(node -> 'variants') WITH ORDINALITY AS x(v, k)
                             WHERE n.node_type = 'split'
                            UNION ALL
                            SELECT cd ->> 'next',
                                   concat_ws(E'\n', cd ->> 'name', 'when ' || cjo.condition_text(cd ->> 'when'),
                                             'score ' || cjo.condition_text(cd ->> 'score')),
                                   (k - 1)::integer, false, k
                              FROM jsonb_array_elements(node -> 'candidates') WITH ORDINALITY AS x(cd, k)
                             WHERE n.node_type = 'next_best_action'
                            UNION ALL
                            SELECT node ->> 'else', 'else', NULL, false, 1000000
                             WHERE n.node_type = 'next_best_action') d) e
             ORDER BY e.k);
    END LOOP;

    IF fmt = 'mermaid' THEN
        RETURN 'flowchart TD' || E'\n' || array_to_string(out || edges, E'\n') || E'\n'
            || (SELECT string_agg(format('    classDef %s fill:%s,stroke:#6b7280', t, colour ->> t), E'\n' ORDER BY o)
                  FROM unnest(used_types) WITH ORDINALITY AS u(t, o)) || E'\n'
            || (SELECT string_agg('    class ' || ids || ' ' || t, E'\n' ORDER BY o)
                  FROM (SELECT u.t, u.o,
                               CASE WHEN u.t = 'entry' THEN 'entry'
                                    ELSE (SELECT string_agg('n' || jn.node_index, ',' ORDER BY jn.node_index)
                                            FROM cjo.journey_nodes(graph) jn WHERE jn.node_type = u.t) END AS ids
                          FROM unnest(used_types) WITH ORDINALITY AS u(t, o)) x) || E'\n';
    END IF;
    RETURN 'digraph journey {' || E'\n'
        || '  graph [fontname="Helvetica"];' || E'\n'
        || '  node [style=filled, fontname="Helvetica", fontsize=11];' || E'\n'
        || '  edge [fontname="Helvetica", fontsize=10];' || E'\n'
        || array_to_string(out || edges, E'\n') || E'\n}\n';
END
$$;
COMMENT ON FUNCTION cjo.diagram_render(cjo.journey, text, text, jsonb, jsonb) IS
    'Draws a journey graph as Mermaid or DOT under a title; node_counts (node index -> entered, waiting, moved_on, completed, dropped, converted) and edge_counts ("from:choice:to" node indexes and choice -> transitions, "entry" -> entries) add counts';

CREATE FUNCTION @extschema@.cjo_diagram(journey_name text, format text DEFAULT 'mermaid',
                                        journey_version integer DEFAULT NULL, counts boolean DEFAULT true)
    RETURNS text
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    jid integer;
    v integer := journey_version;
    g cjo.journey;
    node_counts jsonb;
    edge_counts jsonb;
BEGIN
    SELECT j.journey_id INTO jid FROM cjo.journeys j WHERE j.name = journey_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'journey "%" does not exist', journey_name USING ERRCODE = 'undefined_object';
    END IF;
    IF v IS NULL THEN
        SELECT max(jv.version) INTO v FROM cjo.journey_versions jv WHERE jv.journey_id = jid;
        IF v IS NULL THEN
            RAISE EXCEPTION 'journey "%" has no published version', journey_name
                USING ERRCODE = 'undefined_object', HINT = 'A draft is drawn with cjo_diagram(definition).';
        END IF;
    END IF;
    SELECT jv.graph INTO g FROM cjo.journey_versions jv WHERE jv.journey_id = jid AND jv.version = v;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'journey "%" has no version %', journey_name, v USING ERRCODE = 'undefined_object';
    END IF;
    IF coalesce(counts, false) THEN
        SELECT coalesce(jsonb_object_agg(s.node_index,
                                         jsonb_build_object('entered', s.entered, 'waiting', s.waiting,
                                                            'moved_on', s.moved_on, 'completed', s.completed,
                                                            -- a run that ends at an exit node completed it
                                                            'dropped', CASE WHEN s.node_type = 'exit' THEN 0 ELSE s.dropped END,
                                                            'converted', s.converted)), '{}')
          INTO node_counts
          FROM @extschema@.cjo_journey_funnel(journey_name, v) s;
        SELECT coalesce(jsonb_object_agg(CASE WHEN t.from_node IS NULL THEN 'entry'
                                              ELSE t.from_node || ':' || coalesce(t.choice::text, '') || ':' || t.to_node END,
                                         t.transitions), '{}')
          INTO edge_counts
          FROM (SELECT st.from_node, st.choice, st.to_node, count(*) AS transitions
                  FROM cjo.steps st
                 WHERE st.journey_id = jid AND st.version = v AND st.to_node IS NOT NULL
                 GROUP BY 1, 2, 3) t;
    END IF;
    RETURN cjo.diagram_render(g, format, journey_name || ' v' || v, node_counts, edge_counts);
END
$$;
COMMENT ON FUNCTION @extschema@.cjo_diagram(text, text, integer, boolean) IS
    'A published journey version (latest by default) drawn as a Mermaid flowchart (format mermaid) or a Graphviz digraph (format dot); with counts, every node shows runs entered, waiting, moved on, completed (exit nodes), dropped and converted, and every edge the times it was taken';

CREATE FUNCTION @extschema@.cjo_diagram(definition cjo.journey, format text DEFAULT 'mermaid')
    RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS
$$ SELECT cjo.diagram_render(definition, format, cjo.journey_name(definition)) $$;
COMMENT ON FUNCTION @extschema@.cjo_diagram(cjo.journey, text) IS
    'A journey document (published or not) drawn as a Mermaid flowchart (format mermaid) or a Graphviz digraph (format dot), without counts';
