-- The payload of an event of in_from_version as of in_to_version, through the registered
-- upcasters (one step per version). A missing step is ZE010.

CREATE OR REPLACE FUNCTION private.upcast_event(
    in_event_type text,
    in_event_data jsonb,
    in_from_version integer,
    in_to_version integer
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_data jsonb := in_event_data;
    l_upcaster regprocedure;
BEGIN
    FOR l_version IN in_from_version .. in_to_version - 1 LOOP
        SELECT u.upcaster_invoker INTO l_upcaster FROM data.event_upcasters AS u
        WHERE u.event_type = in_event_type AND u.from_version = l_version;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no upcaster for % from version % to %', in_event_type, l_version, l_version + 1
                USING ERRCODE = 'ZE010';
        END IF;
        EXECUTE pg_catalog.format('SELECT %s($1)',
                                  private.invoker_call(l_upcaster, pg_catalog.format('the upcaster of %s from version %s',
                                                                                    in_event_type, l_version)))
            INTO l_data USING l_data;
    END LOOP;
    RETURN l_data;
END;
$$;

COMMENT ON FUNCTION private.upcast_event(in_event_type text, in_event_data jsonb, in_from_version integer, in_to_version integer) IS 'An event payload of in_from_version as of in_to_version, through the registered upcasters';
REVOKE ALL ON FUNCTION private.upcast_event(in_event_type text, in_event_data jsonb, in_from_version integer, in_to_version integer) FROM PUBLIC;
