-- title: Actions emitted per hour by channel
-- panel: timeseries
-- Messages handed to the outbox per hour and channel, over the last 7 days
-- (in Grafana: the dashboard's time range).
SELECT date_trunc('hour', created_at) AS time, channel AS metric, count(*) AS value
  FROM cjo.actions
 WHERE created_at >= now() - interval '7 days'
 GROUP BY 1, 2
 ORDER BY 1, 2;
