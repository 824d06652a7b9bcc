-- Verify eventstore:event_log_numbers_wiring on pg

BEGIN;

SELECT 1/(count(*) = 1)::int FROM pg_catalog.pg_trigger AS t
WHERE t.tgrelid = 'data.events'::pg_catalog.regclass AND t.tgname = 'events_number' AND t.tgenabled = 'A';

ROLLBACK;
