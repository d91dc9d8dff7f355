-- The benchmark's data: profiles for every customer and a staging table of
-- events (:events rows over :customers customers, seven event names, spread
-- over the last 6 days in time order).
INSERT INTO cjo.customers (customer_id, attributes)
SELECT 'cust-' || c, jsonb_build_object('tier', (ARRAY['gold', 'silver', 'bronze'])[1 + c % 3], 'country', 'JP')
  FROM generate_series(1, :customers) AS c;

CREATE UNLOGGED TABLE bench_events AS
SELECT 'cust-' || (1 + (i * 7919) % :customers) AS customer_id,
       (ARRAY['page_view', 'product_view', 'search', 'add_to_cart', 'app_open', 'purchase', 'unsubscribe'])
           [CASE WHEN i % 997 = 0 THEN 7 WHEN i % 13 = 0 THEN 6 ELSE 1 + i % 5 END] AS name,
       (ARRAY['web', 'app', 'store'])[1 + i % 3] AS channel,
       jsonb_build_object('price', i % 100, 'sku', 'SKU-' || (i % 500), 'qty', 1 + i % 3, 'amount', 10 + i % 90) AS properties,
       now() - interval '6 days' + (i::float8 / :events) * interval '6 days' AS occurred_at
  FROM generate_series(1, :events) AS i;
