CREATE OR REPLACE FUNCTION orders.append_order_event(in_order_id uuid, in_expected_version integer, in_event_type text, in_event_data jsonb, in_command text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_version integer;
BEGIN
    CALL api.append_events('Order', in_order_id, in_expected_version,
        pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'event_type', in_event_type,
            'event_data', in_event_data,
            'metadata', pg_catalog.jsonb_build_object('source', 'orders.' || in_command,
                                                      'db_user', session_user::text))),
        l_version);
    RETURN l_version;
END;
$$;

REVOKE ALL ON FUNCTION orders.append_order_event(in_order_id uuid, in_expected_version integer, in_event_type text, in_event_data jsonb, in_command text) FROM PUBLIC;
