-- The deliveries of events delivered again (rows of data.subscription_events leased in
-- this claim), read one by one (private.read_event_alone): an event that cannot be read (its
-- upcaster fails) is parked with the error (its stream waits behind it; an admin replays it
-- after fixing the upcaster, or skips it), and later events of its stream in this claim go
-- back to waiting. Only called when reading them all at once failed.

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
    l_read record;
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
        l_read := private.read_event_alone(l_item.id, l_item.created_at);
        IF l_read.error_sqlstate IS NULL THEN
            l_delivery := ROW(l_item.id, l_read.stream_type, l_read.stream_id, l_read.version,
                              l_read.event_type, l_read.event_data, l_read.metadata, l_item.created_at,
                              l_item.attempt);
            l_result := l_result || l_delivery;
        ELSE
            UPDATE data.subscription_events AS se
            SET consumer = NULL, leased_at = NULL, leased_until = NULL, parked_at = pg_catalog.clock_timestamp(),
                last_error = pg_catalog.left('unreadable: ' || l_read.error_sqlstate || ': ' || l_read.error_message, 2000)
            WHERE se.subscription_name = in_subscription AND se.event_id = l_item.id;
            l_blocked := l_blocked || l_item.stream;
        END IF;
    END LOOP;
    RETURN l_result;
END;
$$;

REVOKE ALL ON FUNCTION private.read_deliveries_one_by_one(in_subscription text, in_ids uuid[], in_created timestamp with time zone[], in_attempts integer[]) FROM PUBLIC;
