CREATE OR REPLACE FUNCTION api.call_append_events_idempotent(
    in_stream_type text,
    in_stream_id uuid,
    in_expected_version integer,
    in_events jsonb,
    in_idempotency_key uuid,
    INOUT io_new_version integer DEFAULT NULL
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    CALL api.append_events_idempotent(in_stream_type, in_stream_id, in_expected_version, in_events,
                                      in_idempotency_key, io_new_version);
END;
$$;

COMMENT ON FUNCTION api.call_append_events_idempotent(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, in_idempotency_key uuid, INOUT io_new_version integer) IS 'api.append_events_idempotent as a function, for callers that can only SELECT (a PL/Proxy endpoint, docs/sharding.md). The same arguments, result, errors and rights (it runs as its caller).';
REVOKE ALL ON FUNCTION api.call_append_events_idempotent(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, in_idempotency_key uuid, INOUT io_new_version integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.call_append_events_idempotent(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, in_idempotency_key uuid, INOUT io_new_version integer) TO eventstore_writer;
