-- Verify eventstore:event_log_numbers on pg

BEGIN;

SELECT log_number FROM data.events WHERE false;
SELECT 1/(a.attnotnull)::int FROM pg_catalog.pg_attribute AS a
WHERE a.attrelid = 'data.events'::pg_catalog.regclass AND a.attname = 'log_number';

ROLLBACK;
