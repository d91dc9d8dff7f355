-- title: Sweep lag (s)
-- panel: stat
-- Timers due but not yet fired: how many, and seconds since the oldest fell
-- due; near 0 when cjo_advance() runs on schedule. Reads only the index of due
-- timers.
SELECT count(*) AS overdue_timers,
       coalesce(round(extract(epoch FROM now() - min(due_at))), 0) AS oldest_overdue_s
  FROM cjo.journey_state
 WHERE due_at <= now();
