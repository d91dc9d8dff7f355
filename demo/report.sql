-- What the demo prints at the end: the funnel, the experiment, flows and paths,
-- an ad-hoc funnel, the outbox, one customer's story.
\pset footer off

\echo
\echo '== Funnel per node: SELECT ... FROM cjo.journey_funnel (doc/analytics.md) =='
SELECT journey, node, node_type, entered, waiting, moved_on, converted, dropped,
       round(conversion_from_entry::numeric, 3) AS from_entry, round(conversion_from_previous::numeric, 3) AS from_previous,
       date_trunc('second', median_time) AS median_time, date_trunc('second', p90_time) AS p90_time
  FROM cjo.journey_funnel ORDER BY journey, version, node_index;

\echo '== Goals reached per journey (cjo.customer_journeys) =='
SELECT journey, count(*) AS runs, count(converted_at) AS converted,
       round(100.0 * count(converted_at) / count(*), 1) AS conversion_pct, sum(goal_value) AS goal_value
  FROM cjo.customer_journeys GROUP BY journey ORDER BY journey;

\echo '== Experiments: SELECT ... FROM cjo.experiment_results =='
SELECT journey, split_node, variant, baseline, entered, converted, round(conversion_rate::numeric, 4) AS rate,
       round(lift::numeric, 3) AS lift, round(lift_ci_low::numeric, 3) AS lift_low, round(lift_ci_high::numeric, 3) AS lift_high,
       round(p_value::numeric, 4) AS p_value, round(probability_to_beat_baseline::numeric, 4) AS p_beat
  FROM cjo.experiment_results;

\echo '== The next best offer to book buyers, and how each converts: SELECT ... FROM cjo.arm_results (doc/learning.md) =='
SELECT journey, node, arm, assigned, converted, round(conversion_rate::numeric, 3) AS rate,
       round(probability_best::numeric, 3) AS probability_best
  FROM cjo.arm_results ORDER BY journey, node, arm;

\echo '== Flows between nodes, for a Sankey diagram: SELECT * FROM cjo.journey_edges =='
SELECT journey, source, target, transitions FROM cjo.journey_edges ORDER BY journey, transitions DESC, source, target;

\echo '== The most common paths through service_ticket_follow_up: cjo_journey_paths() =='
SELECT path, outcome, runs, round(share::numeric, 3) AS share, converted FROM cjo_journey_paths('service_ticket_follow_up', include_active => true, max_paths => 5);

\echo '== An ad-hoc funnel over the raw events, independent of journeys: cjo_funnel() =='
SELECT step, event, customers, dropped, round(conversion_from_first::numeric, 3) AS from_first,
       date_trunc('second', median_time_from_first) AS median_time_from_first
  FROM cjo_funnel('["product_viewed", {"event": "purchase", "when": "$.event.properties.amount >= 100", "label": "purchase of 100 or more"}]', '1 day');

\echo '== Which channels get the credit for purchases: cjo_attribution() (doc/attribution.md) =='
SELECT channel,
       round(sum(conversions) FILTER (WHERE model = 'first_touch')) AS first_touch,
       round(sum(conversions) FILTER (WHERE model = 'last_touch')) AS last_touch,
       round(sum(conversions) FILTER (WHERE model = 'linear')) AS linear,
       round(sum(conversions) FILTER (WHERE model = 'markov')) AS markov,
       round(sum(conversions) FILTER (WHERE model = 'shapley')) AS shapley,
       round(sum(value) FILTER (WHERE model = 'markov')) AS markov_value
  FROM cjo_attribution('purchase', value_key => 'amount')
 GROUP BY channel ORDER BY channel;

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
