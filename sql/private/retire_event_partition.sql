-- Detaches one month and records it (first log position) for readers whose cursor was in it.

CREATE OR REPLACE FUNCTION private.retire_event_partition(in_partition text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
SET lock_timeout = '200ms'
AS $$
DECLARE
    l_month date := pg_catalog.to_date(pg_catalog.substr(in_partition, 8), 'YYYY_MM');
BEGIN
    -- The lock first, once nobody holds the table (see private.raise_if_locked).
    PERFORM private.raise_if_locked('data.events');
    LOCK TABLE data.events IN ACCESS EXCLUSIVE MODE;
    PERFORM pg_catalog.set_config('eventstore.partition_maintenance', 'on', true);
    EXECUTE pg_catalog.format('ALTER TABLE data.events DETACH PARTITION data.%I', in_partition);
    EXECUTE pg_catalog.format(
        'INSERT INTO data.retired_event_partitions
             (partition_name, range_from, range_to, first_generation, first_transaction_id, first_global_position)
         SELECT %L, %L, %L, f.generation, f.transaction_id, f.global_position
         FROM (SELECT) AS one
         LEFT JOIN (SELECT e.generation, e.transaction_id, e.global_position FROM data.%I AS e
                    ORDER BY e.generation, e.transaction_id, e.global_position LIMIT 1) AS f ON true
         ON CONFLICT (partition_name) DO UPDATE
             SET range_from = excluded.range_from, range_to = excluded.range_to,
                 first_generation = excluded.first_generation,
                 first_transaction_id = excluded.first_transaction_id,
                 first_global_position = excluded.first_global_position,
                 retired_at = pg_catalog.now(), retired_by = session_user',
        in_partition, l_month::timestamp AT TIME ZONE 'UTC',
        (l_month + interval '1 month')::timestamp AT TIME ZONE 'UTC', in_partition);
    PERFORM pg_catalog.set_config('eventstore.partition_maintenance', 'off', true);
END;
$$;

REVOKE ALL ON FUNCTION private.retire_event_partition(in_partition text) FROM PUBLIC;
