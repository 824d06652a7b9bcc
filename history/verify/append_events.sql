-- Verify eventstore:append_events on pg

BEGIN;

DO $$
BEGIN
    IF NOT ((SELECT p.prosecdef FROM pg_catalog.pg_proc AS p
            WHERE p.oid = 'api.append_events(text, uuid, integer, jsonb, integer)'::pg_catalog.regprocedure)) THEN
        RAISE EXCEPTION 'expected: append_events is SECURITY DEFINER';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('eventstore_writer',
        'api.append_events(text, uuid, integer, jsonb, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: writers append';
    END IF;
    IF (pg_catalog.has_function_privilege('eventstore_reader',
        'api.append_events(text, uuid, integer, jsonb, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: readers do not';
    END IF;

END
$$;

ROLLBACK;
