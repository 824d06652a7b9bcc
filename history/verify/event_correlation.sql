-- Verify eventstore:event_correlation on pg

BEGIN;

SELECT 'api.get_events_by_correlation(text)'::pg_catalog.regprocedure,
       'api.get_causation_chain(uuid)'::pg_catalog.regprocedure;

DO $$
BEGIN
    -- Valid: every partition has its index attached.
    IF (SELECT count(*) FROM pg_catalog.pg_index AS i
        WHERE i.indexrelid IN ('data.events_correlation_idx'::pg_catalog.regclass, 'data.events_causation_idx'::pg_catalog.regclass)
          AND i.indisvalid) <> 2 THEN
        RAISE EXCEPTION 'the correlation and causation indexes of data.events must be valid';
    END IF;
    IF NOT pg_catalog.has_function_privilege('eventstore_reader', 'api.get_causation_chain(uuid)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('public', 'api.get_events_by_correlation(text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'forensic reads are for eventstore_reader';
    END IF;
END
$$;

ROLLBACK;
