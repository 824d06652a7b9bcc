-- The deliveries of events delivered again (rows of data.subscription_events leased in
-- this claim), read one by one: an event that cannot be read (its upcaster fails) is parked
-- with the error (its stream waits behind it; an admin replays it after fixing the upcaster,
-- or skips it), and later events of its stream in this claim go back to waiting. Only called
-- when reading them all at once failed.

CREATE OR REPLACE FUNCTION private.read_deliveries_one_by_one(
    in_subscription text, in_ids uuid[], in_created timestamptz[], in_attempts integer[])
RETURNS private.subscription_delivery[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_result private.subscription_delivery[] := '{}';
    l_delivery private.subscription_delivery;
    l_blocked text[] := '{}';
    l_item record;
    l_sqlstate text;
    l_message text;
BEGIN
    FOR l_item IN
        SELECT d.id, d.created_at, d.attempt, e.stream_type || '/' || e.stream_id::text AS stream
        FROM ROWS FROM (pg_catalog.unnest(in_ids), pg_catalog.unnest(in_created), pg_catalog.unnest(in_attempts))
             WITH ORDINALITY AS d(id, created_at, attempt, ord)
        JOIN data.events AS e ON e.id = d.id AND e.created_at = d.created_at
        ORDER BY d.ord
    LOOP
        IF l_item.stream = ANY (l_blocked) THEN
            UPDATE data.subscription_events AS se
            SET consumer = NULL, leased_at = NULL, leased_until = NULL, attempts = se.attempts - 1
            WHERE se.subscription_name = in_subscription AND se.event_id = l_item.id;
            CONTINUE;
        END IF;
        BEGIN
            SELECT u.id, u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata,
                   u.created_at, l_item.attempt
            INTO STRICT l_delivery
            FROM private.events_upcast AS u
            WHERE u.id = l_item.id AND u.created_at = l_item.created_at;
            l_result := l_result || l_delivery;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
            UPDATE data.subscription_events AS se
            SET consumer = NULL, leased_at = NULL, leased_until = NULL, parked_at = pg_catalog.clock_timestamp(),
                last_error = pg_catalog.left('unreadable: ' || l_sqlstate || ': ' || l_message, 2000)
            WHERE se.subscription_name = in_subscription AND se.event_id = l_item.id;
            l_blocked := l_blocked || l_item.stream;
        END;
    END LOOP;
    RETURN l_result;
END;
$$;

REVOKE ALL ON FUNCTION private.read_deliveries_one_by_one(in_subscription text, in_ids uuid[], in_created timestamp with time zone[], in_attempts integer[]) FROM PUBLIC;
