-- ZE013 naming the subscription and the existing ones.
-- Is the calling role an admin of the store (it manages every subscription)?

CREATE OR REPLACE FUNCTION private.calling_admin()
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.pg_has_role(private.calling_role(), 'eventstore_admin', 'MEMBER');
$$;

COMMENT ON FUNCTION private.calling_admin() IS 'Is the calling role a member of eventstore_admin?';
REVOKE ALL ON FUNCTION private.calling_admin() FROM PUBLIC;
