-- One month whose events are all past retention, or NULL.

CREATE OR REPLACE FUNCTION private.expired_event_partition()
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    l_partition record;
    l_types text[];
BEGIN
    FOR l_partition IN
        SELECT c.relname, (pg_catalog.to_date(pg_catalog.substr(c.relname, 8), 'YYYY_MM') + interval '1 month')::timestamp
                              AT TIME ZONE 'UTC' AS range_end
        FROM pg_catalog.pg_inherits AS i
        JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'data.events'::pg_catalog.regclass
          AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'
          AND (pg_catalog.to_date(pg_catalog.substr(c.relname, 8), 'YYYY_MM') + interval '1 month')
              <= pg_catalog.date_trunc('month', pg_catalog.now())
        ORDER BY c.relname
    LOOP
        -- The stream types in it, one index probe each (a loose scan of events_stream_idx).
        EXECUTE pg_catalog.format(
            'WITH RECURSIVE t(s) AS (SELECT min(e.stream_type) FROM data.%1$I AS e
                                     UNION ALL
                                     SELECT (SELECT min(e.stream_type) FROM data.%1$I AS e WHERE e.stream_type > t.s)
                                     FROM t WHERE t.s IS NOT NULL)
             SELECT pg_catalog.array_agg(t.s) FROM t WHERE t.s IS NOT NULL', l_partition.relname)
        INTO l_types;
        IF l_types IS NOT NULL AND NOT EXISTS (
            SELECT FROM pg_catalog.unnest(l_types) AS t(stream_type)
            LEFT JOIN data.retention_policies AS p ON p.stream_type = t.stream_type
            WHERE p.stream_type IS NULL OR l_partition.range_end > COALESCE(private.retention_cutoff(p.keep), '-infinity')) THEN
            RETURN l_partition.relname;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

REVOKE ALL ON FUNCTION private.expired_event_partition() FROM PUBLIC;
