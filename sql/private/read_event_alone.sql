-- One event as every reader gets it (private.events_upcast: upcast, personal data revealed),
-- or why it cannot be read. The step both slow paths take once reading a whole batch failed:
-- the projection runner looks for the event that stops it (private.first_unreadable_event),
-- a claim parks the event it cannot hand out (private.read_deliveries_one_by_one). Each call is
-- a subtransaction of its own: an event that fails rolls back only its own read.

CREATE OR REPLACE FUNCTION private.read_event_alone(
    in_id uuid, in_created_at timestamptz,
    OUT event private.events_upcast, OUT error_sqlstate text, OUT error_message text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT u.* INTO STRICT event
    FROM private.events_upcast AS u
    WHERE u.id = in_id AND u.created_at = in_created_at;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS error_sqlstate = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT;
    event := NULL;
END;
$$;

COMMENT ON FUNCTION private.read_event_alone(in_id uuid, in_created_at timestamp with time zone, OUT event private.events_upcast, OUT error_sqlstate text, OUT error_message text) IS 'One event as readers read it, or the SQLSTATE and message of why it cannot be read';
REVOKE ALL ON FUNCTION private.read_event_alone(in_id uuid, in_created_at timestamp with time zone, OUT event private.events_upcast, OUT error_sqlstate text, OUT error_message text) FROM PUBLIC;
