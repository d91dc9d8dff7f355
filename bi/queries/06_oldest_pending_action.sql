-- title: Oldest pending action (s)
-- panel: stat
-- Seconds since the oldest action still waiting for a delivery worker was
-- emitted; 0 when none waits. Alert on it: delivery workers are behind.
SELECT coalesce(round(extract(epoch FROM now() - min(created_at))), 0) AS oldest_pending_age_s
  FROM cjo.actions
 WHERE status IN ('pending', 'claimed');
