-- What the demo prints: the funnel, the outbox, one customer's story.
\pset footer off
\echo
\echo '== Journeys =='
SELECT name AS journey, status, (SELECT max(version) FROM cjo.journey_versions v WHERE v.journey_id = j.journey_id) AS version
  FROM cjo.journeys j ORDER BY name;
\echo '== Funnel per node (cjo.node_stats) =='
SELECT journey, node, node_type, entered, waiting, moved_on, dropped, converted
  FROM cjo.node_stats ORDER BY journey, version, node_index;
\echo '== Experiment: browse reminder vs control =='
SELECT t.choice AS variant, count(*) AS customers,
       count(*) FILTER (WHERE s.converted_at IS NOT NULL) AS converted
  FROM cjo.transitions t
  JOIN cjo.customer_journeys s ON s.customer_id = t.customer_id AND s.journey = t.journey AND s.run = t.run
 WHERE t.journey = 'browse_abandonment' AND t.from_node = 'experiment'
 GROUP BY 1 ORDER BY 1;
\echo '== Pending actions in the outbox (cjo.actions) =='
SELECT j.name AS journey, a.channel, a.template, count(*) AS pending, min(a.payload::text) AS sample_payload
  FROM cjo.actions a JOIN cjo.journeys j USING (journey_id)
 WHERE a.status = 'pending'
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
\echo '== How customer-20 got where they are: cjo_explain(''customer-20'') =='
SELECT journey, step, cause, from_node, to_node, event, status FROM cjo_explain('customer-20');
