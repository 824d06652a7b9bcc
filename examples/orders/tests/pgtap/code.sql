-- pgTAP: change orders:code (every function, procedure and view of the example, from sql/orders/)
BEGIN;
SELECT plan(5);

SELECT is((SELECT count(*)::integer FROM pg_proc WHERE pronamespace = 'orders'::regnamespace), 19,
          'its functions and procedures are in orders');
SELECT is((SELECT count(*)::integer FROM pg_proc
           WHERE pronamespace IN ('api'::regnamespace, 'private'::regnamespace)
             AND proname IN ('create_order', 'create_customer', 'get_customer_orders', 'order_reducer',
                             'order_summaries_handler', 'load_order')), 0, 'none is left in the core''s schemas');
SELECT has_view('orders'::name, 'order_summaries_live'::name, 'readers'' name for the live version');
SELECT function_privs_are('orders', 'create_order', ARRAY['uuid', 'jsonb', 'uuid'], 'eventstore_writer', ARRAY['EXECUTE']);
SELECT is((SELECT count(*)::integer FROM pg_proc WHERE pronamespace = 'orders'::regnamespace
             AND prosrc ~ '\m(data\.(customers|order_summaries)|private\.(order|load_order|append_order|check_order))'),
          0, 'no body names the old places');

SELECT * FROM finish();
ROLLBACK;
