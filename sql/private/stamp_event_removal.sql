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

COMMENT ON FUNCTION private.stamp_event_removal() IS 'Trigger: sets removed_by, transaction_id and removed_at of a removal''s audit row (data.event_removals)';
REVOKE ALL ON FUNCTION private.stamp_event_removal() FROM PUBLIC;
