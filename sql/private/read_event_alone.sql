-- One event as every reader gets it (private.events_as_read: upcast, personal data revealed),
-- or why it cannot be read. The step both slow paths take once reading a whole batch failed:
-- the projection runner looks for the event that stops it (private.first_unreadable_event),
-- a claim parks the event it cannot hand out (private.read_deliveries_one_by_one). Each call is
-- a subtransaction of its own: an event that fails rolls back only its own read.

CREATE OR REPLACE FUNCTION private.read_event_alone(
    in_id uuid, in_created_at timestamptz,
    OUT stream_type text, OUT stream_id uuid, OUT version integer, OUT event_type text,
    OUT event_data jsonb, OUT metadata jsonb, OUT error_sqlstate text, OUT error_message text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata
    INTO STRICT stream_type, stream_id, version, event_type, event_data, metadata
    FROM private.events_as_read AS u
    WHERE u.id = in_id AND u.created_at = in_created_at;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS error_sqlstate = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT;
    stream_type := NULL; stream_id := NULL; version := NULL;
    event_type := NULL; event_data := NULL; metadata := NULL;
END;
$$;

COMMENT ON FUNCTION private.read_event_alone(in_id uuid, in_created_at timestamp with time zone, OUT stream_type text, OUT stream_id uuid, OUT version integer, OUT event_type text, OUT event_data jsonb, OUT metadata jsonb, OUT error_sqlstate text, OUT error_message text) IS 'One event as readers read it, or the SQLSTATE and message of why it cannot be read';
REVOKE ALL ON FUNCTION private.read_event_alone(in_id uuid, in_created_at timestamp with time zone, OUT stream_type text, OUT stream_id uuid, OUT version integer, OUT event_type text, OUT event_data jsonb, OUT metadata jsonb, OUT error_sqlstate text, OUT error_message text) FROM PUBLIC;
