-- Scheduling the analytics refresh with pg_cron.
CREATE EXTENSION pg_cron;
-- The default schedule: every 5 minutes.
SELECT cjo_schedule_analytics() > 0 AS scheduled;
SELECT jobname, schedule, command, database = current_database() AS here FROM cron.job WHERE jobname = 'cjo-analytics';
-- Scheduling again changes the schedule of the same job.
SELECT cjo_schedule_analytics('* * * * *') > 0 AS rescheduled;
SELECT jobname, schedule, command FROM cron.job WHERE jobname = 'cjo-analytics';
-- Its own job: the sweep's is not touched, and unscheduling one leaves the other.
SELECT cjo_schedule_sweep('*/2 * * * *') > 0 AS sweep_scheduled;
SELECT jobname, schedule FROM cron.job WHERE jobname LIKE 'cjo-%' ORDER BY jobname;
SELECT cjo_unschedule_analytics();
SELECT jobname, schedule FROM cron.job WHERE jobname LIKE 'cjo-%' ORDER BY jobname;
SELECT cjo_unschedule_analytics();
SELECT cjo_unschedule_sweep();
-- The job's command works as it is (what pg_cron will run).
SELECT cjo_schedule_analytics('0 4 * * *') > 0 AS scheduled;
DO $$
BEGIN
    EXECUTE (SELECT command FROM cron.job WHERE jobname = 'cjo-analytics');
END
$$;
SELECT count(*) AS refreshes FROM cjo.analytics_refresh;
SELECT cjo_unschedule_analytics();
-- A bad schedule is pg_cron's error.
SELECT cjo_schedule_analytics('every now and then');
DROP EXTENSION pg_cron;
-- Without pg_cron: a clear error, and the hint to call cjo_refresh_analytics() from any scheduler.
SELECT cjo_schedule_analytics();
SELECT cjo_unschedule_analytics();
-- Clean up: the refresh above built an (empty or not) rollup.
TRUNCATE cjo.analytics_refresh, cjo.analytics_dirty, cjo.analytics_runs, cjo.analytics_run_facts,
         cjo.analytics_node_counts, cjo.analytics_stays, cjo.analytics_waiting, cjo.analytics_edges, cjo.analytics_experiments;
