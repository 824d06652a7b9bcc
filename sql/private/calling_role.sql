-- The role calling the SECURITY DEFINER function this runs in: its SET ROLE if any, else
-- the session user (inside a SECURITY DEFINER function current_user is the owner).

CREATE OR REPLACE FUNCTION private.calling_role()
RETURNS name
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') = 'none' THEN session_user
                ELSE pg_catalog.current_setting('role')::name END;
$$;

COMMENT ON FUNCTION private.calling_role() IS 'The role that called the SECURITY DEFINER function this runs in (its SET ROLE, else the session user)';
REVOKE ALL ON FUNCTION private.calling_role() FROM PUBLIC;
