-- Verify eventstore:reducers on pg

BEGIN;

SELECT stream_type, reducer, reducer_version, snapshot_interval, registered_at FROM data.reducers WHERE false;

DO $$
BEGIN
    ASSERT private.fold_events('pg_catalog.jsonb_concat(jsonb, jsonb)'::pg_catalog.regprocedure, '{"a": 1}', NULL)
           = '{"a": 1}', 'folding nothing returns the state';
    ASSERT pg_catalog.has_function_privilege('eventstore_admin',
        'api.register_reducer(text, regprocedure, integer, integer)', 'EXECUTE'), 'admins register reducers';
    ASSERT NOT pg_catalog.has_function_privilege('eventstore_writer',
        'api.register_reducer(text, regprocedure, integer, integer)', 'EXECUTE'), 'writers do not';
END
$$;

-- Since v1.1.0 (the reworked change): reducers must run through invokers.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.register_reducer(text, regprocedure, integer, integer)'::pg_catalog.regprocedure), 'make_invoker') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked reducers: reducers must run through invokers';
    END IF;
END
$$;

ROLLBACK;
