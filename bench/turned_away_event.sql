-- pgbench script: one event per transaction that the benchmark journeys turn away by their entry
-- conditions alone (a product view under 20: bench_5 enters from 35, bench_10 from 20, and no
-- journey hears product_view in another role), a random customer of 10000.
\set c random(1, 10000)
\set r random(0, 19)
INSERT INTO cjo.events (customer_id, name, channel, properties) VALUES ('cust-' || :c, 'product_view', 'web', jsonb_build_object('price', :r, 'sku', 'SKU-' || :r, 'qty', 1, 'amount', 10 + :r));
