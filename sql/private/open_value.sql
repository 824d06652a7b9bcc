-- Encrypting and decrypting with pgcrypto, wherever CREATE EXTENSION put it: the function
-- is written for its schema, so that no search_path decides which pgcrypto function runs.

DO $$
DECLARE
    l_schema name := (SELECT n.nspname FROM pg_catalog.pg_extension AS x
                      JOIN pg_catalog.pg_namespace AS n ON n.oid = x.extnamespace
                      WHERE x.extname = 'pgcrypto');
BEGIN
    EXECUTE pg_catalog.format($f$
        CREATE OR REPLACE FUNCTION private.open_value(in_sealed text, in_key bytea)
        RETURNS jsonb
        LANGUAGE sql
        IMMUTABLE
        SET search_path = pg_catalog, pg_temp
        AS $b$
            SELECT pg_catalog.convert_from(%1$I.decrypt_iv(pg_catalog.substr(r.raw, 17), in_key,
                                                           pg_catalog.substr(r.raw, 1, 16), 'aes-cbc/pad:pkcs'),
                                           'UTF8')::jsonb
            FROM (SELECT pg_catalog.decode(in_sealed, 'base64') AS raw) AS r
        $b$ $f$, l_schema);
END
$$;

COMMENT ON FUNCTION private.open_value(in_sealed text, in_key bytea) IS 'The JSON value private.seal_value sealed';
REVOKE ALL ON FUNCTION private.open_value(in_sealed text, in_key bytea) FROM PUBLIC;
