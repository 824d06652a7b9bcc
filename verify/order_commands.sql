-- Verify eventstore:order_commands on pg (shape and privileges; behaviour: tests/pgtap/order_commands.sql)

BEGIN;

SELECT 'api.create_order(uuid, jsonb, uuid)'::pg_catalog.regprocedure,
       'api.add_order_item(uuid, text, integer, numeric, integer)'::pg_catalog.regprocedure,
       'api.submit_order(uuid, integer)'::pg_catalog.regprocedure,
       'api.cancel_order(uuid, text, integer)'::pg_catalog.regprocedure,
       'private.check_order_totals(uuid, numeric, numeric)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.create_order(uuid, jsonb, uuid)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_reader', 'api.submit_order(uuid, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'writers, and not readers, run Order commands';
    END IF;
END
$$;

ROLLBACK;
