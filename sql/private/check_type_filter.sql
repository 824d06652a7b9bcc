-- A type filter: NULL (everything) or a one-dimensional, non-empty array of non-empty names
-- of at most 200 characters, or ZE003.

CREATE OR REPLACE FUNCTION private.check_type_filter(in_types text[], in_argument text)
RETURNS text[]
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_types IS NOT NULL
       AND (pg_catalog.array_ndims(in_types) IS DISTINCT FROM 1
            OR EXISTS (SELECT FROM pg_catalog.unnest(in_types) AS t(name)
                       WHERE t.name IS NULL OR t.name = '' OR pg_catalog.char_length(t.name) > 200)) THEN
        RAISE EXCEPTION '% must be NULL (every type) or a non-empty list of type names, got %',
                in_argument, pg_catalog.left(in_types::text, 200)
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN in_types;
END;
$$;

REVOKE ALL ON FUNCTION private.check_type_filter(in_types text[], in_argument text) FROM PUBLIC;
