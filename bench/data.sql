-- The benchmark's data: profiles for every customer and a staging table of
-- events (:events rows over :customers customers, nine event names in a web
-- shop's proportions, spread over the last 6 days in time order).
INSERT INTO cjo.customers (customer_id, attributes)
SELECT 'cust-' || c, jsonb_build_object('tier', (ARRAY['gold', 'silver', 'bronze'])[1 + c % 3], 'country', 'JP')
  FROM generate_series(1, :customers) AS c;

CREATE UNLOGGED TABLE bench_events AS
SELECT 'cust-' || (1 + (i * 7919) % :customers) AS customer_id,
       CASE WHEN r < 400 THEN 'page_view'      -- no journey listens: 40% of the traffic
            WHEN r < 550 THEN 'product_view'
            WHEN r < 650 THEN 'search'
            WHEN r < 730 THEN 'add_to_cart'
            WHEN r < 850 THEN 'app_open'
            WHEN r < 880 THEN 'signup'
            WHEN r < 980 THEN 'purchase'
            WHEN r < 999 THEN 'email_open'      -- no journey listens either
            ELSE 'unsubscribe' END AS name,
       (ARRAY['web', 'app', 'store'])[1 + i % 3] AS channel,
       jsonb_build_object('price', i % 100, 'sku', 'SKU-' || (i % 500), 'qty', 1 + i % 3, 'amount', 10 + i % 90) AS properties,
       now() - interval '6 days' + (i::float8 / :events) * interval '6 days' AS occurred_at
  FROM generate_series(1::bigint, :events) AS i, LATERAL (SELECT (i * 31) % 1000 AS r) AS bucket;
