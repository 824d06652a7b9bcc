CREATE OR REPLACE FUNCTION api.read_log_split(
    in_shards integer[],
    in_after numeric[],
    in_shard_count integer,
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
DECLARE
    l_shard integer;
    l_after numeric;
    l_read integer;
    l_kept integer := 0;
    r record;
BEGIN
    IF pg_catalog.cardinality(in_shards) IS DISTINCT FROM 1
       OR pg_catalog.cardinality(in_after) IS DISTINCT FROM 1 OR in_shards[1] IS NULL THEN
        RAISE EXCEPTION 'in_shards and in_after must hold one element each (this shard''s), got % and %',
                COALESCE(in_shards::text, 'NULL'), COALESCE(in_after::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_shard_count IS NULL OR in_shard_count < 1 OR in_shard_count & (in_shard_count - 1) <> 0
       OR in_shards[1] NOT BETWEEN 0 AND in_shard_count - 1 THEN
        RAISE EXCEPTION 'in_shard_count must be a power of two above shard %, got %', in_shards[1],
                COALESCE(in_shard_count::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    l_shard := in_shards[1];
    l_after := in_after[1];
    -- A shard copied from another at a reshard holds that shard's streams too, up to the copy:
    -- only the streams that hash here are this shard's. Pages of other streams are passed over
    -- until this shard's come, or the log ends.
    LOOP
        l_read := 0;
        FOR r IN SELECT * FROM api.read_log(l_after, in_limit, in_stream_types, in_event_types) LOOP
            l_read := l_read + 1;
            l_after := r.log_number;
            IF pg_catalog.hashtext(r.stream_id::text) & (in_shard_count - 1) = l_shard THEN
                l_kept := l_kept + 1;
                shard := l_shard;
                log_number := r.log_number;
                id := r.id;
                stream_type := r.stream_type;
                stream_id := r.stream_id;
                version := r.version;
                event_type := r.event_type;
                event_data := r.event_data;
                metadata := r.metadata;
                created_at := r.created_at;
                RETURN NEXT;
            END IF;
        END LOOP;
        EXIT WHEN l_kept > 0 OR l_read < in_limit;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION api.read_log_split(in_shards integer[], in_after numeric[], in_shard_count integer, in_limit integer, in_stream_types text[], in_event_types text[]) IS 'api.read_log for one shard of a sharded store (docs/sharding.md): a PL/Proxy endpoint splits its cursor, one log number per shard, and sends each shard its element (in_shards: the shard''s number, in_after: its position) and the number of shards; each row carries the shard''s number. Only the streams that hash to this shard (hashtext(stream id) & (in_shard_count - 1)): a shard copied at a reshard keeps the other''s streams up to the copy. Gap-free as api.read_log. Errors: those of api.read_log, ZE003 not one element each, or a shard count that is not a power of two above the shard.';
REVOKE ALL ON FUNCTION api.read_log_split(in_shards integer[], in_after numeric[], in_shard_count integer, in_limit integer, in_stream_types text[], in_event_types text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.read_log_split(in_shards integer[], in_after numeric[], in_shard_count integer, in_limit integer, in_stream_types text[], in_event_types text[]) TO eventstore_reader;
