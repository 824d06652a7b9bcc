-- Verify eventstore:projection_runner on pg

BEGIN;

SELECT 'private.mark_projection_failed(text, text, text, uuid)'::pg_catalog.regprocedure,
       'private.first_unreadable_event(integer, xid8, bigint, integer, text[], text[], integer, xid8)'::pg_catalog.regprocedure,
       'private.run_projection_batch(text, integer)'::pg_catalog.regprocedure,
       'private.run_projection_guarded(text, integer)'::pg_catalog.regprocedure,
       'private.projection_worker(numeric)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_projector', 'api.run_projection(text, integer)', 'EXECUTE')
       OR NOT pg_catalog.has_function_privilege('eventstore_projector', 'api.run_projections(integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'projectors must run projections';
    END IF;
    IF pg_catalog.has_function_privilege('eventstore_writer', 'api.run_projections(integer)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_writer', 'private.run_projection_guarded(text, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'writers must not run projections';
    END IF;
END
$$;

ROLLBACK;
