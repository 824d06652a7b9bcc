-- Verify orders:order_commands on pg

BEGIN;

SELECT 'api.create_order(uuid, jsonb, uuid)'::pg_catalog.regprocedure,
       'api.add_order_item(uuid, text, integer, numeric, integer)'::pg_catalog.regprocedure,
       'api.submit_order(uuid, integer)'::pg_catalog.regprocedure,
       'api.cancel_order(uuid, text, integer)'::pg_catalog.regprocedure,
       'private.check_order_item(jsonb, text)'::pg_catalog.regprocedure,
       'private.check_order_totals(uuid, numeric, numeric)'::pg_catalog.regprocedure,
       'private.load_order(uuid)'::pg_catalog.regprocedure,
       'private.append_order_event(uuid, integer, text, jsonb, text)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.create_order(uuid, jsonb, uuid)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_reader', 'api.create_order(uuid, jsonb, uuid)', 'EXECUTE') THEN
        RAISE EXCEPTION 'writers, not readers, must run api.create_order';
    END IF;
    IF NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.add_order_item(uuid, text, integer, numeric, integer)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_reader', 'api.add_order_item(uuid, text, integer, numeric, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'writers, not readers, must run api.add_order_item';
    END IF;
    IF NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.submit_order(uuid, integer)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_reader', 'api.submit_order(uuid, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'writers, not readers, must run api.submit_order';
    END IF;
    IF NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.cancel_order(uuid, text, integer)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_reader', 'api.cancel_order(uuid, text, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'writers, not readers, must run api.cancel_order';
    END IF;
    IF pg_catalog.has_function_privilege('public', 'private.check_order_item(jsonb, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not execute private.check_order_item';
    END IF;
    IF pg_catalog.has_function_privilege('public', 'private.check_order_totals(uuid, numeric, numeric)', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not execute private.check_order_totals';
    END IF;
    IF pg_catalog.has_function_privilege('public', 'private.load_order(uuid)', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not execute private.load_order';
    END IF;
    IF pg_catalog.has_function_privilege('public', 'private.append_order_event(uuid, integer, text, jsonb, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'PUBLIC must not execute private.append_order_event';
    END IF;
END
$$;

ROLLBACK;
