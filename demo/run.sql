-- The demo, run by scripts/demo.sh from the repository root.
\set ON_ERROR_STOP on
CREATE EXTENSION pg_cron;
CREATE EXTENSION cjo CASCADE;

\echo '== Publishing two journeys =='
\set doc `cat demo/service_ticket.json`
SELECT cjo_publish(:'doc') AS service_ticket_version;
\set doc `cat demo/browse_abandonment.json`
SELECT cjo_publish(:'doc') AS browse_abandonment_version;

\echo '== Scheduling the sweep with pg_cron (every minute) =='
SELECT cjo_schedule_sweep('* * * * *') AS sweep_job;
SELECT jobname, schedule, command FROM cron.job;

\echo '== Loading customers and events =='
\timing on
\i demo/events.sql
\timing off
SELECT count(*) AS events FROM cjo.events;

\echo '== Sweeping due timers now =='
SELECT cjo_advance() AS customer_journeys_moved;

\echo '== Customers respond: within a day, a third of the reminded and a sixth of the control group buy =='
-- (Simulated behaviour, so that the experiment has something to show.)
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
SELECT t.customer_id, 'purchase', 'web', '{"category": "book", "amount": 25}', now() - interval '1 minute'
  FROM cjo.transitions t
 WHERE t.journey = 'browse_abandonment' AND t.from_node = 'experiment'
   AND abs(hashtext(t.customer_id)) % 6 < CASE t.choice WHEN 'reminder' THEN 2 ELSE 1 END;

\i demo/report.sql
