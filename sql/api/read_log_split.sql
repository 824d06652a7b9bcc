CREATE OR REPLACE FUNCTION api.read_log_split(
    in_shards integer[],
    in_after numeric[],
    in_limit integer DEFAULT 1000,
    in_stream_types text[] DEFAULT NULL,
    in_event_types text[] DEFAULT NULL
)
RETURNS TABLE (
    shard integer,
    log_number numeric,
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
VOLATILE  -- api.read_log's snapshot comes after its horizon
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.cardinality(in_shards) IS DISTINCT FROM 1
       OR pg_catalog.cardinality(in_after) IS DISTINCT FROM 1 OR in_shards[1] IS NULL THEN
        RAISE EXCEPTION 'in_shards and in_after must hold one element each (this shard''s), got % and %',
                COALESCE(in_shards::text, 'NULL'), COALESCE(in_after::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN QUERY
        SELECT in_shards[1], r.log_number, r.id, r.stream_type, r.stream_id, r.version, r.event_type,
               r.event_data, r.metadata, r.created_at
        FROM api.read_log(in_after[1], in_limit, in_stream_types, in_event_types) AS r;
END;
$$;

COMMENT ON FUNCTION api.read_log_split(in_shards integer[], in_after numeric[], in_limit integer, in_stream_types text[], in_event_types text[]) IS 'api.read_log for one shard of a sharded store (docs/sharding.md): a PL/Proxy endpoint splits its cursor, one log number per shard, and sends each shard its element (in_shards: the shard''s number, in_after: its position); each row carries the shard''s number. Gap-free as api.read_log. Errors: those of api.read_log, ZE003 not one element each.';
REVOKE ALL ON FUNCTION api.read_log_split(in_shards integer[], in_after numeric[], in_limit integer, in_stream_types text[], in_event_types text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.read_log_split(in_shards integer[], in_after numeric[], in_limit integer, in_stream_types text[], in_event_types text[]) TO eventstore_reader;
