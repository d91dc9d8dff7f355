-- Before the single-event pairs of a running shop: 30 events of the benchmark's mix for each of the
-- 10000 customers of bench/single_event.sql, in one statement through the trigger, so that the
-- customers are already in their journeys when the pairs start.
INSERT INTO cjo.events (customer_id, name, channel, properties)
SELECT 'cust-' || c,
       CASE WHEN r < 400 THEN 'page_view' WHEN r < 550 THEN 'product_view' WHEN r < 650 THEN 'search'
            WHEN r < 730 THEN 'add_to_cart' WHEN r < 850 THEN 'app_open' WHEN r < 880 THEN 'signup'
            WHEN r < 980 THEN 'purchase' ELSE 'email_open' END,
       'web', jsonb_build_object('price', r % 100, 'sku', 'SKU-' || r, 'qty', 1 + r % 3, 'amount', 10 + r % 90)
  FROM generate_series(1, 10000) AS c, generate_series(1, 30) AS k,
       LATERAL (SELECT (hashint4(c * 31 + k) & 1023) % 1000 AS r) AS x;
