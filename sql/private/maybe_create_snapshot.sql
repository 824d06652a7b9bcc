-- Automatic snapshots, taken off the append's critical path:
-- projection "snapshots" follows the stream types whose reducer has a snapshot interval N,
-- and whenever a stream passes a multiple of N it folds the state at that version from
-- the latest current snapshot and saves it. Appends do not pay for it.

CREATE OR REPLACE FUNCTION private.maybe_create_snapshot(in_events data.events[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_target record;
    l_snapshot record;
    l_events data.events[];
    l_read_snapshot pg_snapshot;
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
            l_read_snapshot := pg_catalog.pg_current_snapshot();  -- before the read (private.save_snapshot)
            SELECT pg_catalog.array_agg(ROW(e.*)::data.events ORDER BY e.version) INTO l_events
            FROM private.events_as_read AS e
            WHERE e.stream_type = l_target.stream_type AND e.stream_id = l_target.stream_id
              AND e.version > COALESCE(l_snapshot.version, 0) AND e.version <= l_target.version;
            CALL private.save_snapshot(l_target.stream_type, l_target.stream_id, l_target.version,
                                       private.fold_events(l_target.reducer, COALESCE(l_snapshot.state, '{}'), l_events),
                                       l_read_snapshot);
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

COMMENT ON FUNCTION private.maybe_create_snapshot(in_events data.events[]) IS 'Projection snapshots: saves the state of a stream at every multiple of its reducer''s snapshot interval';
REVOKE ALL ON FUNCTION private.maybe_create_snapshot(in_events data.events[]) FROM PUBLIC;
