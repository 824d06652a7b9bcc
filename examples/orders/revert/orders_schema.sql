-- Revert orders:orders_schema from pg
-- Everything back where the baseline made it (code's revert gave the bodies back first).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

ALTER VIEW orders.order_summaries_live SET SCHEMA data;
ALTER TABLE orders.order_summaries_v2 SET SCHEMA data;
ALTER TABLE orders.order_summaries SET SCHEMA data;
ALTER TABLE orders.customers SET SCHEMA data;

ALTER PROCEDURE orders.add_order_item(IN in_order_id uuid, IN in_product_id text, IN in_quantity integer, IN in_price numeric, INOUT io_new_version integer) SET SCHEMA api;
ALTER PROCEDURE orders.cancel_order(IN in_order_id uuid, IN in_reason text, INOUT io_new_version integer) SET SCHEMA api;
ALTER PROCEDURE orders.create_customer(IN in_name text, IN in_email text, INOUT io_customer_id uuid) SET SCHEMA api;
ALTER PROCEDURE orders.create_order(IN in_customer_id uuid, IN in_items jsonb, INOUT io_order_id uuid) SET SCHEMA api;
ALTER FUNCTION orders.get_customer_orders(in_customer_id uuid, in_status text, in_limit integer) SET SCHEMA api;
ALTER PROCEDURE orders.submit_order(IN in_order_id uuid, INOUT io_new_version integer) SET SCHEMA api;
ALTER FUNCTION orders.append_order_event(in_order_id uuid, in_expected_version integer, in_event_type text, in_event_data jsonb, in_command text) SET SCHEMA private;
ALTER FUNCTION orders.check_order_item(in_item jsonb, in_what text) SET SCHEMA private;
ALTER FUNCTION orders.check_order_totals(in_order_id uuid, in_items numeric, in_amount numeric) SET SCHEMA private;
ALTER FUNCTION orders.erase_forgotten_customers(in_events data.events[]) SET SCHEMA private;
ALTER FUNCTION orders.load_order(in_order_id uuid, OUT state jsonb, OUT version integer) SET SCHEMA private;
ALTER FUNCTION orders.order_items_totals(in_items jsonb, OUT quantity integer, OUT amount numeric) SET SCHEMA private;
ALTER FUNCTION orders.order_reducer(in_state jsonb, in_event data.events) SET SCHEMA private;
ALTER FUNCTION orders.order_summaries_handler(in_events data.events[]) SET SCHEMA private;
ALTER FUNCTION orders.order_summaries_v2_handler(in_events data.events[]) SET SCHEMA private;
ALTER PROCEDURE orders.project_order_events(IN in_batch_size integer) SET SCHEMA private;
ALTER FUNCTION orders.reset_order_summaries() SET SCHEMA private;
ALTER FUNCTION orders.reset_order_summaries_v2() SET SCHEMA private;
ALTER FUNCTION orders.upcast_order_created_v1(in_event_data jsonb) SET SCHEMA private;

-- A registration's invoker is named after its function (private.make_invoker): made again
-- under the function's new name, the old one dropped once unused.
UPDATE data.projections AS p
SET handler_invoker = private.make_invoker(p.handler, 'handler', p.registered_by, false),
    reset_handler_invoker = CASE WHEN p.reset_handler IS NOT NULL
                                 THEN private.make_invoker(p.reset_handler, 'reset', p.registered_by, false) END
WHERE (SELECT f.pronamespace FROM pg_catalog.pg_proc AS f WHERE f.oid = p.handler) IN ('api'::regnamespace, 'private'::regnamespace);
UPDATE data.reducers AS r
SET reducer_invoker = private.make_invoker(r.reducer, 'reducer', r.registered_by, false)
WHERE (SELECT f.pronamespace FROM pg_catalog.pg_proc AS f WHERE f.oid = r.reducer) IN ('api'::regnamespace, 'private'::regnamespace);
UPDATE data.event_upcasters AS u
SET upcaster_invoker = private.make_invoker(u.upcaster, 'upcaster', u.registered_by, false)
WHERE (SELECT f.pronamespace FROM pg_catalog.pg_proc AS f WHERE f.oid = u.upcaster) IN ('api'::regnamespace, 'private'::regnamespace);
SELECT private.drop_unused_invokers();

DROP SCHEMA orders;

COMMIT;
