-- Canonical dumps of what the engine decided, for comparing two databases
-- (ids and wall-clock times left out; journey times kept).
--   psql -v out=DIR/prefix -f test/stress/compare.sql
\set QUIET on
\pset footer off
\o :out.state
SELECT customer_id, journey_id, version, run, step, node, status, entered_at, node_at, due_at,
       entry_event_id, ended_at, converted_at, goal_value, data
  FROM cjo.journey_state ORDER BY customer_id, journey_id;
\o :out.history
SELECT customer_id, journey_id, version, run, step, cause, event_id, at, path, choices
  FROM cjo.history ORDER BY customer_id, journey_id, run, step;
\o :out.actions
SELECT customer_id, journey_id, version, run, node, channel, template, payload, event_id, status
  FROM cjo.actions ORDER BY customer_id, journey_id, run, node, event_id, template, payload::text;
\o
