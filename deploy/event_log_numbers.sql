-- Deploy eventstore:event_log_numbers to pg
-- requires: baseline
-- requires: baseline_wiring
-- requires: event_tags
-- Each event's log number (private.log_number: api.read_log's cursor, eventsourcing's
-- notification id), stored with the event instead of worked out on every read: a page of
-- api.read_log was a base lookup per transaction it held and a join (docs/performance.md).
-- api.append_events stores the number of each event it appends; the events stored before get
-- the numbers their readers were given: ((generation - 1) * 2^64 + transaction id) * 2^32 + 1 +
-- global position - the first position the transaction took (its events of one created_at;
-- its removed events included). Every row is rewritten once, under the table's exclusive lock.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (docs/operations.md)
-- The events' append-only trigger is disabled for the numbering below, which the guard of
-- data's DDL (private.guard_events_ddl) would refuse.
SET LOCAL eventstore.partition_maintenance = 'on';

ALTER TABLE data.events ADD COLUMN log_number numeric;
COMMENT ON COLUMN data.events.log_number IS 'The event''s log number (private.log_number): strictly increasing in log order, one block per transaction';

ALTER TABLE data.events DISABLE TRIGGER events_refuse_update_delete;
WITH firsts AS (
    SELECT f.generation, f.transaction_id, f.created_at,
           LEAST(f.first_position, (SELECT pg_catalog.min(r.global_position) FROM data.removed_events AS r
                                    WHERE r.generation = f.generation AND r.transaction_id = f.transaction_id))
               AS first_position
    FROM (SELECT e.generation, e.transaction_id, e.created_at, pg_catalog.min(e.global_position) AS first_position
          FROM data.events AS e
          GROUP BY e.generation, e.transaction_id, e.created_at) AS f
)
UPDATE data.events AS e
SET log_number = ((e.generation - 1)::numeric * 18446744073709551616 + e.transaction_id::text::numeric) * 4294967296
                 + 1 + e.global_position - f.first_position
FROM firsts AS f
WHERE f.generation = e.generation AND f.transaction_id = e.transaction_id AND f.created_at = e.created_at;
ALTER TABLE data.events ENABLE ALWAYS TRIGGER events_refuse_update_delete;

-- The scan adds little to the numbering above, which rewrote every row under the same lock.
-- squawk-ignore adding-not-nullable-field
ALTER TABLE data.events ALTER COLUMN log_number SET NOT NULL;

COMMIT;
