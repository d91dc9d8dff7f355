-- title: Experiment variants
-- panel: table
-- Every variant of every split node: runs sent there, conversions after the
-- split, rate, lift over the control and its 95% interval, p-value and the
-- probability to beat the control.
SELECT journey, version, split_node, variant, baseline, entered, converted,
       round((100 * conversion_rate)::numeric, 1) AS conversion_pct,
       round((100 * lift)::numeric, 1) AS lift_pct,
       round((100 * lift_ci_low)::numeric, 1) AS lift_ci_low_pct,
       round((100 * lift_ci_high)::numeric, 1) AS lift_ci_high_pct,
       round(p_value::numeric, 4) AS p_value,
       round(probability_to_beat_baseline::numeric, 3) AS probability_to_beat_baseline
  FROM cjo.experiment_results
 ORDER BY journey, version, split_node, baseline DESC, variant;
