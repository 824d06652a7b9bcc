-- Verify eventstore:tracking on pg

BEGIN;

SELECT tracker, upstream, position, owner, recorded_at FROM data.tracking WHERE false;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles AS r
               WHERE r.rolname IN ('eventstore_reader', 'eventstore_writer', 'eventstore_projector', 'eventstore_admin')
                 AND pg_catalog.has_table_privilege(r.rolname, 'data.tracking', 'INSERT, UPDATE, DELETE, TRUNCATE')) THEN
        RAISE EXCEPTION 'data.tracking is written through api.record_tracking only';
    END IF;
END
$$;

ROLLBACK;
