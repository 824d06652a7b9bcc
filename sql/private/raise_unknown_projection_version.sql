-- Raises ZE005 naming the projection's versions.

CREATE OR REPLACE FUNCTION private.raise_unknown_projection_version(in_projection_name text, in_version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'projection % has no version %', in_projection_name, COALESCE(in_version::text, 'NULL')
        USING ERRCODE = 'ZE005',
              HINT = 'Its versions: ' || (SELECT pg_catalog.string_agg(
                                                     p.version::text || CASE WHEN p.projection_name = p.version_of
                                                                             THEN ' (live)' ELSE '' END,
                                                     ', ' ORDER BY p.version)
                                          FROM data.projections AS p WHERE p.version_of = in_projection_name);
END;
$$;

REVOKE ALL ON FUNCTION private.raise_unknown_projection_version(in_projection_name text, in_version integer) FROM PUBLIC;
