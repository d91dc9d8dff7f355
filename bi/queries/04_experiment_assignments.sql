-- title: Experiment assignments (from journey_choices and transitions)
-- panel: table
-- The same experiment read straight from the graph and the history: every
-- variant with its weight share in the document and the runs the split sent
-- there, to check that traffic follows the weights.
SELECT c.journey, c.version, c.node AS split_node, c.label AS variant, c.control,
       count(t.customer_id) AS runs,
       round(100.0 * count(t.customer_id) / nullif(sum(count(t.customer_id)) OVER (PARTITION BY c.journey, c.version, c.node), 0), 1)
           AS pct_of_split
  FROM cjo.journey_choices c
  JOIN cjo.journey_nodes n ON n.journey_id = c.journey_id AND n.version = c.version
                          AND n.node_index = c.node_index AND n.node_type = 'split'
  LEFT JOIN cjo.transitions t ON t.journey = c.journey AND t.version = c.version
                             AND t.from_node = c.node AND t.choice = c.label
 GROUP BY c.journey, c.version, c.node, c.label, c.control, c.choice
 ORDER BY c.journey, c.version, c.node, c.choice;
