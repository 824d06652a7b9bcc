-- Deploy eventstore:event_log_numbers_wiring to pg
-- requires: event_log_numbers
-- requires: code
-- An event inserted into data.events without its log number (not by api.append_events: an
-- import, a fixture) is numbered as api.append_events would number it (private.number_event).
-- The condition is the trigger's own: an append, which numbers its events, calls nothing.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (docs/operations.md)

CREATE TRIGGER events_number BEFORE INSERT ON data.events
    FOR EACH ROW WHEN (new.log_number IS NULL) EXECUTE FUNCTION private.number_event();
ALTER TABLE data.events ENABLE ALWAYS TRIGGER events_number;

COMMIT;
