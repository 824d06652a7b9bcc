-- Revert eventstore:event_partitions from pg
-- Undoes the monthly partitions without losing events: each attached month is detached
-- and its rows go back through data.events into the DEFAULT partition. Months a DBA
-- retired with api.detach_event_partitions are not attached and are left alone.

BEGIN;

DO $$
DECLARE
    l_months text[];
    l_month text;
BEGIN
    SELECT pg_catalog.array_agg(c.relname::text ORDER BY c.relname) INTO l_months
    FROM pg_catalog.pg_inherits AS i
    JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'data.events'::pg_catalog.regclass
      AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$';

    FOREACH l_month IN ARRAY COALESCE(l_months, '{}') LOOP
        EXECUTE pg_catalog.format('ALTER TABLE data.events DETACH PARTITION data.%I', l_month);
    END LOOP;
    FOREACH l_month IN ARRAY COALESCE(l_months, '{}') LOOP
        EXECUTE pg_catalog.format('INSERT INTO data.events SELECT * FROM data.%I', l_month);
        EXECUTE pg_catalog.format('DROP TABLE data.%I', l_month);
    END LOOP;
END
$$;

DROP PROCEDURE api.detach_event_partitions(date);
DROP PROCEDURE api.ensure_event_partitions(integer);
DROP FUNCTION private.create_event_partition(date);

COMMIT;
