-- Scheduling the timer sweep with pg_cron.
CREATE EXTENSION pg_cron;
SELECT cjo_schedule_sweep('*/5 * * * *') > 0 AS scheduled;
SELECT jobname, schedule, command FROM cron.job WHERE jobname = 'cjo-sweep';
-- Scheduling again changes the schedule of the same job.
SELECT cjo_schedule_sweep('* * * * *') > 0 AS rescheduled;
SELECT jobname, schedule, command FROM cron.job WHERE jobname = 'cjo-sweep';
SELECT cjo_unschedule_sweep();
SELECT count(*) FROM cron.job WHERE jobname = 'cjo-sweep';
SELECT cjo_unschedule_sweep();
-- A bad schedule is pg_cron's error.
SELECT cjo_schedule_sweep('every now and then');
DROP EXTENSION pg_cron;
-- Without pg_cron: a clear error, and the hint to call cjo_advance() from any scheduler.
SELECT cjo_schedule_sweep();
SELECT cjo_unschedule_sweep();
