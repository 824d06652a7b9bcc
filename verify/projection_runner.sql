-- Verify eventstore:projection_runner on pg

BEGIN;

DO $$
BEGIN
    ASSERT pg_catalog.has_function_privilege('eventstore_projector', 'api.run_projection(text, integer)', 'EXECUTE'),
        'projectors run projections';
    ASSERT pg_catalog.has_function_privilege('eventstore_projector', 'api.run_projections(integer)', 'EXECUTE'),
        'projectors run all projections';
    ASSERT NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.run_projections(integer)', 'EXECUTE'),
        'writers do not';
    ASSERT api.run_projections() >= 0, 'running every projection works';
    ASSERT pg_catalog.strpos(pg_catalog.pg_get_functiondef(
               'private.run_projection_batch(text, integer)'::pg_catalog.regprocedure), 'an idle poll writes nothing') > 0,
        'a caught-up projection moves its checkpoint only past skipped events';
    ASSERT to_regprocedure('private.projection_worker(numeric)') IS NOT NULL, 'the scheduled worker exists';
END
$$;

ROLLBACK;
