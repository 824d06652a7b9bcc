-- Revert eventstore:order_domain_moved from pg
-- Gives the core its Order objects back as v1.5.0 had them, by running again, in plan order,
-- the released deploy scripts that made them. Where they were kept (they held data), or
-- examples/orders made them again, there is nothing to give back. (Not one transaction: each
-- included script is its own, as it was when first deployed.)

SELECT pg_catalog.to_regclass('data.customers') IS NULL
   AND pg_catalog.to_regprocedure('api.create_order(uuid, jsonb, uuid)') IS NULL AS order_domain_gone \gset

\if :order_domain_gone
\ir ../deploy/customers@v1.1.0.sql
\ir ../deploy/order_summaries.sql
\ir ../deploy/order_aggregate.sql
\ir ../deploy/order_created_v2.sql
\ir ../deploy/order_commands@v1.1.0.sql
\ir ../deploy/get_customer_orders.sql
\ir ../deploy/customers.sql
\ir ../deploy/order_commands.sql
\endif
