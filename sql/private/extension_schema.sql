-- The schema an extension was created in (NULL if it is not installed). Code that calls an
-- extension's functions is written for that schema when it is deployed, so that no
-- search_path decides which function runs (pgcrypto's, in private.new_subject_key,
-- private.seal_value and private.open_value).

CREATE OR REPLACE FUNCTION private.extension_schema(in_extension name)
RETURNS name
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT n.nspname
    FROM pg_catalog.pg_extension AS x
    JOIN pg_catalog.pg_namespace AS n ON n.oid = x.extnamespace
    WHERE x.extname = in_extension;
$$;

COMMENT ON FUNCTION private.extension_schema(in_extension name) IS 'The schema extension in_extension was created in, or NULL';
REVOKE ALL ON FUNCTION private.extension_schema(in_extension name) FROM PUBLIC;
