-- Soft deletion of a stream (api.delete_stream, writer). The stream gets a last event, the
-- tombstone $StreamDeleted, so whole-log readers, projections and subscriptions see it and
-- read models can react; then it is closed: an append to it fails with ZE015 (KurrentDB
-- recreates a deleted stream on append; here a deleted stream stays deleted until an admin
-- purges it, after which its id is free). Stream reads (api.get_events, api.load_aggregate,
-- api.get_aggregate_state, reworked after this change) return no events; the log keeps them
-- and whole-log readers still read them. api.get_stream_version returns the tombstone's
-- version.

CREATE OR REPLACE FUNCTION private.stream_is_deleted(in_stream_type text, in_stream_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM data.event_streams AS s
                   WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id AND s.deleted_at IS NOT NULL);
$$;

REVOKE ALL ON FUNCTION private.stream_is_deleted(in_stream_type text, in_stream_id uuid) FROM PUBLIC;
