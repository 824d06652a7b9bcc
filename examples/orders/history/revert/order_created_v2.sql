-- Revert orders:order_created_v2 from pg

BEGIN;

DELETE FROM data.event_upcasters WHERE event_type = 'OrderCreated' AND from_version = 1;
SELECT private.refresh_event_type('OrderCreated');
DELETE FROM data.event_types AS t
WHERE t.event_type = 'OrderCreated'
  AND NOT EXISTS (SELECT FROM data.event_upcasters AS u WHERE u.event_type = t.event_type)
  AND NOT EXISTS (SELECT FROM data.event_schemas AS s WHERE s.event_type = t.event_type);
SELECT private.drop_unused_invokers();
DROP FUNCTION private.upcast_order_created_v1(jsonb);

COMMIT;
