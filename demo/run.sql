-- The demo after the journeys are published (scripts/demo.sh runs it from the
-- repository root, in a throw-away cluster).
\set ON_ERROR_STOP on
\pset footer off

\echo
\echo '== The published journeys (cjo.journey_nodes) =='
SELECT journey, version, count(*) AS nodes,
       string_agg(node || ' (' || node_type || ')', ', ' ORDER BY node_index) AS nodes_in_graph_order
  FROM cjo.journey_nodes GROUP BY journey, version ORDER BY journey, version;

\echo '== Loading 3000 customers and three days of their events (demo/events.sql) =='
\i demo/events.sql
SELECT name AS event, count(*) AS events, min(occurred_at)::timestamp(0) AS first, max(occurred_at)::timestamp(0) AS last
  FROM cjo.events GROUP BY name ORDER BY min(occurred_at);

\echo '== Where customers are before the sweep: the trigger moved them as their events arrived =='
SELECT journey, node, status, count(*) AS customers,
       count(*) FILTER (WHERE due_at <= now()) AS timer_due_now
  FROM cjo.customer_journeys GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

\echo '== SELECT cjo_advance(): fire every timer due now =='
SELECT cjo_advance() AS customer_journeys_moved;

\echo '== Scheduling the sweep with pg_cron from now on: SELECT cjo_schedule_sweep(''* * * * *'') =='
SELECT cjo_schedule_sweep('* * * * *') AS cron_job;
SELECT jobname, schedule, command FROM cron.job;

\echo '== Customers respond after the sweep (simulated) =='
\echo '   a third of the reminded and a sixth of the control group buy what they viewed;'
\echo '   a quarter of those offered accessories buy some; a fifth of the book buyers offered a'
\echo '   bundle buy it, a tenth of those offered the loyalty card take it.'
INSERT INTO cjo.events (customer_id, name, channel, properties)
SELECT s.customer_id, 'purchase', 'web', jsonb_build_object('category', 'book', 'amount', 25)
  FROM cjo.journey_choices c
  JOIN cjo.steps s ON s.journey_id = c.journey_id AND s.version = c.version
                  AND s.from_node = c.node_index AND s.choice = c.choice
 WHERE c.journey = 'browse_abandonment' AND c.node = 'experiment'
   AND abs(hashtext(s.customer_id)) % 6 < CASE WHEN c.control THEN 1 ELSE 2 END;
INSERT INTO cjo.events (customer_id, name, channel, properties)
SELECT customer_id, 'purchase', 'web', jsonb_build_object('category', 'accessory', 'amount', 30 + action_id % 70)
  FROM cjo.actions
 WHERE template = 'accessory_offer' AND action_id % 4 = 0;

INSERT INTO cjo.events (customer_id, name, channel, properties)
SELECT a.customer_id, 'purchase', 'web',
       CASE a.payload ->> 'offer' WHEN 'series_bundle' THEN '{"category": "bundle", "amount": 60}'::jsonb
                                  ELSE '{"category": "loyalty", "amount": 15}'::jsonb END
  FROM cjo.actions a
 WHERE a.template = 'next_offer'
   AND a.action_id % CASE a.payload ->> 'offer' WHEN 'series_bundle' THEN 5 ELSE 10 END = 0;

-- Fresh statistics after a bulk load, as after any large load: the views join several tables.
ANALYZE;

\i demo/report.sql
