-- Deploy eventstore:stream_deletion to pg
-- requires: event_streams
-- requires: events
-- requires: append_events
-- requires: snapshots
-- requires: roles
-- Soft deletion of a stream (api.delete_stream, writer). The stream gets a last event, the
-- tombstone $StreamDeleted, so whole-log readers, projections and subscriptions see it and
-- read models can react; then it is closed: an append to it fails with ZE015 (KurrentDB
-- recreates a deleted stream on append; here a deleted stream stays deleted until an admin
-- purges it, after which its id is free). Stream reads (api.get_events, api.load_aggregate,
-- api.get_aggregate_state, reworked after this change) return no events; the log keeps them
-- and whole-log readers still read them. api.get_stream_version returns the tombstone's
-- version.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Adding a nullable column without a default changes no row (no table rewrite).
ALTER TABLE data.event_streams ADD COLUMN deleted_at timestamptz;

COMMENT ON COLUMN data.event_streams.deleted_at IS 'When api.delete_stream deleted the stream (NULL: not deleted)';

CREATE OR REPLACE FUNCTION private.stream_is_deleted(in_stream_type text, in_stream_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM data.event_streams AS s
                   WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id AND s.deleted_at IS NOT NULL);
$$;

-- Trigger (BEFORE UPDATE of a deleted stream's row: only an append does that): ZE015.
CREATE OR REPLACE FUNCTION private.refuse_deleted_stream()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'stream %/% was deleted at %: nothing can be appended to it', OLD.stream_type, OLD.stream_id, OLD.deleted_at
        USING ERRCODE = 'ZE015',
              HINT = 'A deleted stream stays deleted; an admin may purge it (api.purge_stream), which frees its id.';
END;
$$;

CREATE TRIGGER event_streams_refuse_deleted
    BEFORE UPDATE ON data.event_streams
    FOR EACH ROW WHEN (OLD.deleted_at IS NOT NULL)
    EXECUTE FUNCTION private.refuse_deleted_stream();

ALTER TABLE data.event_streams ENABLE ALWAYS TRIGGER event_streams_refuse_deleted;

CREATE OR REPLACE FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_stream record;
    l_version integer;
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF in_expected_version < 1 THEN
        RAISE EXCEPTION 'in_expected_version must be NULL (any) or the stream''s version (1 or more), got %', in_expected_version
            USING ERRCODE = 'ZE003';
    END IF;
    SELECT s.current_version, s.deleted_at INTO l_stream
    FROM data.event_streams AS s
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no stream %/%', in_stream_type, in_stream_id USING ERRCODE = 'ZE004';
    END IF;
    IF l_stream.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'stream %/% was deleted at % already', in_stream_type, in_stream_id, l_stream.deleted_at
            USING ERRCODE = 'ZE015';
    END IF;

    -- The tombstone, appended as any event (the expected version guards against a concurrent
    -- append: ZE001), then the stream closes.
    CALL api.append_events(in_stream_type, in_stream_id, COALESCE(in_expected_version, l_stream.current_version),
        pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'event_type', '$StreamDeleted',
            'event_data', '{}'::jsonb,
            'metadata', pg_catalog.jsonb_build_object('deleted_by', private.calling_role()))),
        l_version);
    UPDATE data.event_streams AS s SET deleted_at = pg_catalog.now()
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id;
    DELETE FROM data.snapshots AS n WHERE n.stream_type = in_stream_type AND n.stream_id = in_stream_id;
    RETURN l_version;
END;
$$;

COMMENT ON FUNCTION api.delete_stream(text, uuid, integer) IS
$$Deletes a stream (soft): appends its tombstone $StreamDeleted (returns its version) and closes
it. Stream reads return no events from then on; whole-log readers still read every event and
the tombstone; appending fails with ZE015. in_expected_version: the stream's version, or NULL
(any). Errors: ZE001 wrong expected version, ZE003 bad argument, ZE004 no such stream, ZE015
deleted already.$$;

REVOKE ALL ON FUNCTION private.stream_is_deleted(text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.refuse_deleted_stream() FROM PUBLIC;
REVOKE ALL ON FUNCTION api.delete_stream(text, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.delete_stream(text, uuid, integer) TO eventstore_writer;

COMMIT;
