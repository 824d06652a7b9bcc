-- Deploy eventstore:automatic_snapshots to pg
-- requires: automatic_snapshots@v1.1.0
-- requires: registered_code
-- requires: snapshots
-- requires: projection_admin
-- requires: event_upcasters
-- Since v1.1.0: a stream whose events its reducer cannot fold is left without a snapshot
-- (a WARNING says why); the projection never stops for it. The reducer's invoker runs.
-- The seed's automatic snapshotting, made real and taken off the append's critical path:
-- projection "snapshots" follows the stream types whose reducer has a snapshot interval N,
-- and whenever a stream passes a multiple of N it folds the state at that version from
-- the latest current snapshot and saves it. Appends do not pay for it.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION private.maybe_create_snapshot(in_events data.events[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_target record;
    l_snapshot record;
    l_events data.events[];
BEGIN
    FOR l_target IN
        SELECT e.stream_type, e.stream_id, r.reducer_invoker AS reducer, r.reducer_version,
               (max(e.version) / r.snapshot_interval) * r.snapshot_interval AS version
        FROM pg_catalog.unnest(in_events) AS e
        JOIN data.reducers AS r ON r.stream_type = e.stream_type
        WHERE r.snapshot_interval IS NOT NULL
        GROUP BY e.stream_type, e.stream_id, r.reducer_invoker, r.reducer_version, r.snapshot_interval
        -- the batch carries the stream across a multiple of its interval
        HAVING (max(e.version) / r.snapshot_interval) * r.snapshot_interval >= min(e.version)
    LOOP
        SELECT s.version, s.state INTO l_snapshot
        FROM data.snapshots AS s
        WHERE s.stream_type = l_target.stream_type AND s.stream_id = l_target.stream_id
          AND s.reducer_version = l_target.reducer_version;
        CONTINUE WHEN l_snapshot.version >= l_target.version;

        BEGIN
            SELECT pg_catalog.array_agg(ROW(e.*)::data.events ORDER BY e.version) INTO l_events
            FROM private.events_upcast AS e
            WHERE e.stream_type = l_target.stream_type AND e.stream_id = l_target.stream_id
              AND e.version > COALESCE(l_snapshot.version, 0) AND e.version <= l_target.version;
            CALL private.save_snapshot(l_target.stream_type, l_target.stream_id, l_target.version,
                                       private.fold_events(l_target.reducer, COALESCE(l_snapshot.state, '{}'), l_events));
        EXCEPTION WHEN OTHERS THEN
            -- A writer may append what the reducer cannot fold: that stream gets no snapshot
            -- (loading it fails the same way); every other stream still does.
            IF pg_catalog.left(SQLSTATE, 2) IN ('40', '53', '57') THEN
                RAISE;
            END IF;
            RAISE WARNING 'no snapshot of %/% at version %: % (%)', l_target.stream_type, l_target.stream_id,
                l_target.version, SQLERRM, SQLSTATE;
        END;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.maybe_create_snapshot(data.events[]) IS
    'Projection snapshots: saves the state of a stream at every multiple of its reducer''s snapshot interval';

-- The projection follows exactly the stream types that have a snapshot interval.
CREATE OR REPLACE FUNCTION private.sync_snapshot_projection()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE data.projections AS p
    SET stream_types = ARRAY(SELECT r.stream_type FROM data.reducers AS r
                             WHERE r.snapshot_interval IS NOT NULL ORDER BY r.stream_type)
    WHERE p.projection_name = 'snapshots';
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER reducers_sync_snapshot_projection
    AFTER INSERT OR UPDATE OR DELETE ON data.reducers
    FOR EACH STATEMENT EXECUTE FUNCTION private.sync_snapshot_projection();

REVOKE ALL ON FUNCTION private.maybe_create_snapshot(data.events[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.sync_snapshot_projection() FROM PUBLIC;

DO $$
BEGIN
    PERFORM api.register_projection(
        in_projection_name := 'snapshots',
        in_handler := 'private.maybe_create_snapshot(data.events[])',
        in_stream_types := ARRAY(SELECT r.stream_type FROM data.reducers AS r
                                 WHERE r.snapshot_interval IS NOT NULL ORDER BY r.stream_type),
        in_batch_size := 1000);
END
$$;

COMMIT;
