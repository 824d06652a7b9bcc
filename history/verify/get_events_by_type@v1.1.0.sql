-- Verify eventstore:get_events_by_type on pg

BEGIN;

SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at
FROM api.get_events_by_type(ARRAY['Verified'], NULL, 1)
WHERE false;

DO $$
BEGIN
    IF NOT (pg_catalog.has_function_privilege('eventstore_reader', 'api.get_events_by_type(text[], uuid, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: readers read by type';
    END IF;
    IF (pg_catalog.has_function_privilege('public', 'api.get_events_by_type(text[], uuid, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: PUBLIC does not';
    END IF;
END
$$;

ROLLBACK;
