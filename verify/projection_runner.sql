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

-- Since v1.2.0 (the reworked change): readers wait only for appenders.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('private.run_projection_batch(text, integer)'::pg_catalog.regprocedure), 'read_horizon') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked projection_runner: the read horizon must wait only for appenders';
    END IF;
END
$$;

-- Since v1.3.0 (the reworked change): the worker backs off from 10 ms when idle.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('private.projection_worker(numeric)'::pg_catalog.regprocedure), 'l_idle_sleep') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked projection_runner: the worker must poll again soon after work';
    END IF;
END
$$;

ROLLBACK;
