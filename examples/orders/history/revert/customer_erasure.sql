-- Revert orders:customer_erasure from pg
-- The registration of OrderCreated's personal data stays while events were sealed with it
-- (it tells readers to open them); it goes when there are none.

BEGIN;

DELETE FROM data.projections WHERE projection_name = 'customer_erasure';
SELECT private.drop_unused_invokers();
DROP FUNCTION private.erase_forgotten_customers(data.events[]);
DELETE FROM data.personal_data AS p
WHERE p.event_type = 'OrderCreated'
  AND NOT EXISTS (SELECT FROM data.events AS e WHERE e.event_type = 'OrderCreated' AND e.event_data::text LIKE '%$es_sealed%');

COMMIT;
