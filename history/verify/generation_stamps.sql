-- Verify eventstore:generation_stamps on pg

BEGIN;

SELECT server_started_at FROM data.store_generations WHERE false;

ROLLBACK;
