CREATE OR REPLACE FUNCTION api.call_append_events(
    in_stream_type text,
    in_stream_id uuid,
    in_expected_version integer,
    in_events jsonb,
    INOUT io_new_version integer DEFAULT NULL
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    CALL api.append_events(in_stream_type, in_stream_id, in_expected_version, in_events, io_new_version);
END;
$$;

COMMENT ON FUNCTION api.call_append_events(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, INOUT io_new_version integer) IS 'api.append_events as a function, for callers that can only SELECT: a PL/Proxy endpoint (docs/sharding.md) sends every call as a SELECT. The same arguments, result (io_new_version), errors and rights (it runs as its caller, who needs api.append_events).';
REVOKE ALL ON FUNCTION api.call_append_events(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, INOUT io_new_version integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.call_append_events(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, INOUT io_new_version integer) TO eventstore_writer;
