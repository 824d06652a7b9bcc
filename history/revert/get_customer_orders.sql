-- Revert eventstore:get_customer_orders from pg

BEGIN;

DROP FUNCTION api.get_customer_orders(uuid, text, integer);

COMMIT;
