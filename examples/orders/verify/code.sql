-- Verify orders:code on pg

BEGIN;

SELECT 'orders.add_order_item(uuid, text, integer, numeric, integer)'::regprocedure;
SELECT 'orders.cancel_order(uuid, text, integer)'::regprocedure;
SELECT 'orders.create_customer(text, text, uuid)'::regprocedure;
SELECT 'orders.create_order(uuid, jsonb, uuid)'::regprocedure;
SELECT 'orders.get_customer_orders(uuid, text, integer)'::regprocedure;
SELECT 'orders.submit_order(uuid, integer)'::regprocedure;
SELECT 'orders.append_order_event(uuid, integer, text, jsonb, text)'::regprocedure;
SELECT 'orders.check_order_item(jsonb, text)'::regprocedure;
SELECT 'orders.check_order_totals(uuid, numeric, numeric)'::regprocedure;
SELECT 'orders.erase_forgotten_customers(data.events[])'::regprocedure;
SELECT 'orders.load_order(uuid)'::regprocedure;
SELECT 'orders.order_items_totals(jsonb)'::regprocedure;
SELECT 'orders.order_reducer(jsonb, data.events)'::regprocedure;
SELECT 'orders.order_summaries_handler(data.events[])'::regprocedure;
SELECT 'orders.order_summaries_v2_handler(data.events[])'::regprocedure;
SELECT 'orders.project_order_events(integer)'::regprocedure;
SELECT 'orders.reset_order_summaries()'::regprocedure;
SELECT 'orders.reset_order_summaries_v2()'::regprocedure;
SELECT 'orders.upcast_order_created_v1(jsonb)'::regprocedure;
SELECT 'orders.order_summaries_live'::regclass;
SELECT 1/pg_catalog.has_function_privilege('eventstore_writer', 'orders.create_order(uuid, jsonb, uuid)', 'EXECUTE')::int;
SELECT 1/pg_catalog.has_function_privilege('eventstore_reader', 'orders.get_customer_orders(uuid, text, integer)', 'EXECUTE')::int;
SELECT 1/(pg_catalog.strpos(pg_catalog.pg_get_functiondef('orders.create_order(uuid, jsonb, uuid)'::regprocedure),
                            'orders.customers') > 0)::int;  -- the body names the new places

ROLLBACK;
