-- Retention: detach (never drop) whole months that end on or before in_before. Their
-- events leave every reader, stream reads and rebuilds included; the detached tables stay
-- in schema data for the DBA to archive (pg_dump -t) and drop.

CREATE OR REPLACE PROCEDURE api.detach_event_partitions(in_before date)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    l_partition record;
BEGIN
    IF in_before IS NULL OR in_before > pg_catalog.date_trunc('month', pg_catalog.now())::date THEN
        RAISE EXCEPTION 'in_before must be a date no later than the start of this month, got %', in_before
            USING ERRCODE = 'ZE003',
                  HINT = 'The current month cannot be detached: events are being written to it.';
    END IF;

    FOR l_partition IN
        SELECT c.relname
        FROM pg_catalog.pg_inherits AS i
        JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'data.events'::pg_catalog.regclass
          AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'
          AND (pg_catalog.to_date(pg_catalog.substr(c.relname, 8), 'YYYY_MM') + interval '1 month') <= in_before
        ORDER BY c.relname
    LOOP
        PERFORM private.run_with_lock_retries(
            pg_catalog.format('SELECT private.retire_event_partition(%L)', l_partition.relname),
            'detaching data.' || l_partition.relname);
        RAISE NOTICE 'detached data.%: archive it, then DROP TABLE it', l_partition.relname;
    END LOOP;
END;
$$;

COMMENT ON PROCEDURE api.detach_event_partitions(IN in_before date) IS 'Retention: detaches the monthly partitions that end on or before in_before (kept as tables,
recorded in data.retired_event_partitions). Waits at most 200 ms at a time for its lock,
retrying for about a minute (then 55P03). Errors: ZE003 in_before NULL or in this month.';
REVOKE ALL ON PROCEDURE api.detach_event_partitions(IN in_before date) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.detach_event_partitions(IN in_before date) TO eventstore_admin;
