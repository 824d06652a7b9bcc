-- Verify eventstore:event_partitions on pg

BEGIN;

DO $$
DECLARE
    l_this_month date := pg_catalog.date_trunc('month', pg_catalog.now() AT TIME ZONE 'UTC')::date;
BEGIN
    IF NOT (pg_catalog.to_regclass('data.events_' || pg_catalog.to_char(l_this_month, 'YYYY_MM')) IS NOT NULL) THEN
        RAISE EXCEPTION 'expected: this month has a partition';
    END IF;
    IF NOT (pg_catalog.to_regclass('data.events_' || pg_catalog.to_char(l_this_month + interval '1 month', 'YYYY_MM')) IS NOT NULL) THEN
        RAISE EXCEPTION 'expected: next month has a partition';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('eventstore_admin', 'api.ensure_event_partitions(integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: admins maintain partitions';
    END IF;
    IF (pg_catalog.has_function_privilege('eventstore_writer', 'api.ensure_event_partitions(integer)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: writers do not';
    END IF;
END
$$;

ROLLBACK;
