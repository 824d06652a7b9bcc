-- Revert eventstore:roles from pg
-- A role is dropped only when no other database of the cluster still holds privileges
-- for it (pg_shdepend), so reverting one database never breaks another.

BEGIN;

DO $$
DECLARE
    l_role text;
BEGIN
    FOREACH l_role IN ARRAY ARRAY['eventstore_admin', 'eventstore_projector',
                                  'eventstore_writer', 'eventstore_reader']
    LOOP
        IF EXISTS (
            SELECT FROM pg_catalog.pg_shdepend d
            JOIN pg_catalog.pg_roles r ON r.oid = d.refobjid
            WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass
              AND r.rolname = l_role
              AND d.dbid <> (SELECT oid FROM pg_catalog.pg_database
                             WHERE datname = pg_catalog.current_database())
        ) THEN
            RAISE NOTICE 'role % is still used by another database of this cluster: kept', l_role;
        ELSE
            EXECUTE pg_catalog.format('DROP ROLE %I', l_role);
        END IF;
    END LOOP;
END
$$;

COMMIT;
