-- Deploy eventstore:raise_append_conflict to pg
-- requires: raise_append_conflict@v2.0.0
-- requires: event_streams
-- requires: stream_deletion
-- private.raise_append_conflict: ZE001 or 40001 when an append's stream statement matched no row.
-- Since v1.5.0 a change of its own; api.append_events made it first (the same definition:
-- on an upgraded database this replaces the function by itself).
-- Since v2.0.0: a deleted stream is ZE015, whatever the expected version.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Called when the stream statement of an append matched no row: tells the wrong expected
-- version (ZE001) from a stream last written by a newer transaction (40001).
CREATE OR REPLACE FUNCTION private.raise_append_conflict(
    in_stream_type text,
    in_stream_id uuid,
    in_expected_version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_actual integer;
BEGIN
    SELECT s.current_version INTO l_actual
    FROM data.event_streams AS s
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id;
    l_actual := COALESCE(l_actual, 0);
    IF private.stream_is_deleted(in_stream_type, in_stream_id) THEN
        RAISE EXCEPTION 'stream %/% was deleted: nothing can be appended to it', in_stream_type, in_stream_id
            USING ERRCODE = 'ZE015',
                  HINT = 'A deleted stream stays deleted; an admin may purge it (api.purge_stream), which frees its id.';
    END IF;

    IF in_expected_version IS NULL OR l_actual = in_expected_version THEN
        -- Appending now would put this stream's next version before versions that a newer
        -- transaction already committed in the log order; a retry gets a newer xid.
        RAISE EXCEPTION 'stream %/% was last appended by a transaction newer than this one',
                in_stream_type, in_stream_id
            USING ERRCODE = '40001',
                  DETAIL = 'This transaction took its transaction id before that append committed.',
                  HINT = 'Retry the transaction.';
    END IF;

    RAISE EXCEPTION 'wrong expected version for stream %/%: expected %, actual %',
            in_stream_type, in_stream_id, in_expected_version, l_actual
        USING ERRCODE = 'ZE001',
              HINT = 'Reload the stream, re-decide, and append with the version you read.';
END;
$$;

COMMENT ON FUNCTION private.raise_append_conflict(text, uuid, integer) IS
    'Raises ZE001 (wrong expected version) or 40001 (stream written by a newer transaction)';

REVOKE ALL ON FUNCTION private.raise_append_conflict(text, uuid, integer) FROM PUBLIC;

COMMIT;
