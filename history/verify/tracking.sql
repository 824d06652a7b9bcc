-- Verify eventstore:tracking on pg

BEGIN;

SELECT tracker, upstream, position, owner, recorded_at FROM data.tracking WHERE false;
SELECT tracker, consumer_role FROM data.tracker_roles WHERE false;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles AS r
               WHERE r.rolname IN ('eventstore_reader', 'eventstore_writer', 'eventstore_projector', 'eventstore_admin')
                 AND (pg_catalog.has_table_privilege(r.rolname, 'data.tracking', 'INSERT, UPDATE, DELETE, TRUNCATE')
                      OR pg_catalog.has_table_privilege(r.rolname, 'data.tracker_roles', 'INSERT, UPDATE, DELETE, TRUNCATE'))) THEN
        RAISE EXCEPTION 'data.tracking and data.tracker_roles are written through the api only';
    END IF;
END
$$;

ROLLBACK;
