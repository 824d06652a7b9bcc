-- Removes a version of a projection that is not live: its registration, checkpoint and
-- recorded skips. Its read model is the application's to drop (the store does not know which
-- tables a handler writes).

CREATE OR REPLACE FUNCTION api.drop_projection_version(in_projection_name text, in_version integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_name text;
BEGIN
    IF in_version IS NULL THEN
        RAISE EXCEPTION 'in_version must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    PERFORM private.lock_projection_versions(in_projection_name);
    SELECT p.projection_name INTO l_name FROM data.projections AS p
    WHERE p.version_of = in_projection_name AND p.version = in_version;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection_version(in_projection_name, in_version);
    END IF;
    IF l_name = in_projection_name THEN
        RAISE EXCEPTION 'version % of projection % is live: it cannot be dropped', in_version, in_projection_name
            USING ERRCODE = 'ZE011',
                  HINT = 'Promote another version first (api.promote_projection).';
    END IF;
    DELETE FROM data.projections AS p WHERE p.projection_name = l_name;
    PERFORM private.drop_unused_invokers();
END;
$$;

COMMENT ON FUNCTION api.drop_projection_version(in_projection_name text, in_version integer) IS 'Removes a version of a projection that is not live (registration, checkpoint, skips); drop its
read model afterwards. Errors: ZE003 a NULL version, ZE005 unknown projection or version, ZE011 the version is live.';
REVOKE ALL ON FUNCTION api.drop_projection_version(in_projection_name text, in_version integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.drop_projection_version(in_projection_name text, in_version integer) TO eventstore_admin;
