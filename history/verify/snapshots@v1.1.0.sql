-- Verify eventstore:snapshots on pg

BEGIN;

SELECT stream_type, stream_id, version, state, created_at, reducer_version FROM data.snapshots WHERE false;
SELECT state, version, pending_events
FROM api.get_aggregate_state('VerifyStream', '00000000-0000-0000-0000-000000000000') WHERE false;

DO $$
BEGIN
    IF NOT (pg_catalog.has_function_privilege('eventstore_reader', 'api.load_aggregate(text, uuid)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: readers load aggregates';
    END IF;
END
$$;

ROLLBACK;
