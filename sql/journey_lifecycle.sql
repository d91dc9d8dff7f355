-- Journey lifecycle: drafts, pause and resume.
SET timezone = 'UTC';
TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
\set doc '{"name": "lc_welcome", "entry": {"event": "signup"}, "start": "hello", "nodes": {"hello": {"type": "action", "channel": "email", "template": "hello", "next": "wait"}, "wait": {"type": "wait", "duration": "1 day", "next": "again"}, "again": {"type": "action", "channel": "email", "template": "again", "next": "done"}, "done": {"type": "exit"}}}'

-- A draft is validated when it is saved, but no customer sees it.
SELECT cjo_save_draft(:'doc');
SELECT name, status FROM cjo.journeys WHERE name = 'lc_welcome';
SELECT count(*) AS versions FROM cjo.journey_versions v JOIN cjo.journeys j USING (journey_id) WHERE j.name = 'lc_welcome';
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('d1', 'signup', '2026-03-01 10:00');
SELECT count(*) AS states FROM cjo.journey_state;
\set VERBOSITY sqlstate
SELECT cjo_save_draft('{"name": "lc_welcome", "entry": {"event": "signup"}, "start": "nowhere", "nodes": {}}');
\set VERBOSITY default
-- Saving again replaces the draft.
SELECT cjo_save_draft(replace(:'doc', '"1 day"', '"2 days"'));
SELECT j.name, d.graph::jsonb #>> '{nodes,wait,duration}' AS draft_wait
  FROM cjo.journey_drafts d JOIN cjo.journeys j USING (journey_id);

-- Publishing the draft: version 1, active, the draft is gone; customers enter.
SELECT cjo_publish_draft('lc_welcome');
SELECT name, status FROM cjo.journeys WHERE name = 'lc_welcome';
SELECT count(*) AS drafts FROM cjo.journey_drafts;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES
    ('a', 'signup', '2026-03-01 10:00'), ('b', 'signup', '2026-03-01 11:00');
SELECT customer_id, version, node, status, due_at FROM cjo.customer_journeys WHERE journey = 'lc_welcome' ORDER BY 1;

-- A draft of the next version does not touch the live one; discarding it
-- leaves version 1 alone.
SELECT cjo_save_draft(:'doc');
SELECT name, status FROM cjo.journeys WHERE name = 'lc_welcome';
SELECT cjo_discard_draft('lc_welcome');
SELECT count(*) AS drafts, (SELECT count(*) FROM cjo.journey_versions v JOIN cjo.journeys j USING (journey_id) WHERE j.name = 'lc_welcome') AS versions
  FROM cjo.journey_drafts;

-- Pause: customers stay where they are. A new signup does not enter, and the
-- sweep after their timers fell due moves nobody.
SELECT cjo_pause('lc_welcome');
SELECT name, status FROM cjo.journeys WHERE name = 'lc_welcome';
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('c', 'signup', '2026-03-02 09:00');
SELECT cjo_advance('2026-03-04 00:00') AS moved_while_paused;
SELECT customer_id, node, status FROM cjo.customer_journeys WHERE journey = 'lc_welcome' ORDER BY 1;
-- Publishing a new version of a paused journey keeps it paused.
SELECT cjo_publish(:'doc') AS version;
SELECT name, status FROM cjo.journeys WHERE name = 'lc_welcome';
-- Resume: the next sweep fires the timers that fell due during the pause
-- (at their due times), and new events move customers again.
SELECT cjo_resume('lc_welcome');
SELECT cjo_advance('2026-03-04 00:00') AS moved_after_resume;
SELECT customer_id, version, node, status, ended_at FROM cjo.customer_journeys WHERE journey = 'lc_welcome' ORDER BY 1;
SELECT customer_id, template FROM cjo.actions ORDER BY action_id;
INSERT INTO cjo.events (customer_id, name, occurred_at) VALUES ('e', 'signup', '2026-03-04 09:00');
SELECT customer_id, version, node, status FROM cjo.customer_journeys WHERE customer_id = 'e';

-- Wrong moves: a clear error each.
\set VERBOSITY sqlstate
SELECT cjo_resume('lc_welcome');
SELECT cjo_pause('nope');
SELECT cjo_publish_draft('lc_welcome');
SELECT cjo_discard_draft('lc_welcome');
SELECT cjo_archive('lc_welcome');
SELECT cjo_pause('lc_welcome');
\set VERBOSITY default

-- A draft that is never published: discarding it removes the journey too.
SELECT cjo_save_draft('{"name": "lc_idea", "entry": {"event": "x"}, "start": "done", "nodes": {"done": {"type": "exit"}}}');
SELECT name, status FROM cjo.journeys WHERE name = 'lc_idea';
SELECT cjo_discard_draft('lc_idea');
SELECT count(*) FROM cjo.journeys WHERE name = 'lc_idea';

TRUNCATE cjo.events, cjo.customers, cjo.journey_state, cjo.history, cjo.actions RESTART IDENTITY;
