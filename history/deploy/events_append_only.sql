-- Deploy eventstore:events_append_only to pg
-- requires: events_append_only@v2.1.0
-- requires: event_removals
-- requires: stream_deletion
-- requires: retention
-- Events are facts: UPDATE, DELETE and TRUNCATE of data.events are refused for every
-- role, the owner and superusers included. The row trigger is cloned onto every partition
-- (present and future); a TRUNCATE trigger is per table, so each partition gets its own
-- (private.create_event_partition adds it to new months). ENABLE ALWAYS keeps them firing
-- under session_replication_role = replica. Disabling them takes an explicit ALTER TABLE.

-- Since v2.0.0: the sanctioned paths past the guard are api.purge_stream (a deleted stream)
-- and api.apply_retention (a stream type's events past its retention): each writes an audit
-- row (data.event_removals) naming what it removes, then deletes in the same transaction; the
-- guard lets those deletes through and refuses every other, the owner's included. (Its triggers are those of the first version of this change.)
-- Since v2.2.0: an audit row alone is not enough (the owner could write one by hand): a purge's
-- deletes pass only for a deleted stream (api.delete_stream), a retention's only for events
-- past the cutoff of their stream type's policy (private.retention_cutoff); and the bundle,
-- not the writer, sets an audit row's removed_by, transaction and time (a trigger).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION private.refuse_event_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- A delete named by a sanctioned removal of this same transaction (api.purge_stream and
    -- api.apply_retention write the audit row first) goes through if the removal may remove
    -- it: a deleted stream's event, or an event past its stream type's retention. Nothing
    -- else does.
    IF TG_OP = 'DELETE' AND TG_LEVEL = 'ROW' AND EXISTS (
        SELECT FROM data.event_removals AS r
        WHERE r.transaction_id = pg_catalog.pg_current_xact_id()
          AND r.stream_type = OLD.stream_type
          AND (r.kind = 'purge' AND r.stream_id = OLD.stream_id
               AND private.stream_is_deleted(OLD.stream_type, OLD.stream_id)
               OR r.kind = 'retention' AND OLD.created_at < r.before
                  AND OLD.created_at < (SELECT private.retention_cutoff(p.keep) FROM data.retention_policies AS p
                                        WHERE p.stream_type = OLD.stream_type))) THEN
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

-- Trigger: an audit row of a removal says who removed, in which transaction and when as the
-- bundle sees it, whatever the writer put there.
CREATE OR REPLACE FUNCTION private.stamp_event_removal()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.removed_by := private.calling_role();
    NEW.transaction_id := pg_catalog.pg_current_xact_id();
    NEW.removed_at := pg_catalog.now();
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION private.stamp_event_removal() IS
    'Trigger: sets removed_by, transaction_id and removed_at of a removal''s audit row (data.event_removals)';

REVOKE ALL ON FUNCTION private.stamp_event_removal() FROM PUBLIC;

CREATE TRIGGER event_removals_stamp
    BEFORE INSERT OR UPDATE OF removed_by, transaction_id, removed_at ON data.event_removals
    FOR EACH ROW EXECUTE FUNCTION private.stamp_event_removal();
ALTER TABLE data.event_removals ENABLE ALWAYS TRIGGER event_removals_stamp;

COMMIT;
