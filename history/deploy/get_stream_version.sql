-- Deploy eventstore:get_stream_version to pg
-- requires: get_stream_version@v1.1.0
-- requires: event_streams
-- requires: roles
-- The version an application passes as in_expected_version after deciding on what it read.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Since v1.1.0: NULL arguments are ZE003 (they named no stream, and the answer was 0).
CREATE OR REPLACE FUNCTION api.get_stream_version(in_stream_type text, in_stream_id uuid)
RETURNS integer
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL, got % and %',
                COALESCE(pg_catalog.quote_literal(in_stream_type), 'NULL'), COALESCE(in_stream_id::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN COALESCE((SELECT s.current_version
                     FROM data.event_streams AS s
                     WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id), 0);
END;
$$;

COMMENT ON FUNCTION api.get_stream_version(text, uuid) IS
    'Current version of a stream: 0 for a stream with no events. Errors: ZE003 a NULL argument';

REVOKE ALL ON FUNCTION api.get_stream_version(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_stream_version(text, uuid) TO eventstore_reader;

COMMIT;
