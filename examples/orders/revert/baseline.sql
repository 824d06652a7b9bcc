-- Revert orders:baseline from pg
-- Its registrations (projections with their checkpoints, reducer, upcaster, personal data),
-- then its objects. The events stay: they are the core's.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

DELETE FROM data.projections WHERE version_of IN ('order_summaries', 'customer_erasure');  -- checkpoints cascade
DELETE FROM data.reducers WHERE stream_type = 'Order';
DELETE FROM data.event_upcasters WHERE event_type = 'OrderCreated' AND from_version = 1;
DELETE FROM data.personal_data AS p
WHERE p.event_type = 'OrderCreated'
  AND NOT EXISTS (SELECT FROM data.events AS e WHERE e.event_type = 'OrderCreated' AND e.event_data::text LIKE '%$es_sealed%');
SELECT private.drop_unused_invokers();

DROP FUNCTION api.get_customer_orders(uuid, text, integer);
DROP PROCEDURE api.cancel_order(uuid, text, integer);
DROP PROCEDURE api.submit_order(uuid, integer);
DROP PROCEDURE api.add_order_item(uuid, text, integer, numeric, integer);
DROP PROCEDURE api.create_order(uuid, jsonb, uuid);
DROP PROCEDURE api.create_customer(text, text, uuid);
DROP PROCEDURE private.project_order_events(integer);
DROP FUNCTION private.append_order_event(uuid, integer, text, jsonb, text);
DROP FUNCTION private.load_order(uuid);
DROP FUNCTION private.check_order_totals(uuid, numeric, numeric);
DROP FUNCTION private.check_order_item(jsonb, text);
DROP FUNCTION private.erase_forgotten_customers(data.events[]);
DROP FUNCTION private.order_reducer(jsonb, data.events);
DROP FUNCTION private.order_summaries_handler(data.events[]);
DROP FUNCTION private.order_summaries_v2_handler(data.events[]);
DROP FUNCTION private.reset_order_summaries();
DROP FUNCTION private.reset_order_summaries_v2();
DROP FUNCTION private.upcast_order_created_v1(jsonb);
DROP FUNCTION private.order_items_totals(jsonb);
DROP VIEW data.order_summaries_live;
DROP TABLE data.order_summaries_v2;
DROP TABLE data.order_summaries;
DROP TABLE data.customers;

COMMIT;
