-- Which version of a projection readers should see: for a view over the versions' read
-- models, each arm filtered by it (the planner evaluates it once per query, so a read scans
-- one version's table). A promotion changes it in one transaction.

CREATE OR REPLACE FUNCTION api.projection_live_version(in_projection_name text)
RETURNS integer
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_version integer;
BEGIN
    SELECT p.version INTO l_version FROM data.projections AS p WHERE p.projection_name = in_projection_name;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    RETURN l_version;
END;
$$;

COMMENT ON FUNCTION api.projection_live_version(in_projection_name text) IS 'The live version of a projection (1 until another is promoted): filter each arm of a view over
its versions'' read models with it (docs/guide/projections.md: Changing a projection without downtime).
Errors: ZE005 unknown projection.';
REVOKE ALL ON FUNCTION api.projection_live_version(in_projection_name text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.projection_live_version(in_projection_name text) TO eventstore_reader;
