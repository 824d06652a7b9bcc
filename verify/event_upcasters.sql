-- Verify eventstore:event_upcasters on pg

BEGIN;

SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at,
       global_position, transaction_id, generation, schema_version
FROM private.events_upcast WHERE false;

DO $$
BEGIN
    ASSERT private.upcast_event('VerifyType', '{"a": 1}', 2, 2) = '{"a": 1}', 'no step, no change';
    ASSERT pg_catalog.has_function_privilege('eventstore_admin', 'api.register_upcaster(text, integer, regprocedure)', 'EXECUTE'),
        'admins register upcasters';
END
$$;

-- Since v1.1.0 (the reworked change): upcasters must run through invokers.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.register_upcaster(text, integer, regprocedure)'::pg_catalog.regprocedure), 'make_invoker') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked event_upcasters: upcasters must run through invokers';
    END IF;
END
$$;

ROLLBACK;
