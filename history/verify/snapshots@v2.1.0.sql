-- Verify eventstore:snapshots on pg

BEGIN;

SELECT stream_type, stream_id, version, state, created_at, reducer_version FROM data.snapshots WHERE false;
SELECT 'api.get_aggregate_state(text, uuid)'::pg_catalog.regprocedure,
       'api.load_aggregate(text, uuid, integer, timestamptz)'::pg_catalog.regprocedure,
       'private.save_snapshot(text, uuid, integer, jsonb)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_reader', 'api.load_aggregate(text, uuid, integer, timestamptz)', 'EXECUTE')
       OR NOT pg_catalog.has_function_privilege('eventstore_reader', 'api.get_aggregate_state(text, uuid)', 'EXECUTE') THEN
        RAISE EXCEPTION 'readers load aggregates';
    END IF;
END
$$;

ROLLBACK;
