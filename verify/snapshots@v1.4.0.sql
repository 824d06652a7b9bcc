-- Verify eventstore:snapshots on pg

BEGIN;

SELECT stream_type, stream_id, version, state, created_at, reducer_version FROM data.snapshots WHERE false;
SELECT state, version, pending_events
FROM api.get_aggregate_state('VerifyStream', '00000000-0000-0000-0000-000000000000') WHERE false;

DO $$
BEGIN
    ASSERT (SELECT a.version FROM api.get_aggregate_state('VerifyStream', '00000000-0000-0000-0000-000000000000') AS a) = 0,
        'no snapshot, no events: version 0';
    ASSERT pg_catalog.has_function_privilege('eventstore_reader', 'api.load_aggregate(text, uuid)', 'EXECUTE'),
        'readers load aggregates';
END
$$;

-- Since v1.1.0 (the reworked change): load_aggregate must fold with the invoker of the reducer.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.load_aggregate(text, uuid)'::pg_catalog.regprocedure), 'reducer_invoker') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked snapshots: load_aggregate must fold with the invoker of the reducer';
    END IF;
END
$$;

ROLLBACK;
