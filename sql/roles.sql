-- Roles: cjo_admin, cjo_ingest, cjo_delivery and cjo_analyst can each do
-- their job, and are refused (42501) everything else. Functions with the
-- owner's rights pin search_path, and a hostile object on the caller's
-- search_path does not reach them.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;

-- An error as its SQLSTATE and message; 'ok' when the statement worked.
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- The four roles exist, cannot log in, and only the admin is a member of
-- another cjo role (the analyst's).
SELECT rolname, rolcanlogin, rolsuper, rolinherit,
       ARRAY(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid
              WHERE m.member = r.oid ORDER BY 1) AS member_of
  FROM pg_roles r WHERE rolname LIKE 'cjo\_%' ORDER BY 1;

-- Every function of the extension that runs with the owner's rights pins
-- search_path (none is missing), and these are they.
SELECT p.oid::regprocedure AS definer_function
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cjo') AND p.prosecdef
 ORDER BY 1::text;
-- All but the events trigger, which pins it around each statement it runs
-- (tested with a hostile search_path below).
SELECT p.oid::regprocedure AS definer_function_without_pinned_search_path
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cjo') AND p.prosecdef
   AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false);
-- PUBLIC may execute no cjo_* function of the extension.
SELECT count(*) AS cjo_functions_public_may_execute
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'cjo') AND p.proname LIKE 'cjo\_%'
   AND has_function_privilege('public', p.oid, 'EXECUTE');

-- One login-less test role per cjo role (a real setup gives them LOGIN).
CREATE ROLE regress_cjo_admin NOLOGIN IN ROLE cjo_admin;
CREATE ROLE regress_cjo_ingest NOLOGIN IN ROLE cjo_ingest;
CREATE ROLE regress_cjo_delivery NOLOGIN IN ROLE cjo_delivery;
CREATE ROLE regress_cjo_analyst NOLOGIN IN ROLE cjo_analyst;

------------------------------------------------------------------------------
-- cjo_admin: publishes, archives, sweeps, simulates; reads everything.
------------------------------------------------------------------------------
SET ROLE regress_cjo_admin;
SELECT cjo_publish('{"name": "roles", "entry": {"event": "signup"}, "start": "mail",
    "nodes": {"mail": {"type": "action", "channel": "email", "template": "welcome",
                       "payload": {"tier": "{{$.profile.tier}}"}, "next": "wait"},
              "wait": {"type": "wait", "duration": "1 day", "next": "push"},
              "push": {"type": "action", "channel": "push", "template": "nudge", "next": "x"},
              "x": {"type": "exit"}}}') AS version;
SELECT j.name, v.version, v.published_by FROM cjo.journeys j JOIN cjo.journey_versions v USING (journey_id)
 WHERE j.name = 'roles';
-- Drafts, pause and resume.
SELECT cjo_save_draft('{"name": "roles_draft", "entry": {"event": "e"}, "start": "x", "nodes": {"x": {"type": "exit"}}}');
SELECT cjo_discard_draft('roles_draft');
SELECT cjo_save_draft('{"name": "roles", "entry": {"event": "e"}, "start": "x", "nodes": {"x": {"type": "exit"}}}');
SELECT d.saved_by FROM cjo.journey_drafts d JOIN cjo.journeys j USING (journey_id) WHERE j.name = 'roles';
SELECT cjo_discard_draft('roles');
SELECT cjo_pause('roles');
SELECT cjo_resume('roles');
SELECT name, status FROM cjo.journeys WHERE name LIKE 'roles%';
SELECT pg_temp.try($$INSERT INTO cjo.events (customer_id, name) VALUES ('a1', 'signup')$$) AS admin_inserts_event;
SELECT pg_temp.try($$SELECT * FROM cjo_claim(1)$$) AS admin_claims;
SELECT pg_temp.try($$SELECT cjo_report(1, 'sent')$$) AS admin_reports;
SELECT pg_temp.try($$DELETE FROM cjo.history$$) AS admin_deletes_history;
SELECT pg_temp.try($$UPDATE cjo.journey_state SET status = 'c'$$) AS admin_updates_states;
SELECT pg_temp.try($$UPDATE cjo.journey_versions SET version = 9$$) AS admin_rewrites_a_version;
SELECT pg_temp.try($$DELETE FROM cjo.journeys$$) AS admin_deletes_journeys;
SELECT pg_temp.try($$UPDATE cjo.customers SET attributes = '{}'$$) AS admin_edits_profiles;
RESET ROLE;

------------------------------------------------------------------------------
-- cjo_ingest: profiles and events. The events trigger writes states,
-- history and actions with the owner's rights: ingest cannot touch them.
------------------------------------------------------------------------------
SET ROLE regress_cjo_ingest;
INSERT INTO cjo.customers (customer_id, attributes) VALUES ('c1', '{"tier": "gold"}'), ('c2', '{"tier": "silver"}');
INSERT INTO cjo.customers AS c (customer_id, attributes) VALUES ('c2', '{"tier": "bronze"}')
    ON CONFLICT (customer_id) DO UPDATE SET attributes = c.attributes || excluded.attributes, updated_at = now();
INSERT INTO cjo.events (customer_id, name, occurred_at, idempotency_key) VALUES
    ('c1', 'signup', '2026-01-05 10:00+00', 'k1'),
    ('c2', 'signup', '2026-01-05 11:00+00', 'k2');
-- Re-sent: skipped by the duplicate trigger, which reads cjo.events for ingest.
INSERT INTO cjo.events (customer_id, name, occurred_at, idempotency_key) VALUES
    ('c1', 'signup', '2026-01-05 10:00+00', 'k1');
SELECT pg_temp.try($$SELECT * FROM cjo.events$$) AS ingest_reads_events;
SELECT pg_temp.try($$SELECT payload FROM cjo.actions$$) AS ingest_reads_payloads;
SELECT pg_temp.try($$SELECT * FROM cjo.journey_state$$) AS ingest_reads_states;
SELECT pg_temp.try($$SELECT * FROM cjo.customer_journeys$$) AS ingest_reads_views;
SELECT pg_temp.try($$INSERT INTO cjo.history (customer_id, journey_id, version, run, step, cause, at, path)
                     VALUES ('c1', 1, 1, 1, 9, 'e', now(), '{0}')$$) AS ingest_writes_history;
SELECT pg_temp.try($$UPDATE cjo.actions SET status = 'sent'$$) AS ingest_settles_actions;
SELECT pg_temp.try($$DELETE FROM cjo.events$$) AS ingest_deletes_events;
SELECT pg_temp.try($$DELETE FROM cjo.customers$$) AS ingest_deletes_profiles;
SELECT pg_temp.try($$SELECT cjo_publish('{"name": "x", "entry": {"event": "e"}, "start": "x", "nodes": {"x": {"type": "exit"}}}')$$) AS ingest_publishes;
SELECT pg_temp.try($$SELECT cjo_advance()$$) AS ingest_sweeps;
SELECT pg_temp.try($$SELECT * FROM cjo_claim(1)$$) AS ingest_claims;
SELECT pg_temp.try($$SELECT * FROM cjo_forget_customer('c1')$$) AS ingest_forgets;
RESET ROLE;
-- What the trigger did for ingest: two entries, two emails with the profile.
SELECT customer_id, name, idempotency_key FROM cjo.events ORDER BY event_id;
SELECT customer_id, node, status FROM cjo.customer_journeys ORDER BY 1;
SELECT action_id, customer_id, channel, payload, status FROM cjo.actions ORDER BY 1;

------------------------------------------------------------------------------
-- cjo_delivery: claims and reports; nothing else.
------------------------------------------------------------------------------
SET ROLE regress_cjo_delivery;
SELECT action_id, customer_id, template, payload, status, attempts, claimed_by
  FROM cjo_claim(10, '5 minutes', ARRAY['email'], 'mailer') ORDER BY 1;
SELECT cjo_report(1, 'sent') AS c1_email;
SELECT pg_temp.try($$SELECT * FROM cjo.actions$$) AS delivery_reads_outbox;
SELECT pg_temp.try($$UPDATE cjo.actions SET status = 'sent'$$) AS delivery_settles_directly;
SELECT pg_temp.try($$INSERT INTO cjo.events (customer_id, name) VALUES ('c1', 'email_opened')$$) AS delivery_inserts_event;
SELECT pg_temp.try($$SELECT * FROM cjo.customers$$) AS delivery_reads_profiles;
SELECT pg_temp.try($$SELECT cjo_publish('{"name": "x", "entry": {"event": "e"}, "start": "x", "nodes": {"x": {"type": "exit"}}}')$$) AS delivery_publishes;
SELECT pg_temp.try($$SELECT cjo_archive('roles')$$) AS delivery_archives;
SELECT pg_temp.try($$SELECT cjo_advance()$$) AS delivery_sweeps;
SELECT pg_temp.try($$SELECT * FROM cjo_explain('c1')$$) AS delivery_explains;
RESET ROLE;

------------------------------------------------------------------------------
-- cjo_analyst: reads views, tables and read-only functions; no payloads,
-- no writes, no engine calls.
------------------------------------------------------------------------------
SET ROLE regress_cjo_analyst;
SELECT customer_id, journey, node, status FROM cjo.customer_journeys ORDER BY 1;
SELECT journey, step, cause, from_node, to_node, event FROM cjo_explain('c2');
SELECT node, entered, waiting FROM cjo_journey_funnel('roles') ORDER BY node_index;
SELECT action_id, customer_id, channel, status FROM cjo.actions ORDER BY 1;
SELECT count(*) AS events FROM cjo.events;
SELECT pg_temp.try($$SELECT payload FROM cjo.actions$$) AS analyst_reads_payloads;
SELECT pg_temp.try($$SELECT * FROM cjo.actions$$) AS analyst_reads_whole_actions;
SELECT pg_temp.try($$INSERT INTO cjo.events (customer_id, name) VALUES ('c1', 'signup')$$) AS analyst_inserts_event;
SELECT pg_temp.try($$UPDATE cjo.customers SET attributes = '{}'$$) AS analyst_edits_profiles;
SELECT pg_temp.try($$SELECT * FROM cjo_claim(1)$$) AS analyst_claims;
SELECT pg_temp.try($$SELECT cjo_report(2, 'sent')$$) AS analyst_reports;
SELECT pg_temp.try($$SELECT cjo_publish('{"name": "x", "entry": {"event": "e"}, "start": "x", "nodes": {"x": {"type": "exit"}}}')$$) AS analyst_publishes;
SELECT pg_temp.try($$SELECT cjo_simulate('{"name": "x", "entry": {"event": "e"}, "start": "x", "nodes": {"x": {"type": "exit"}}}')$$) AS analyst_simulates;
SELECT pg_temp.try($$SELECT cjo_advance()$$) AS analyst_sweeps;
SELECT pg_temp.try($$SELECT * FROM cjo_forget_customer('c1')$$) AS analyst_forgets;
SELECT pg_temp.try($$CALL cjo_purge()$$) AS analyst_purges;
SELECT pg_temp.try($$SELECT cjo.lock_customer('c1')$$) AS analyst_locks_a_customer;
RESET ROLE;

------------------------------------------------------------------------------
-- The admin sweeps (the owner's rights write the states) and simulates.
------------------------------------------------------------------------------
SET ROLE regress_cjo_admin;
SELECT cjo_advance('2026-01-06 10:30+00') AS moved;
SELECT customer_id, node, status FROM cjo.customer_journeys ORDER BY 1;
SELECT action_id, customer_id, channel, status FROM cjo.actions ORDER BY 1;
SELECT (cjo_simulate('{"name": "roles", "entry": {"event": "signup"}, "start": "x",
                       "nodes": {"x": {"type": "exit"}}}', NULL, '2026-02-01'))->'customers' AS simulated_customers;
SELECT v.version, v.published_by FROM cjo.journeys j JOIN cjo.journey_versions v USING (journey_id)
 WHERE j.name = 'roles' ORDER BY 1;
SELECT pg_temp.try($$SELECT cjo.lock_customer('c1')$$) AS admin_locks_a_customer;
RESET ROLE;

------------------------------------------------------------------------------
-- search_path: a hostile schema on the caller's search_path, with functions
-- that the engine's statements would pick up (an exact-type unnest(text[])
-- beats pg_catalog's unnest(anyarray) wherever it sits on the path).
------------------------------------------------------------------------------
CREATE SCHEMA regress_hostile;
GRANT USAGE ON SCHEMA regress_hostile TO PUBLIC;
CREATE FUNCTION regress_hostile.unnest(text[]) RETURNS SETOF text LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'search_path hijacked: unnest'; END $$;
CREATE FUNCTION regress_hostile.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'search_path hijacked: clock_timestamp'; END $$;
CREATE FUNCTION regress_hostile.now() RETURNS timestamptz LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'search_path hijacked: now'; END $$;
CREATE FUNCTION regress_hostile.texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'search_path hijacked: ='; END $$;
CREATE OPERATOR regress_hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_hostile.texteq);
-- The events trigger runs statements only now and then: when it reads the
-- journeys again (after a publish), and when a table has triggers of its own
-- (then states, history and actions are written by INSERT statements).
SELECT cjo_publish('{"name": "roles_more", "entry": {"event": "never_sent"}, "start": "x", "nodes": {"x": {"type": "exit"}}}') IS NOT NULL AS published;
CREATE FUNCTION public.regress_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER regress_noop AFTER INSERT ON cjo.history FOR EACH ROW EXECUTE FUNCTION public.regress_noop();
CREATE TRIGGER regress_noop AFTER INSERT OR UPDATE ON cjo.journey_state FOR EACH ROW EXECUTE FUNCTION public.regress_noop();
-- Actions are still written directly, and get the default of a column the
-- admin added: its function (not schema-qualified inside) runs with the
-- owner's rights, so it must not see the caller's search_path either.
CREATE FUNCTION public.regress_stamp() RETURNS timestamptz LANGUAGE plpgsql AS $$ BEGIN RETURN now(); END $$;
ALTER TABLE cjo.actions ADD COLUMN regress_stamp timestamptz DEFAULT public.regress_stamp();

SET ROLE regress_cjo_ingest;
SET search_path = regress_hostile, pg_catalog, public;
-- The hostile functions are what this caller's own statements get...
SELECT pg_temp.try($$SELECT unnest(ARRAY['a'])$$) AS callers_unnest;
SELECT pg_temp.try($$SELECT clock_timestamp()$$) AS callers_clock;
SELECT pg_temp.try($$SELECT 'a'::text = 'a'::text$$) AS callers_equals;
-- ...but not the trigger's (its statements compare text and unnest arrays
-- of customer ids).
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('c3', 'signup', '2026-01-07 09:00+00');
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('c4', 'signup', '2026-01-07 09:00+00'), ('c5', 'signup', '2026-01-07 09:00+00'),
    ('c6', 'signup', '2026-01-07 09:00+00');
SHOW search_path;
RESET ROLE;
SELECT count(*) AS actions, count(regress_stamp) AS stamped FROM cjo.actions;
ALTER TABLE cjo.actions DROP COLUMN regress_stamp;
DROP FUNCTION public.regress_stamp();
DROP TRIGGER regress_noop ON cjo.history;
DROP TRIGGER regress_noop ON cjo.journey_state;
DROP FUNCTION public.regress_noop();
SET ROLE regress_cjo_delivery;
SET search_path = regress_hostile, pg_catalog, public;
-- cjo_report() computes the retry time with clock_timestamp().
SELECT action_id, customer_id, cjo_report(action_id, 'retry', 'mailbox full', '1 hour') AS outcome
  FROM cjo_claim(10, '5 minutes', ARRAY['email'], 'mailer');
RESET ROLE;
SET ROLE regress_cjo_admin;
SET search_path = regress_hostile, pg_catalog, public;
SELECT cjo_advance('2026-01-08 10:00+00') AS moved;
RESET ROLE;
RESET search_path;
SELECT customer_id, node, status FROM cjo.customer_journeys ORDER BY 1;
SELECT action_id, customer_id, channel, status, last_error,
       available_at BETWEEN now() + interval '59 minutes' AND now() + interval '61 minutes' AS retry_in_an_hour
  FROM cjo.actions ORDER BY 1;

------------------------------------------------------------------------------
-- Row-level security recipe of doc/security.md: several brands in one
-- database, the brand is the customer id's prefix, each brand's analysts
-- see only their customers.
------------------------------------------------------------------------------
CREATE ROLE regress_acme_analyst NOLOGIN IN ROLE cjo_analyst;
SET ROLE regress_cjo_ingest;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('acme:1', 'signup', '2026-01-09 09:00+00'), ('globex:1', 'signup', '2026-01-09 09:00+00');
RESET ROLE;
ALTER TABLE cjo.journey_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY brand ON cjo.journey_state FOR SELECT TO cjo_analyst
    USING (customer_id LIKE current_setting('app.brand', true) || ':%'
           OR coalesce(current_setting('app.brand', true), '') = '');
CREATE POLICY others ON cjo.journey_state
    USING (NOT pg_has_role('cjo_analyst', 'MEMBER') OR pg_has_role('cjo_admin', 'MEMBER'));
ALTER VIEW cjo.customer_journeys SET (security_invoker = on);
SET app.brand = 'acme';
SET ROLE regress_acme_analyst;
SELECT customer_id, status FROM cjo.journey_state ORDER BY 1;
SELECT customer_id, journey, node FROM cjo.customer_journeys ORDER BY 1;
RESET ROLE;
RESET app.brand;
SET ROLE regress_cjo_analyst;
SELECT count(*) AS analyst_of_no_brand_sees FROM cjo.customer_journeys;
RESET ROLE;
SET ROLE regress_cjo_admin;
SELECT count(*) AS admin_sees FROM cjo.customer_journeys;
RESET ROLE;
-- Event inserts still move every brand's customers (the trigger runs as owner).
SET ROLE regress_cjo_ingest;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('acme:2', 'signup', '2026-01-09 09:00+00'), ('globex:2', 'signup', '2026-01-09 09:00+00');
RESET ROLE;
SELECT count(*) AS states FROM cjo.journey_state;
DROP POLICY brand ON cjo.journey_state;
DROP POLICY others ON cjo.journey_state;
ALTER TABLE cjo.journey_state DISABLE ROW LEVEL SECURITY;
ALTER VIEW cjo.customer_journeys RESET (security_invoker);

-- Clean up.
DROP SCHEMA regress_hostile CASCADE;
DROP ROLE regress_cjo_admin, regress_cjo_ingest, regress_cjo_delivery, regress_cjo_analyst, regress_acme_analyst;
SELECT cjo_archive('roles');
SELECT cjo_archive('roles_more');
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
