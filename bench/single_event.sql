-- pgbench script: one event per transaction, a random customer of 10000, the benchmark's event mix.
\set c random(1, 10000)
\set r random(0, 999)
INSERT INTO cjo.events (customer_id, name, channel, properties) VALUES ('cust-' || :c, CASE WHEN :r < 400 THEN 'page_view' WHEN :r < 550 THEN 'product_view' WHEN :r < 650 THEN 'search' WHEN :r < 730 THEN 'add_to_cart' WHEN :r < 850 THEN 'app_open' WHEN :r < 880 THEN 'signup' WHEN :r < 980 THEN 'purchase' ELSE 'email_open' END, 'web', jsonb_build_object('price', :r % 100, 'sku', 'SKU-' || :r, 'qty', 1 + :r % 3, 'amount', 10 + :r % 90));
