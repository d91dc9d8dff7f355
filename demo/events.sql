-- Sample customers and events for the demo: a few thousand customers over the
-- last three days, so that cjo_advance() finds due timers.
SET client_min_messages = warning;

INSERT INTO cjo.customers (customer_id, attributes)
SELECT 'customer-' || i,
       jsonb_build_object('name', 'Customer ' || i, 'open_tickets', CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END)
  FROM generate_series(1, 3000) AS i;

-- Browsing: every customer views a product; a third of them buy within the hour.
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
SELECT 'customer-' || i, 'product_viewed', 'web',
       jsonb_build_object('sku', 'SKU-' || (i % 40)), now() - interval '3 days' + i * interval '1 minute'
  FROM generate_series(1, 3000) AS i;
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
SELECT 'customer-' || i, 'purchase', 'web',
       jsonb_build_object('category', 'book', 'amount', 20 + i % 30), now() - interval '3 days' + i * interval '1 minute' + interval '20 minutes'
  FROM generate_series(1, 3000) AS i WHERE i % 3 = 0;

-- Computers: one customer in five buys one; some open a ticket, some resolve it.
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
SELECT 'customer-' || i, 'purchase', 'store',
       jsonb_build_object('category', 'computer', 'model', 'Laptop ' || (i % 3 + 13), 'amount', 1200),
       now() - interval '3 days' + i * interval '10 seconds'
  FROM generate_series(1, 3000) AS i WHERE i % 5 = 0;
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
SELECT 'customer-' || i, 'ticket_resolved', 'call_center', jsonb_build_object('ticket_id', 'T-' || i),
       now() - interval '2 hours'
  FROM generate_series(1, 3000) AS i WHERE i % 20 = 0;
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
SELECT 'customer-' || i, 'unsubscribed', 'email', '{}', now() - interval '1 day'
  FROM generate_series(1, 3000) AS i WHERE i % 97 = 0;
