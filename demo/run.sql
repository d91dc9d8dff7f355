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

\i demo/report.sql
