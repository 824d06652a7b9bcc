-- Verify eventstore:event_streams on pg

BEGIN;

SELECT stream_type, stream_id, current_version, created_at, updated_at,
       last_generation, last_transaction_id
FROM data.event_streams
WHERE false;

DO $$
BEGIN
    IF (SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attname)
        FROM pg_catalog.pg_index AS x
        JOIN pg_catalog.pg_attribute AS a ON a.attrelid = x.indrelid AND a.attnum = ANY (x.indkey)
        WHERE x.indrelid = 'data.event_streams'::pg_catalog.regclass AND x.indisprimary)
       IS DISTINCT FROM ARRAY['stream_id', 'stream_type'] THEN
        RAISE EXCEPTION 'data.event_streams must have the primary key (stream_type, stream_id)';
    END IF;
END
$$;

ROLLBACK;
