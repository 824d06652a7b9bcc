-- Raises ZE005 naming in_projection_name and the registered projections.

CREATE OR REPLACE FUNCTION private.raise_unknown_projection(in_projection_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'unknown projection: %', COALESCE(in_projection_name, 'NULL')
        USING ERRCODE = 'ZE005',
              HINT = 'Registered: ' || COALESCE((SELECT pg_catalog.string_agg(p.projection_name, ', '
                                                        ORDER BY p.projection_name)
                                                 FROM data.projections AS p), 'none');
END;
$$;

REVOKE ALL ON FUNCTION private.raise_unknown_projection(in_projection_name text) FROM PUBLIC;
