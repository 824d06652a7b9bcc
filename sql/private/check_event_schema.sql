-- Called by api.append_events for every event of a versioned type (one with a row in
-- data.event_types): returns true, or raises ZE006 naming the event, type, version and path.

CREATE OR REPLACE FUNCTION private.check_event_schema(
    in_event_type text, in_version integer, in_event_data jsonb, in_position bigint)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_schema jsonb;
    l_error text;
BEGIN
    SELECT s.schema INTO l_schema FROM data.event_schemas AS s
    WHERE s.event_type = in_event_type AND s.version = in_version;

    IF NOT FOUND THEN
        IF EXISTS (SELECT FROM data.event_schemas AS s WHERE s.event_type = in_event_type) THEN
            RAISE EXCEPTION 'event % of in_events: % has no schema for version % (registered: %)',
                    in_position, in_event_type, in_version,
                    (SELECT pg_catalog.string_agg(s.version::text, ', ' ORDER BY s.version)
                     FROM data.event_schemas AS s WHERE s.event_type = in_event_type)
                USING ERRCODE = 'ZE006';
        END IF;
        IF in_version > (SELECT t.current_version FROM data.event_types AS t WHERE t.event_type = in_event_type) THEN
            RAISE EXCEPTION 'event % of in_events: % version % is newer than its latest known version %',
                    in_position, in_event_type, in_version,
                    (SELECT t.current_version FROM data.event_types AS t WHERE t.event_type = in_event_type)
                USING ERRCODE = 'ZE006';
        END IF;
        RETURN true;
    END IF;

    l_error := private.json_schema_error(l_schema, in_event_data);
    IF l_error IS NOT NULL THEN
        RAISE EXCEPTION 'event % of in_events (% version %) does not match its schema %',
                in_position, in_event_type, in_version, l_error
            USING ERRCODE = 'ZE006',
                  DETAIL = 'event_data: ' || pg_catalog.left(in_event_data::text, 500);
    END IF;
    RETURN true;
END;
$$;

REVOKE ALL ON FUNCTION private.check_event_schema(in_event_type text, in_version integer, in_event_data jsonb, in_position bigint) FROM PUBLIC;
