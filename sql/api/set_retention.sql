CREATE OR REPLACE FUNCTION api.set_retention(in_stream_type text, in_keep interval)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_stream_type IS NULL OR in_stream_type = '' OR pg_catalog.char_length(in_stream_type) > 200 THEN
        RAISE EXCEPTION 'in_stream_type must be a text of 1 to 200 characters' USING ERRCODE = 'ZE003';
    END IF;
    IF in_keep IS NULL THEN
        DELETE FROM data.retention_policies AS p WHERE p.stream_type = in_stream_type;
        RETURN;
    END IF;
    PERFORM private.check_interval(in_keep, 'in_keep (NULL: for ever)', interval '1 day', interval '1000 years');
    INSERT INTO data.retention_policies AS p (stream_type, keep, set_by)
    VALUES (in_stream_type, in_keep, private.calling_role())
    ON CONFLICT (stream_type) DO UPDATE SET keep = excluded.keep, set_by = excluded.set_by, set_at = pg_catalog.now();
END;
$$;

COMMENT ON FUNCTION api.set_retention(in_stream_type text, in_keep interval) IS 'Keeps events of in_stream_type for in_keep (1 day to 1000 years; NULL: for ever, the default).
api.apply_retention removes older ones. Errors: ZE003 bad argument.';
REVOKE ALL ON FUNCTION api.set_retention(in_stream_type text, in_keep interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.set_retention(in_stream_type text, in_keep interval) TO eventstore_admin;
