-- title: Events per hour
-- panel: timeseries
-- Events inserted, per hour and event name, over the last 7 days (in
-- Grafana: the dashboard's time range).
SELECT date_trunc('hour', occurred_at) AS time, name AS metric, count(*) AS value
  FROM cjo.events
 WHERE occurred_at >= now() - interval '7 days'
 GROUP BY 1, 2
 ORDER BY 1, 2;
