-- Written for pgcrypto's schema, wherever CREATE EXTENSION put it (private.extension_schema).

DO $$
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
        $b$ $f$, private.extension_schema('pgcrypto'));
END
$$;

COMMENT ON FUNCTION private.seal_value(in_value jsonb, in_key bytea) IS 'A JSON value encrypted (AES-256-CBC, random IV), base64';
REVOKE ALL ON FUNCTION private.seal_value(in_value jsonb, in_key bytea) FROM PUBLIC;
