-- Verify eventstore:projection_runner on pg

BEGIN;

DO $$
BEGIN
    IF NOT (pg_catalog.has_function_privilege('eventstore_projector', 'api.run_projection(text, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: projectors run projections';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('eventstore_projector', 'api.run_projections(integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: projectors run all projections';
    END IF;
    IF (pg_catalog.has_function_privilege('eventstore_writer', 'api.run_projections(integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: writers do not';
    END IF;
    IF NOT (to_regprocedure('private.projection_worker(numeric)') IS NOT NULL) THEN
        RAISE EXCEPTION 'expected: the scheduled worker exists';
    END IF;
END
$$;

ROLLBACK;
