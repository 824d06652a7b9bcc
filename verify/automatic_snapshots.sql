-- Verify eventstore:automatic_snapshots on pg

BEGIN;

DO $$
BEGIN
    ASSERT (SELECT p.handler FROM data.projections AS p WHERE p.projection_name = 'snapshots')
           = 'private.maybe_create_snapshot(data.events[])'::pg_catalog.regprocedure, 'projection snapshots is registered';
    INSERT INTO data.reducers (stream_type, reducer, reducer_version, snapshot_interval)
    VALUES ('VerifyStream', 'private.fold_events(regprocedure, jsonb, data.events[])', 1, 10);
    ASSERT (SELECT p.stream_types FROM data.projections AS p WHERE p.projection_name = 'snapshots')
           @> ARRAY['VerifyStream'],
        'it follows the stream types with a snapshot interval';
END
$$;

-- Since v1.1.0 (the reworked change): a stream its reducer cannot fold must not stop the snapshots.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('private.maybe_create_snapshot(data.events[])'::pg_catalog.regprocedure), 'no snapshot of') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked automatic_snapshots: a stream its reducer cannot fold must not stop the snapshots';
    END IF;
END
$$;

ROLLBACK;
