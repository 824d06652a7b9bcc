-- A new read guard for a subscription: an unlogged sequence (no WAL per claim; after a crash
-- it starts from 0 again, which forgets cut-off claims, never invents them).

CREATE OR REPLACE FUNCTION private.make_read_guard(in_name text)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_name text := 'subscription_reads_' || pg_catalog.md5(in_name);
BEGIN
    EXECUTE pg_catalog.format('CREATE UNLOGGED SEQUENCE data.%I AS bigint MINVALUE 0 START 0', l_name);
    EXECUTE pg_catalog.format('REVOKE ALL ON SEQUENCE data.%I FROM PUBLIC', l_name);
    RETURN pg_catalog.format('data.%I', l_name)::regclass;
END;
$$;

COMMENT ON FUNCTION private.make_read_guard(in_name text) IS 'Creates the sequence that counts a subscription''s claims cut off while reading (data.subscriptions.read_guard)';
REVOKE ALL ON FUNCTION private.make_read_guard(in_name text) FROM PUBLIC;
