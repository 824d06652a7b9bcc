-- Verify eventstore:event_partitions on pg

BEGIN;

DO $$
DECLARE
    l_this_month date := pg_catalog.date_trunc('month', pg_catalog.now() AT TIME ZONE 'UTC')::date;
BEGIN
    ASSERT pg_catalog.to_regclass('data.events_' || pg_catalog.to_char(l_this_month, 'YYYY_MM')) IS NOT NULL,
        'this month has a partition';
    ASSERT pg_catalog.to_regclass('data.events_' || pg_catalog.to_char(l_this_month + interval '1 month', 'YYYY_MM')) IS NOT NULL,
        'next month has a partition';
    ASSERT pg_catalog.has_function_privilege('eventstore_admin', 'api.ensure_event_partitions(integer)', 'EXECUTE'),
        'admins maintain partitions';
    ASSERT NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.ensure_event_partitions(integer)', 'EXECUTE'),
        'writers do not';
END
$$;

SELECT partition_name, range_from, range_to, first_generation, first_transaction_id,
       first_global_position, retired_at, retired_by
FROM data.retired_event_partitions WHERE false;
SELECT 'private.run_with_lock_retries(text, text)'::pg_catalog.regprocedure,
       'private.retire_event_partition(text)'::pg_catalog.regprocedure;

ROLLBACK;
