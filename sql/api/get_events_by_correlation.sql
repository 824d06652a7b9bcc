-- Every event whose metadata.correlation_id is in_correlation_id, in log order.

CREATE OR REPLACE FUNCTION api.get_events_by_correlation(in_correlation_id text)
RETURNS TABLE (
    id uuid,
    stream_type text,
    stream_id uuid,
    version integer,
    event_type text,
    event_data jsonb,
    metadata jsonb,
    created_at timestamptz
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_correlation_id IS NULL OR in_correlation_id = '' THEN
        RAISE EXCEPTION 'in_correlation_id must be a non-empty text' USING ERRCODE = 'ZE003';
    END IF;
    -- The index is over the stored metadata; payloads come upcast, as from every reader.
    RETURN QUERY
    SELECT u.id, u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata, u.created_at
    FROM data.events AS r
    JOIN private.events_as_read AS u ON u.id = r.id AND u.created_at = r.created_at
    WHERE r.metadata ? 'correlation_id'
      AND (r.metadata ->> 'correlation_id') = in_correlation_id
    ORDER BY r.generation, r.transaction_id, r.global_position;
END;
$$;

COMMENT ON FUNCTION api.get_events_by_correlation(in_correlation_id text) IS 'Every committed event whose metadata.correlation_id is in_correlation_id, across streams, in
log order (the columns of api.get_all_events). Errors: ZE003 NULL or empty id.';
REVOKE ALL ON FUNCTION api.get_events_by_correlation(in_correlation_id text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_events_by_correlation(in_correlation_id text) TO eventstore_reader;
