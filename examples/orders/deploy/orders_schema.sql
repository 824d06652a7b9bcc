-- Deploy orders:orders_schema to pg
-- The example moves out of the core's schemas into one of its own, orders: its tables, its
-- view and its functions and procedures, by ALTER ... SET SCHEMA (rows, checkpoints and
-- registrations stay with them: a registration names its function by oid). Their bodies still
-- name the old places until change code replaces them, in the next transaction.

-- Moving the example's objects is the point of this change (squawk's ban-set-schema): its
-- upgrade note (CHANGES.md) tells applications to call them in schema orders.
-- squawk-ignore-file ban-set-schema

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

CREATE SCHEMA orders;
COMMENT ON SCHEMA orders IS 'The Order example: customers, orders and their read model, on the event store';
GRANT USAGE ON SCHEMA orders TO eventstore_reader;

ALTER TABLE data.customers SET SCHEMA orders;
ALTER TABLE data.order_summaries SET SCHEMA orders;
ALTER TABLE data.order_summaries_v2 SET SCHEMA orders;
ALTER VIEW data.order_summaries_live SET SCHEMA orders;

ALTER PROCEDURE api.add_order_item(IN in_order_id uuid, IN in_product_id text, IN in_quantity integer, IN in_price numeric, INOUT io_new_version integer) SET SCHEMA orders;
ALTER PROCEDURE api.cancel_order(IN in_order_id uuid, IN in_reason text, INOUT io_new_version integer) SET SCHEMA orders;
ALTER PROCEDURE api.create_customer(IN in_name text, IN in_email text, INOUT io_customer_id uuid) SET SCHEMA orders;
ALTER PROCEDURE api.create_order(IN in_customer_id uuid, IN in_items jsonb, INOUT io_order_id uuid) SET SCHEMA orders;
ALTER FUNCTION api.get_customer_orders(in_customer_id uuid, in_status text, in_limit integer) SET SCHEMA orders;
ALTER PROCEDURE api.submit_order(IN in_order_id uuid, INOUT io_new_version integer) SET SCHEMA orders;
ALTER FUNCTION private.append_order_event(in_order_id uuid, in_expected_version integer, in_event_type text, in_event_data jsonb, in_command text) SET SCHEMA orders;
ALTER FUNCTION private.check_order_item(in_item jsonb, in_what text) SET SCHEMA orders;
ALTER FUNCTION private.check_order_totals(in_order_id uuid, in_items numeric, in_amount numeric) SET SCHEMA orders;
ALTER FUNCTION private.erase_forgotten_customers(in_events data.events[]) SET SCHEMA orders;
ALTER FUNCTION private.load_order(in_order_id uuid, OUT state jsonb, OUT version integer) SET SCHEMA orders;
ALTER FUNCTION private.order_items_totals(in_items jsonb, OUT quantity integer, OUT amount numeric) SET SCHEMA orders;
ALTER FUNCTION private.order_reducer(in_state jsonb, in_event data.events) SET SCHEMA orders;
ALTER FUNCTION private.order_summaries_handler(in_events data.events[]) SET SCHEMA orders;
ALTER FUNCTION private.order_summaries_v2_handler(in_events data.events[]) SET SCHEMA orders;
ALTER PROCEDURE private.project_order_events(IN in_batch_size integer) SET SCHEMA orders;
ALTER FUNCTION private.reset_order_summaries() SET SCHEMA orders;
ALTER FUNCTION private.reset_order_summaries_v2() SET SCHEMA orders;
ALTER FUNCTION private.upcast_order_created_v1(in_event_data jsonb) SET SCHEMA orders;

-- A registration's invoker is named after its function (private.make_invoker): made again
-- under the function's new name, the old one dropped once unused.
UPDATE data.projections AS p
SET handler_invoker = private.make_invoker(p.handler, 'handler', p.registered_by, false),
    reset_handler_invoker = CASE WHEN p.reset_handler IS NOT NULL
                                 THEN private.make_invoker(p.reset_handler, 'reset', p.registered_by, false) END
WHERE (SELECT f.pronamespace FROM pg_catalog.pg_proc AS f WHERE f.oid = p.handler) = 'orders'::regnamespace;
UPDATE data.reducers AS r
SET reducer_invoker = private.make_invoker(r.reducer, 'reducer', r.registered_by, false)
WHERE (SELECT f.pronamespace FROM pg_catalog.pg_proc AS f WHERE f.oid = r.reducer) = 'orders'::regnamespace;
UPDATE data.event_upcasters AS u
SET upcaster_invoker = private.make_invoker(u.upcaster, 'upcaster', u.registered_by, false)
WHERE (SELECT f.pronamespace FROM pg_catalog.pg_proc AS f WHERE f.oid = u.upcaster) = 'orders'::regnamespace;
SELECT private.drop_unused_invokers();

COMMIT;
