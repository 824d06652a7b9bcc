-- Revert eventstore:events_append_only from pg: back to events_append_only@v2.1.0 (its guard, as
-- below), and the audit row's stamp goes.
-- requires: events_append_only@v2.0.0
-- requires: event_removals
-- Events are facts: UPDATE, DELETE and TRUNCATE of data.events are refused for every
-- role, the owner and superusers included. The row trigger is cloned onto every partition
-- (present and future); a TRUNCATE trigger is per table, so each partition gets its own
-- (private.create_event_partition adds it to new months). ENABLE ALWAYS keeps them firing
-- under session_replication_role = replica. Disabling them takes an explicit ALTER TABLE.

-- Since v2.0.0: the sanctioned paths past the guard are api.purge_stream (a deleted stream)
-- and api.apply_retention (a stream type's events past its retention): each writes an audit
-- row (data.event_removals) naming what it removes, then deletes in the same transaction; the
-- guard lets those deletes through and refuses every other, the owner's included. (Its triggers are those of the first version of this change.)

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION private.refuse_event_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- A delete named by a sanctioned removal of this same transaction (api.purge_stream and
    -- api.apply_retention write the audit row first) goes through; nothing else does.
    IF TG_OP = 'DELETE' AND TG_LEVEL = 'ROW' AND EXISTS (
        SELECT FROM data.event_removals AS r
        WHERE r.transaction_id = pg_catalog.pg_current_xact_id()
          AND r.stream_type = OLD.stream_type
          AND (r.kind = 'purge' AND r.stream_id = OLD.stream_id
               OR r.kind = 'retention' AND OLD.created_at < r.before)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'ZE008',
              HINT = 'Events are facts; correct one by appending a compensating event. '
                     'Old months are retired with api.detach_event_partitions; a deleted stream is removed with api.purge_stream.';
END;
$$;

COMMENT ON FUNCTION private.refuse_event_change() IS
    'Trigger: refuses UPDATE, DELETE and TRUNCATE of events (SQLSTATE ZE008), except the deletes of a sanctioned removal (data.event_removals) of this transaction';

REVOKE ALL ON FUNCTION private.refuse_event_change() FROM PUBLIC;

DROP TRIGGER event_removals_stamp ON data.event_removals;
DROP FUNCTION private.stamp_event_removal();

COMMIT;
