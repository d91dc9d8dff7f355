-- title: Outbox health by channel
-- panel: table
-- Actions per channel and status. claimed: leased to a worker now;
-- lease_expired: claimed but the lease ran out (the worker died or is slow:
-- another claim will take them); retry_scheduled: pending, after a failed try,
-- until available_at. Ages in seconds.
SELECT channel,
       count(*) FILTER (WHERE status = 'pending' AND available_at <= now()) AS pending,
       count(*) FILTER (WHERE status = 'pending' AND available_at > now()) AS retry_scheduled,
       count(*) FILTER (WHERE status = 'claimed' AND available_at > now()) AS claimed,
       count(*) FILTER (WHERE status = 'claimed' AND available_at <= now()) AS lease_expired,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'sent') AS sent,
       round(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))) AS oldest_pending_age_s,
       max(attempts) FILTER (WHERE status IN ('pending', 'claimed')) AS max_attempts_open
  FROM cjo.actions
 GROUP BY channel
 ORDER BY channel;
