-- Verify eventstore:reducers on pg

BEGIN;

SELECT stream_type, reducer, reducer_version, snapshot_interval, registered_at FROM data.reducers WHERE false;

DO $$
BEGIN
    IF NOT (private.fold_events('pg_catalog.jsonb_concat(jsonb, jsonb)'::pg_catalog.regprocedure, '{"a": 1}', NULL)
           = '{"a": 1}') THEN
        RAISE EXCEPTION 'expected: folding nothing returns the state';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('eventstore_admin',
        'api.register_reducer(text, regprocedure, integer, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: admins register reducers';
    END IF;
    IF (pg_catalog.has_function_privilege('eventstore_writer',
        'api.register_reducer(text, regprocedure, integer, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: writers do not';
    END IF;
END
$$;

ROLLBACK;
