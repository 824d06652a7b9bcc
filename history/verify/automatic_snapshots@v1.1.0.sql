-- Verify eventstore:automatic_snapshots on pg

BEGIN;

DO $$
BEGIN
    IF NOT ((SELECT p.handler FROM data.projections AS p WHERE p.projection_name = 'snapshots')
           = 'private.maybe_create_snapshot(data.events[])'::pg_catalog.regprocedure) THEN
        RAISE EXCEPTION 'expected: projection snapshots is registered';
    END IF;
    IF pg_catalog.has_function_privilege('public', 'private.maybe_create_snapshot(data.events[])', 'EXECUTE') THEN
        RAISE EXCEPTION 'expected: PUBLIC does not run the snapshot handler';
    END IF;
END
$$;

ROLLBACK;
