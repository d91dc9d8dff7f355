-- Demo data: 3000 customers and what they did over the last three days.
-- Every event lies in the past, so some timers are already due when the
-- events arrive: cjo_advance() then moves those customers on.
--
--   every customer   views a product (one every minute, from three days ago);
--   1 in 5           viewed a laptop and buys it ten minutes later: the
--                    service_ticket journey starts for them;
--   1 in 3 others    buys what they viewed within twenty minutes;
--   1 in 10          has a service ticket open (profile attribute open_tickets);
--   1 in 20          has it resolved two and a half days after the purchase;
--   1 in 97          unsubscribes a day ago.

INSERT INTO cjo.customers (customer_id, attributes)
SELECT 'customer-' || i,
       jsonb_build_object('first_name', (ARRAY['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken'])[1 + i % 6],
                          'open_tickets', CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END)
  FROM generate_series(1, 3000) AS i;

-- One statement, in the order things happened.
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
SELECT 'customer-' || i, e.name, e.channel, e.properties, e.occurred_at
  FROM generate_series(1, 3000) AS i
 CROSS JOIN LATERAL (SELECT now() - interval '3 days' + i * interval '1 minute' AS viewed_at) v
 CROSS JOIN LATERAL (VALUES
        ('product_viewed', 'web',
         CASE WHEN i % 5 = 0 THEN jsonb_build_object('sku', 'LAPTOP-' || (13 + i % 3), 'price', 1200)
              ELSE jsonb_build_object('sku', 'SKU-' || (i % 40), 'price', 20 + i % 30) END,
         v.viewed_at, true),
        ('purchase', 'store',
         jsonb_build_object('category', 'computer', 'model', 'Laptop ' || (13 + i % 3), 'amount', 1200),
         v.viewed_at + interval '10 minutes', i % 5 = 0),
        ('purchase', 'web',
         jsonb_build_object('category', 'book', 'sku', 'SKU-' || (i % 40), 'amount', 20 + i % 30),
         v.viewed_at + interval '20 minutes', i % 5 <> 0 AND i % 3 = 0),
        ('ticket_opened', 'service_desk', jsonb_build_object('ticket_id', 'T-' || i),
         v.viewed_at + interval '1 day', i % 10 = 0),
        ('ticket_resolved', 'service_desk', jsonb_build_object('ticket_id', 'T-' || i),
         v.viewed_at + interval '2 days 12 hours', i % 20 = 0),
        ('unsubscribed', 'email', '{}'::jsonb, now() - interval '1 day', i % 97 = 0)
     ) AS e(name, channel, properties, occurred_at, happened)
 WHERE e.happened AND e.occurred_at <= now()
 ORDER BY e.occurred_at;
