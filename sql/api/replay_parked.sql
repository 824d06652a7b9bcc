CREATE OR REPLACE FUNCTION api.replay_parked(in_subscription text, in_event_id uuid)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM private.lock_subscription(in_subscription);
    PERFORM private.parked_event(in_subscription, in_event_id);
    UPDATE data.subscription_events AS se
    SET parked_at = NULL, attempts = 0
    WHERE se.subscription_name = in_subscription AND se.event_id = in_event_id;
END;
$$;

COMMENT ON FUNCTION api.replay_parked(in_subscription text, in_event_id uuid) IS 'Delivers a parked event again, with in_max_attempts fresh attempts; its stream flows on
once it is acknowledged. Errors: ZE003 NULL argument, ZE004 no such event, ZE013 unknown
subscription, ZE014 the event is not parked there.';
REVOKE ALL ON FUNCTION api.replay_parked(in_subscription text, in_event_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.replay_parked(in_subscription text, in_event_id uuid) TO eventstore_admin;
