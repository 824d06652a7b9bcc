-- Verify eventstore:append_events_idempotent on pg

BEGIN;

DO $$
BEGIN
    IF NOT (pg_catalog.has_function_privilege('eventstore_writer',
        'api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: writers append idempotently';
    END IF;
    IF NOT (SELECT p.prosecdef FROM pg_catalog.pg_proc AS p
            WHERE p.oid = 'api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer)'::pg_catalog.regprocedure) THEN
        RAISE EXCEPTION 'expected: append_events_idempotent is SECURITY DEFINER';
    END IF;
    IF pg_catalog.has_function_privilege('eventstore_reader',
        'api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'expected: readers do not append';
    END IF;
END
$$;

ROLLBACK;
