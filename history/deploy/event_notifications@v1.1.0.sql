-- Deploy eventstore:event_notifications to pg
-- requires: projection_admin
-- LISTEN/NOTIFY: channel eventstore_events hears {"stream_type", "stream_id", "version"} for
-- every stream an append wrote to, so a consumer can wait instead of polling. Sent by a
-- registered projection, "notifications", not by the append itself:
--   * a NOTIFY in the appending transaction serializes every append's commit on
--     PostgreSQL's notify lock (measured: it halved append throughput);
--   * from the runner, a notification goes out once the event is readable by the
--     whole-log readers (at commit it could come while an older open transaction still
--     holds the event back), in log order, one per stream and batch.
-- The cost: it comes up to one worker poll (0.2 s) after the commit, and only where the
-- projections run (pg_cron, or api.run_projections). api.pause_projection('notifications')
-- turns it off.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION private.notify_events(in_events data.events[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_stream record;
BEGIN
    FOR l_stream IN
        SELECT e.stream_type, e.stream_id, max(e.version) AS version
        FROM pg_catalog.unnest(in_events) WITH ORDINALITY AS e
        GROUP BY e.stream_type, e.stream_id
        ORDER BY min(e.ordinality)
    LOOP
        PERFORM pg_catalog.pg_notify('eventstore_events', pg_catalog.json_build_object(
            'stream_type', l_stream.stream_type, 'stream_id', l_stream.stream_id,
            'version', l_stream.version)::text);
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.notify_events(data.events[]) IS
    'Projection notifications: NOTIFY eventstore_events {stream_type, stream_id, version} per stream, in log order';

REVOKE ALL ON FUNCTION private.notify_events(data.events[]) FROM PUBLIC;

DO $$
BEGIN
    PERFORM api.register_projection(
        in_projection_name := 'notifications',
        in_handler := 'private.notify_events(data.events[])',
        in_batch_size := 1000);
END
$$;

COMMIT;
