-- A subscription or consumer name: non-empty, at most 200 characters, or ZE003.

CREATE OR REPLACE FUNCTION private.check_subscription_name(in_name text, in_argument text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_name IS NULL OR in_name = '' OR pg_catalog.char_length(in_name) > 200 THEN
        RAISE EXCEPTION '% must be a non-empty text of at most 200 characters, got %', in_argument,
                COALESCE(pg_catalog.quote_literal(pg_catalog.left(in_name, 50)), 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN in_name;
END;
$$;

REVOKE ALL ON FUNCTION private.check_subscription_name(in_name text, in_argument text) FROM PUBLIC;
