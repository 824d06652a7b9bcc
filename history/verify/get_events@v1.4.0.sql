-- Verify eventstore:get_events on pg

BEGIN;

SELECT id, version, event_type, event_data, metadata, created_at
FROM api.get_events('VerifyStream', '00000000-0000-0000-0000-000000000000', 0)
WHERE false;

DO $$
BEGIN
    IF NOT (pg_catalog.has_function_privilege('eventstore_reader', 'api.get_events(text, uuid, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: readers read streams';
    END IF;
    IF (pg_catalog.has_function_privilege('public', 'api.get_events(text, uuid, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: PUBLIC does not';
    END IF;
END
$$;

ROLLBACK;
