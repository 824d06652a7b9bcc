-- Verify eventstore:roles on pg

BEGIN;

DO $$
BEGIN
    IF NOT ((SELECT count(*) FROM pg_catalog.pg_roles
            WHERE rolname IN ('eventstore_reader', 'eventstore_writer',
                              'eventstore_projector', 'eventstore_admin')
              AND NOT rolcanlogin) = 4) THEN
        RAISE EXCEPTION 'expected: the four NOLOGIN group roles exist';
    END IF;
    IF NOT (pg_catalog.pg_has_role('eventstore_writer', 'eventstore_reader', 'MEMBER')) THEN
        RAISE EXCEPTION 'expected: writer is a reader';
    END IF;
    IF NOT (pg_catalog.pg_has_role('eventstore_projector', 'eventstore_reader', 'MEMBER')) THEN
        RAISE EXCEPTION 'expected: projector is a reader';
    END IF;
    IF NOT (pg_catalog.pg_has_role('eventstore_admin', 'eventstore_writer', 'MEMBER')
       AND pg_catalog.pg_has_role('eventstore_admin', 'eventstore_projector', 'MEMBER')) THEN
        RAISE EXCEPTION 'expected: admin is a writer and a projector';
    END IF;
END
$$;

ROLLBACK;
