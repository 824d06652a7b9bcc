-- Verify eventstore:event_upcasters on pg

BEGIN;

SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at,
       global_position, transaction_id, generation, schema_version
FROM private.events_upcast WHERE false;

DO $$
BEGIN
    IF NOT (private.upcast_event('VerifyType', '{"a": 1}', 2, 2) = '{"a": 1}') THEN
        RAISE EXCEPTION 'expected: no step, no change';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('eventstore_admin', 'api.register_upcaster(text, integer, regprocedure)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: admins register upcasters';
    END IF;
END
$$;

ROLLBACK;
