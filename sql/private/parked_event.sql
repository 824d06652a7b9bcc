-- The parked event in_event_id of a locked subscription, or ZE004 (no such event) / ZE014
-- (not parked there).

CREATE OR REPLACE FUNCTION private.parked_event(in_subscription text, in_event_id uuid)
RETURNS data.subscription_events
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_event data.subscription_events;
BEGIN
    PERFORM private.check_event_exists(in_event_id);
    SELECT se.* INTO l_event
    FROM data.subscription_events AS se
    WHERE se.subscription_name = in_subscription AND se.event_id = in_event_id AND se.parked_at IS NOT NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'event % is not parked in subscription %', in_event_id, pg_catalog.quote_literal(in_subscription)
            USING ERRCODE = 'ZE014',
                  HINT = 'api.parked_events lists the parked events.';
    END IF;
    RETURN l_event;
END;
$$;

REVOKE ALL ON FUNCTION private.parked_event(in_subscription text, in_event_id uuid) FROM PUBLIC;
