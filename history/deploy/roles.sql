-- Deploy eventstore:roles to pg
-- Group roles (NOLOGIN) that login roles are granted into:
--   eventstore_reader     reads streams, the log and read models through api
--   eventstore_writer     reader + appends events and runs commands
--   eventstore_projector  reader + runs, resumes and rebuilds projections
--   eventstore_admin      writer + projector + registers projections, schemas, upcasters,
--                         reducers and maintains partitions
-- Roles belong to the cluster while sqitch tracks one database: a role that another
-- database of this cluster already created is reused, not created again.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DO $$
DECLARE
    l_role text;
BEGIN
    FOREACH l_role IN ARRAY ARRAY['eventstore_reader', 'eventstore_writer',
                                  'eventstore_projector', 'eventstore_admin']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = l_role) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', l_role);
        END IF;
    END LOOP;

    -- Memberships: granted only when missing, so a second database deploys quietly.
    IF NOT pg_catalog.pg_has_role('eventstore_writer', 'eventstore_reader', 'MEMBER') THEN
        GRANT eventstore_reader TO eventstore_writer;
    END IF;
    IF NOT pg_catalog.pg_has_role('eventstore_projector', 'eventstore_reader', 'MEMBER') THEN
        GRANT eventstore_reader TO eventstore_projector;
    END IF;
    IF NOT pg_catalog.pg_has_role('eventstore_admin', 'eventstore_writer', 'MEMBER') THEN
        GRANT eventstore_writer TO eventstore_admin;
    END IF;
    IF NOT pg_catalog.pg_has_role('eventstore_admin', 'eventstore_projector', 'MEMBER') THEN
        GRANT eventstore_projector TO eventstore_admin;
    END IF;
END
$$;

COMMENT ON ROLE eventstore_reader IS 'Event store: read streams, the log and read models';
COMMENT ON ROLE eventstore_writer IS 'Event store: reader + append events and run commands';
COMMENT ON ROLE eventstore_projector IS 'Event store: reader + run, resume and rebuild projections';
COMMENT ON ROLE eventstore_admin IS 'Event store: everything, including registries and partitions';

COMMIT;
