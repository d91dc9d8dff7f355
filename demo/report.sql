-- What the demo prints at the end: the funnel, the experiment, the outbox,
-- one customer's story.
\pset footer off

\echo
\echo '== Funnel per node: SELECT * FROM cjo.node_stats ORDER BY journey, version, node_index =='
SELECT * FROM cjo.node_stats ORDER BY journey, version, node_index;

\echo '== Goals reached per journey (cjo.customer_journeys) =='
SELECT journey, count(*) AS runs, count(converted_at) AS converted,
       round(100.0 * count(converted_at) / count(*), 1) AS conversion_pct, sum(goal_value) AS goal_value
  FROM cjo.customer_journeys GROUP BY journey ORDER BY journey;

\echo '== Experiment in browse_abandonment: reminder vs control =='
WITH assigned AS MATERIALIZED (
    SELECT s.customer_id, s.journey_id, s.run, c.label AS variant, c.control
      FROM cjo.journey_choices c
      JOIN cjo.steps s ON s.journey_id = c.journey_id AND s.version = c.version
                      AND s.from_node = c.node_index AND s.choice = c.choice
     WHERE c.journey = 'browse_abandonment' AND c.node = 'experiment'
)
SELECT a.variant, a.control, count(*) AS customers, count(st.converted_at) AS converted,
       round(100.0 * count(st.converted_at) / count(*), 1) AS conversion_pct, sum(st.goal_value) AS revenue
  FROM assigned a
  JOIN cjo.journey_state st ON st.customer_id = a.customer_id AND st.journey_id = a.journey_id AND st.run = a.run
 GROUP BY a.variant, a.control ORDER BY a.control, a.variant;

\echo '== Pending actions in the outbox per journey, channel and template (cjo.actions) =='
SELECT j.name AS journey, a.channel, a.template, count(*) AS pending,
       (array_agg(a.payload ORDER BY a.action_id))[1] AS first_payload
  FROM cjo.actions a JOIN cjo.journeys j USING (journey_id)
 WHERE a.status = 'pending'
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

\echo '== A delivery worker claims three emails and reports them sent =='
SELECT action_id, customer_id, template, payload FROM cjo_claim(3, interval '5 minutes', ARRAY['email'], 'demo-worker');
SELECT action_id, cjo_report(action_id, 'sent') AS new_status
  FROM cjo.actions WHERE claimed_by = 'demo-worker' ORDER BY action_id;

\echo '== Why is customer-20 where they are? SELECT * FROM cjo_explain(''customer-20'') =='
SELECT journey, version, run, step, at::timestamp(0) AS at, cause, from_node, to_node, event, status
  FROM cjo_explain('customer-20');
