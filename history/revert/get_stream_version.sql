-- Deploy eventstore:get_stream_version to pg
-- requires: event_streams
-- requires: roles
-- The version an application passes as in_expected_version after deciding on what it read.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION api.get_stream_version(in_stream_type text, in_stream_id uuid)
RETURNS integer
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE((SELECT s.current_version
                     FROM data.event_streams AS s
                     WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id), 0);
$$;

COMMENT ON FUNCTION api.get_stream_version(text, uuid) IS
    'Current version of a stream: 0 for a stream with no events';

REVOKE ALL ON FUNCTION api.get_stream_version(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_stream_version(text, uuid) TO eventstore_reader;

COMMIT;
