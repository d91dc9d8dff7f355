-- title: Funnel by node
-- panel: table
-- Every node of every journey version in graph order: runs that reached it,
-- wait there now, moved on, dropped off there (ended without the goal) and
-- reached the goal while there; share of the version's entries that got here.
SELECT journey, version, node_index, node, node_type, entered, waiting, moved_on, dropped, converted,
       round(100.0 * entered / nullif(first_value(entered) OVER (PARTITION BY journey, version ORDER BY node_index), 0), 1)
           AS pct_of_entries
  FROM cjo.node_stats
 ORDER BY journey, version, node_index;
