-- Marks a projection failed (with the event it cannot get past, when known) unless it is
-- paused or failed already.

CREATE OR REPLACE FUNCTION private.mark_projection_failed(
    in_projection_name text, in_sqlstate text, in_message text, in_event_id uuid DEFAULT NULL)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE data.projection_checkpoints AS c
    SET status = 'failed',
        error_message = in_sqlstate || ': ' || in_message,
        failed_event_id = in_event_id,
        failed_at = pg_catalog.now()
    WHERE c.projection_name = in_projection_name AND c.status IN ('running', 'rebuilding');
$$;

REVOKE ALL ON FUNCTION private.mark_projection_failed(in_projection_name text, in_sqlstate text, in_message text, in_event_id uuid) FROM PUBLIC;
