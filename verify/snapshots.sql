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
    -- Since v1.1.0: load_aggregate folds with the invoker of the reducer.
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.load_aggregate(text, uuid, integer, timestamptz)'::pg_catalog.regprocedure),
                         'reducer_invoker') = 0 THEN
        RAISE EXCEPTION 'load_aggregate must fold with the invoker of the reducer';
    END IF;
END
$$;

ROLLBACK;
