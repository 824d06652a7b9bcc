-- Written for pgcrypto's schema, wherever CREATE EXTENSION put it (private.extension_schema).

DO $$
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
        $b$ $f$, private.extension_schema('pgcrypto'));
END
$$;

COMMENT ON FUNCTION private.open_value(in_sealed text, in_key bytea) IS 'The JSON value private.seal_value sealed';
REVOKE ALL ON FUNCTION private.open_value(in_sealed text, in_key bytea) FROM PUBLIC;
