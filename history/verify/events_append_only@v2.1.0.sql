-- Verify eventstore:events_append_only on pg

BEGIN;

DO $$
BEGIN
    IF NOT ((SELECT count(*) FROM pg_catalog.pg_trigger
            WHERE tgrelid = 'data.events'::pg_catalog.regclass
              AND tgname IN ('events_refuse_update_delete', 'events_refuse_truncate')
              AND tgenabled = 'A') = 2) THEN
        RAISE EXCEPTION 'expected: both guards fire always on data.events';
    END IF;
    IF NOT (EXISTS (SELECT FROM pg_catalog.pg_trigger
                   WHERE tgrelid = 'data.events_default'::pg_catalog.regclass
                     AND tgname = 'events_refuse_truncate' AND tgenabled = 'A')) THEN
        RAISE EXCEPTION 'expected: the DEFAULT partition refuses TRUNCATE';
    END IF;
END
$$;

ROLLBACK;
