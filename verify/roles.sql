-- Verify eventstore:roles on pg

BEGIN;

DO $$
BEGIN
    ASSERT (SELECT count(*) FROM pg_catalog.pg_roles
            WHERE rolname IN ('eventstore_reader', 'eventstore_writer',
                              'eventstore_projector', 'eventstore_admin')
              AND NOT rolcanlogin) = 4, 'the four NOLOGIN group roles exist';
    ASSERT pg_catalog.pg_has_role('eventstore_writer', 'eventstore_reader', 'MEMBER'),
        'writer is a reader';
    ASSERT pg_catalog.pg_has_role('eventstore_projector', 'eventstore_reader', 'MEMBER'),
        'projector is a reader';
    ASSERT pg_catalog.pg_has_role('eventstore_admin', 'eventstore_writer', 'MEMBER')
       AND pg_catalog.pg_has_role('eventstore_admin', 'eventstore_projector', 'MEMBER'),
        'admin is a writer and a projector';
END
$$;

ROLLBACK;
