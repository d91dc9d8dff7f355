-- title: Journey moves per hour by cause
-- panel: timeseries
-- What moved customers, per hour: entries, awaited events, timers, time-outs,
-- exit events, goals, re-entries, over the last 7 days (in Grafana: the
-- dashboard's time range).
SELECT date_trunc('hour', at) AS time, cjo.cause_name(cause) AS metric, count(*) AS value
  FROM cjo.history
 WHERE at >= now() - interval '7 days'
 GROUP BY 1, 2
 ORDER BY 1, 2;
