-- Why in_function cannot run with in_registrant's rights, or NULL if it can.

CREATE OR REPLACE FUNCTION private.registration_problem(in_function regprocedure, in_registrant name)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN n.nspname LIKE 'pg\_temp\_%' OR n.oid = pg_catalog.pg_my_temp_schema() THEN
            'it is a temporary function: it ends with its session'
        WHEN NOT private.acts_for(in_registrant, f.proowner) THEN
            pg_catalog.format('it is owned by %s, a role %s does not act as: its owner could change what runs with your rights',
                              pg_catalog.pg_get_userbyid(f.proowner), in_registrant)
        WHEN NOT private.acts_for(in_registrant, n.nspowner) THEN
            pg_catalog.format('its schema %s is owned by %s, a role %s does not act as', n.nspname,
                              pg_catalog.pg_get_userbyid(n.nspowner), in_registrant)
        WHEN EXISTS (SELECT FROM pg_catalog.aclexplode(n.nspacl) AS a
                     WHERE a.privilege_type = 'CREATE' AND NOT private.acts_for(in_registrant, a.grantee)) THEN
            pg_catalog.format('others may create objects in its schema %s (%s): one could shadow what it calls',
                              n.nspname,
                              (SELECT pg_catalog.string_agg(CASE a.grantee WHEN 0 THEN 'PUBLIC'
                                                            ELSE pg_catalog.pg_get_userbyid(a.grantee) END, ', ')
                               FROM pg_catalog.aclexplode(n.nspacl) AS a
                               WHERE a.privilege_type = 'CREATE' AND NOT private.acts_for(in_registrant, a.grantee)))
    END
    FROM pg_catalog.pg_proc AS f
    JOIN pg_catalog.pg_namespace AS n ON n.oid = f.pronamespace
    WHERE f.oid = in_function;
$$;

REVOKE ALL ON FUNCTION private.registration_problem(in_function regprocedure, in_registrant name) FROM PUBLIC;
