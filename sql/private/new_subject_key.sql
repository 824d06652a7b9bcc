-- Encrypting and decrypting with pgcrypto, wherever CREATE EXTENSION put it: the function
-- is written for its schema, so that no search_path decides which pgcrypto function runs.

DO $$
DECLARE
    l_schema name := (SELECT n.nspname FROM pg_catalog.pg_extension AS x
                      JOIN pg_catalog.pg_namespace AS n ON n.oid = x.extnamespace
                      WHERE x.extname = 'pgcrypto');
BEGIN
    EXECUTE pg_catalog.format($f$
        CREATE OR REPLACE FUNCTION private.new_subject_key()
        RETURNS bytea
        LANGUAGE sql
        VOLATILE
        SET search_path = pg_catalog, pg_temp
        AS $b$ SELECT %1$I.gen_random_bytes(32) $b$ $f$, l_schema);
END
$$;

REVOKE ALL ON FUNCTION private.new_subject_key() FROM PUBLIC;
