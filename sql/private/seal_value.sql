-- Encrypting and decrypting with pgcrypto, wherever CREATE EXTENSION put it: the function
-- is written for its schema, so that no search_path decides which pgcrypto function runs.

DO $$
DECLARE
    l_schema name := (SELECT n.nspname FROM pg_catalog.pg_extension AS x
                      JOIN pg_catalog.pg_namespace AS n ON n.oid = x.extnamespace
                      WHERE x.extname = 'pgcrypto');
BEGIN
    -- A value, sealed: base64 of a random 16-byte IV followed by the AES-256-CBC ciphertext of
    -- its JSON text.
    EXECUTE pg_catalog.format($f$
        CREATE OR REPLACE FUNCTION private.seal_value(in_value jsonb, in_key bytea)
        RETURNS text
        LANGUAGE sql
        VOLATILE
        SET search_path = pg_catalog, pg_temp
        AS $b$
            SELECT pg_catalog.translate(pg_catalog.encode(
                       r.iv || %1$I.encrypt_iv(pg_catalog.convert_to(in_value::text, 'UTF8'), in_key, r.iv,
                                               'aes-cbc/pad:pkcs'), 'base64'), E'\n', '')
            FROM (SELECT %1$I.gen_random_bytes(16) AS iv) AS r
        $b$ $f$, l_schema);
END
$$;

COMMENT ON FUNCTION private.seal_value(in_value jsonb, in_key bytea) IS 'A JSON value encrypted (AES-256-CBC, random IV), base64';
REVOKE ALL ON FUNCTION private.seal_value(in_value jsonb, in_key bytea) FROM PUBLIC;
