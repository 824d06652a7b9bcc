-- The projection (every version of it) follows exactly the stream types that have a snapshot
-- interval.

CREATE OR REPLACE FUNCTION private.sync_snapshot_projection()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE data.projections AS p
    SET stream_types = ARRAY(SELECT r.stream_type FROM data.reducers AS r
                             WHERE r.snapshot_interval IS NOT NULL ORDER BY r.stream_type)
    WHERE p.version_of = 'snapshots';
    RETURN NULL;
END;
$$;

REVOKE ALL ON FUNCTION private.sync_snapshot_projection() FROM PUBLIC;
