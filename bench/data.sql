-- The benchmark's data, generated once: profiles for every customer, and
-- :events events over :customers customers written to the file :'file' in
-- COPY format (customer_id, name, channel, properties, occurred_at), then
-- read back into the staging table bench_events.  Both kinds of load (COPY
-- from the file, INSERT ... SELECT from the table) load the very same rows.
--
-- Event i belongs to customer 1 + (i * 7919) % customers, so each customer's
-- events are spread over the whole period (six days, up to the start of the
-- run, in time order).  Its name, channel and properties come from a hash of
-- i, so each customer sends a mix of events: nine names in a web shop's
-- proportions, page views (40%) and email opens starting no journey.
INSERT INTO cjo.customers (customer_id, attributes)
SELECT 'cust-' || c,
       jsonb_build_object('tier', (ARRAY['gold', 'silver', 'bronze'])[1 + c % 3],
                          'country', (ARRAY['JP', 'FR', 'US', 'DE'])[1 + c % 4],
                          'vip', c % 10 = 0)
  FROM generate_series(1, :customers) AS c;

COPY (
    SELECT 'cust-' || (1 + (i * 7919) % :customers) AS customer_id,
           CASE WHEN r < 400 THEN 'page_view'
                WHEN r < 550 THEN 'product_view'
                WHEN r < 650 THEN 'search'
                WHEN r < 730 THEN 'add_to_cart'
                WHEN r < 850 THEN 'app_open'
                WHEN r < 880 THEN 'signup'
                WHEN r < 980 THEN 'purchase'
                WHEN r < 997 THEN 'email_open'
                ELSE 'unsubscribe' END AS name,
           (ARRAY['web', 'app', 'store'])[1 + (h / 1000) % 3] AS channel,
           jsonb_build_object('price', (h / 3000) % 100, 'sku', 'SKU-' || (h / 7) % 500,
                              'qty', 1 + (h / 300000) % 3, 'amount', 10 + (h / 11) % 90) AS properties,
           now() - interval '6 days' + (i::float8 / :events) * interval '6 days' AS occurred_at
      FROM generate_series(1::bigint, :events) AS i,
           LATERAL (SELECT abs(hashint8(i)::bigint) AS h) AS hash,
           LATERAL (SELECT h % 1000 AS r) AS bucket
     ORDER BY i
) TO :'file';

CREATE UNLOGGED TABLE bench_events (
    customer_id text NOT NULL,
    name        text NOT NULL,
    channel     text,
    properties  jsonb NOT NULL,
    occurred_at timestamptz NOT NULL
);
COPY bench_events FROM :'file';
