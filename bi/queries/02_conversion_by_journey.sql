-- title: Conversion by journey
-- panel: table
-- Runs per journey version, how many are still active, reached the goal,
-- and the goal value of the customers' current runs (e.g. revenue).
SELECT j.name AS journey, r.version, count(*) AS runs,
       count(*) FILTER (WHERE r.outcome = 'active') AS active,
       count(r.converted_at) AS converted,
       round(100.0 * count(r.converted_at) / count(*), 1) AS conversion_pct,
       (SELECT sum(s.goal_value) FROM cjo.journey_state s
         WHERE s.journey_id = r.journey_id AND s.version = r.version) AS goal_value
  FROM cjo.runs r
  JOIN cjo.journeys j USING (journey_id)
 GROUP BY j.name, r.journey_id, r.version
 ORDER BY journey, version;
