-- (Its table is that of the first version of this change.)

-- Is a snapshot taken with this reducer version usable for this stream type now?

CREATE OR REPLACE FUNCTION private.snapshot_is_current(in_stream_type text, in_reducer_version integer)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT in_reducer_version IS NOT DISTINCT FROM
           (SELECT r.reducer_version FROM data.reducers AS r WHERE r.stream_type = in_stream_type);
$$;

REVOKE ALL ON FUNCTION private.snapshot_is_current(in_stream_type text, in_reducer_version integer) FROM PUBLIC;
