-- The path of a member in messages: $.items[0].quantity, $["odd key"].

CREATE OR REPLACE FUNCTION private.json_path_member(in_path text, in_key text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT in_path || CASE WHEN in_key ~ '^[A-Za-z_][A-Za-z0-9_]*$' THEN '.' || in_key
                           ELSE '[' || pg_catalog.to_jsonb(in_key)::text || ']' END;
$$;

REVOKE ALL ON FUNCTION private.json_path_member(in_path text, in_key text) FROM PUBLIC;
