-- Revert eventstore:roles from pg
-- A role is dropped only when no other database of the cluster holds privileges for it
-- (pg_shdepend) and no role outside the four was granted it (a login role of an
-- application), so reverting one database never breaks another or strips a user.

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
        ) OR EXISTS (
            SELECT FROM pg_catalog.pg_auth_members AS m
            JOIN pg_catalog.pg_roles AS g ON g.oid = m.roleid
            JOIN pg_catalog.pg_roles AS u ON u.oid = m.member
            WHERE g.rolname = l_role
              AND u.rolname NOT IN ('eventstore_reader', 'eventstore_writer',
                                    'eventstore_projector', 'eventstore_admin')
        ) THEN
            RAISE NOTICE 'role % is still used by another database or granted to a role: kept', l_role;
        ELSE
            EXECUTE pg_catalog.format('DROP ROLE %I', l_role);
        END IF;
    END LOOP;
END
$$;

COMMIT;
