-- A positive page size or ZE003.

CREATE OR REPLACE FUNCTION private.check_limit(in_limit integer)
RETURNS integer
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_limit IS NULL OR in_limit < 1 THEN
        RAISE EXCEPTION 'in_limit must be a positive integer, got %', COALESCE(in_limit::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN in_limit;
END;
$$;

COMMENT ON FUNCTION private.check_limit(in_limit integer) IS 'Returns in_limit if positive, else raises ZE003';
REVOKE ALL ON FUNCTION private.check_limit(in_limit integer) FROM PUBLIC;
