-- Deploy eventstore:events_append_only to pg
-- requires: events
-- Events are facts: UPDATE, DELETE and TRUNCATE of data.events are refused for every
-- role, the owner and superusers included. The row trigger is cloned onto every partition
-- (present and future); a TRUNCATE trigger is per table, so each partition gets its own
-- (private.create_event_partition adds it to new months). ENABLE ALWAYS keeps them firing
-- under session_replication_role = replica. Disabling them takes an explicit ALTER TABLE.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION private.refuse_event_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'ZE008',
              HINT = 'Events are facts; correct one by appending a compensating event. '
                     'Old months are retired with api.detach_event_partitions.';
END;
$$;

COMMENT ON FUNCTION private.refuse_event_change() IS
    'Trigger: refuses UPDATE, DELETE and TRUNCATE of events (SQLSTATE ZE008)';

REVOKE ALL ON FUNCTION private.refuse_event_change() FROM PUBLIC;

CREATE TRIGGER events_refuse_update_delete
    BEFORE UPDATE OR DELETE ON data.events
    FOR EACH ROW EXECUTE FUNCTION private.refuse_event_change();

CREATE TRIGGER events_refuse_truncate
    BEFORE TRUNCATE ON data.events
    FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change();

CREATE TRIGGER events_refuse_truncate
    BEFORE TRUNCATE ON data.events_default
    FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change();

ALTER TABLE data.events ENABLE ALWAYS TRIGGER events_refuse_update_delete;
ALTER TABLE data.events ENABLE ALWAYS TRIGGER events_refuse_truncate;
ALTER TABLE data.events_default ENABLE ALWAYS TRIGGER events_refuse_truncate;

COMMIT;
