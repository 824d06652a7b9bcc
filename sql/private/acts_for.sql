-- May in_role change code that runs with in_registrant's rights without gaining any? Yes
-- for the registrant itself, roles it can become, superusers and the bundle's owner.
-- pg_database_owner (owner of schema public) stands for the owner of this database.

CREATE OR REPLACE FUNCTION private.acts_for(in_registrant name, in_role oid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.role <> 0
       AND (pg_catalog.pg_has_role(in_registrant, r.role, 'MEMBER')
            OR r.role = (SELECT x.oid FROM pg_catalog.pg_roles AS x WHERE x.rolname = current_user)
            OR EXISTS (SELECT FROM pg_catalog.pg_roles AS x WHERE x.oid = r.role AND x.rolsuper))
    FROM (SELECT CASE WHEN in_role = 'pg_database_owner'::pg_catalog.regrole
                      THEN (SELECT d.datdba FROM pg_catalog.pg_database AS d
                            WHERE d.datname = pg_catalog.current_database())
                      ELSE in_role END AS role) AS r;
$$;

REVOKE ALL ON FUNCTION private.acts_for(in_registrant name, in_role oid) FROM PUBLIC;
