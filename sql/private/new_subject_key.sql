-- Written for pgcrypto's schema, wherever CREATE EXTENSION put it (private.extension_schema).

DO $$
BEGIN
    EXECUTE pg_catalog.format($f$
        CREATE OR REPLACE FUNCTION private.new_subject_key()
        RETURNS bytea
        LANGUAGE sql
        VOLATILE
        SET search_path = pg_catalog, pg_temp
        AS $b$ SELECT %1$I.gen_random_bytes(32) $b$ $f$, private.extension_schema('pgcrypto'));
END
$$;

REVOKE ALL ON FUNCTION private.new_subject_key() FROM PUBLIC;
