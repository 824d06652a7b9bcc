-- Deploy orders:code to pg
-- Every function, procedure and view of the example, one file each under sql/orders/<name>.sql
-- (functions and procedures, then the view): the core's layout. Each file is idempotent.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server
SET LOCAL check_function_bodies = off;  -- a body may name a function whose file comes later

\ir ../sql/orders/add_order_item.sql
\ir ../sql/orders/append_order_event.sql
\ir ../sql/orders/cancel_order.sql
\ir ../sql/orders/check_order_item.sql
\ir ../sql/orders/check_order_totals.sql
\ir ../sql/orders/create_customer.sql
\ir ../sql/orders/create_order.sql
\ir ../sql/orders/erase_forgotten_customers.sql
\ir ../sql/orders/get_customer_orders.sql
\ir ../sql/orders/load_order.sql
\ir ../sql/orders/order_items_totals.sql
\ir ../sql/orders/order_reducer.sql
\ir ../sql/orders/order_summaries_handler.sql
\ir ../sql/orders/order_summaries_v2_handler.sql
\ir ../sql/orders/project_order_events.sql
\ir ../sql/orders/reset_order_summaries.sql
\ir ../sql/orders/reset_order_summaries_v2.sql
\ir ../sql/orders/submit_order.sql
\ir ../sql/orders/upcast_order_created_v1.sql
\ir ../sql/orders/order_summaries_live.sql

COMMIT;
