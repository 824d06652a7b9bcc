-- Verify eventstore:events on pg

BEGIN;

SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at,
       global_position, transaction_id, generation, schema_version
FROM data.events
WHERE false;

DO $$
BEGIN
    IF NOT ((SELECT c.relkind FROM pg_catalog.pg_class AS c
            WHERE c.oid = 'data.events'::pg_catalog.regclass) = 'p') THEN
        RAISE EXCEPTION 'expected: data.events is partitioned';
    END IF;
    IF NOT ((SELECT pg_catalog.pg_get_partkeydef('data.events'::pg_catalog.regclass))
           = 'RANGE (created_at)') THEN
        RAISE EXCEPTION 'expected: partitioned by range of created_at';
    END IF;
    IF NOT (EXISTS (SELECT FROM pg_catalog.pg_partitioned_table AS p
                   WHERE p.partrelid = 'data.events'::pg_catalog.regclass
                     AND p.partdefid = 'data.events_default'::pg_catalog.regclass)) THEN
        RAISE EXCEPTION 'expected: data.events_default is the DEFAULT partition';
    END IF;
    IF NOT ((SELECT count(*) FROM pg_catalog.pg_indexes
            WHERE schemaname = 'data' AND tablename = 'events'
              AND indexname IN ('events_stream_idx', 'events_type_idx', 'events_created_idx',
                                'events_log_idx', 'events_pkey')) = 5) THEN
        RAISE EXCEPTION 'expected: the indexes exist';
    END IF;
END
$$;

ROLLBACK;
