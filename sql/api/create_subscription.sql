CREATE OR REPLACE FUNCTION api.create_subscription(
    in_name text,
    in_stream_types text[] DEFAULT NULL,
    in_event_types text[] DEFAULT NULL,
    in_from_beginning boolean DEFAULT true,
    in_max_attempts integer DEFAULT 5,
    in_lease interval DEFAULT '30 seconds')
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_generation integer := 0;
    l_transaction_id xid8 := '0';
BEGIN
    PERFORM private.check_subscription_name(in_name, 'in_name'),
            private.check_type_filter(in_stream_types, 'in_stream_types'),
            private.check_type_filter(in_event_types, 'in_event_types');
    IF in_from_beginning IS NULL THEN
        RAISE EXCEPTION 'in_from_beginning must be true or false' USING ERRCODE = 'ZE003';
    END IF;
    IF in_max_attempts IS NULL OR in_max_attempts NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'in_max_attempts must be between 1 and 1000, got %', COALESCE(in_max_attempts::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    PERFORM private.check_interval(in_lease, 'in_lease', interval '1 second', interval '1 day');

    -- Not from the beginning: from the read horizon, the end of what readers can see now.
    IF NOT in_from_beginning THEN
        SELECT h.generation, h.transaction_id INTO l_generation, l_transaction_id FROM private.read_horizon() AS h;
    END IF;

    INSERT INTO data.subscriptions AS s
        (subscription_name, stream_types, event_types, max_attempts, lease,
         generation, transaction_id, global_position, created_by)
    VALUES (in_name, in_stream_types, in_event_types, in_max_attempts, in_lease,
            l_generation, l_transaction_id,
            CASE WHEN in_from_beginning THEN 0 ELSE -1 END, private.calling_role())
    ON CONFLICT (subscription_name) DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'subscription % exists already', pg_catalog.quote_literal(in_name)
            USING ERRCODE = 'ZE014',
                  HINT = 'Drop it first (api.drop_subscription), or move it (api.reset_subscription).';
    END IF;
    UPDATE data.subscriptions AS s SET read_guard = private.make_read_guard(in_name)
    WHERE s.subscription_name = in_name;
END;
$$;

COMMENT ON FUNCTION api.create_subscription(in_name text, in_stream_types text[], in_event_types text[], in_from_beginning boolean, in_max_attempts integer, in_lease interval) IS 'Creates a subscription: a consumer group over the whole log, optionally only some stream
and event types, from the beginning of the log or from now. An event is delivered again after
a nack or an expired lease (in_lease), and parked after in_max_attempts failed deliveries.
Errors: ZE003 bad argument, ZE014 the name is taken.';
REVOKE ALL ON FUNCTION api.create_subscription(in_name text, in_stream_types text[], in_event_types text[], in_from_beginning boolean, in_max_attempts integer, in_lease interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.create_subscription(in_name text, in_stream_types text[], in_event_types text[], in_from_beginning boolean, in_max_attempts integer, in_lease interval) TO eventstore_admin;
