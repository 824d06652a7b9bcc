-- Verify eventstore:get_all_events on pg

BEGIN;

SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at
FROM api.get_all_events(NULL, 1)
WHERE false;

DO $$
BEGIN
    IF NOT (pg_catalog.has_function_privilege('eventstore_reader', 'api.get_all_events(uuid, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: readers read the log';
    END IF;
    IF (pg_catalog.has_function_privilege('public', 'api.get_all_events(uuid, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: PUBLIC does not';
    END IF;
END
$$;

ROLLBACK;
