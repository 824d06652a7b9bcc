CREATE OR REPLACE FUNCTION api.skip_parked(in_subscription text, in_event_id uuid)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_event data.subscription_events;
BEGIN
    PERFORM private.lock_subscription(in_subscription);
    l_event := private.parked_event(in_subscription, in_event_id);
    INSERT INTO data.subscription_skips
        (subscription_name, event_id, stream_type, stream_id, version, attempts, last_error, skipped_by)
    VALUES (in_subscription, in_event_id, l_event.stream_type, l_event.stream_id, l_event.version,
            l_event.attempts, l_event.last_error, private.calling_role());
    DELETE FROM data.subscription_events AS se
    WHERE se.subscription_name = in_subscription AND se.event_id = in_event_id;
END;
$$;

COMMENT ON FUNCTION api.skip_parked(in_subscription text, in_event_id uuid) IS 'Steps past a parked event: it is recorded in data.subscription_skips, never delivered again
(resets included), and the later events of its stream flow on. Errors: as api.replay_parked.';
REVOKE ALL ON FUNCTION api.skip_parked(in_subscription text, in_event_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.skip_parked(in_subscription text, in_event_id uuid) TO eventstore_admin;
