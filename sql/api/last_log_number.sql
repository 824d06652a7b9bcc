-- The log number of the last event a gap-free reader can read now (api.read_log), optionally
-- of some stream types only: where a reader that starts from "now" begins.

CREATE OR REPLACE FUNCTION api.last_log_number(in_stream_types text[] DEFAULT NULL)
RETURNS numeric
LANGUAGE plpgsql
VOLATILE  -- its read needs a snapshot taken after its horizon (docs/read-horizon.md)
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_sort = off  -- a backward Merge Append of the partitions' log order indexes
AS $$
DECLARE
    l_stream_types text[] := private.check_type_filter(in_stream_types, 'in_stream_types');
    l_horizon record;
    l_number numeric;
BEGIN
    l_horizon := private.read_horizon();
    SELECT e.log_number
    INTO l_number
    FROM data.events AS e
    WHERE private.readable_after(e.generation, e.transaction_id, e.global_position, 0, '0'::xid8, 0,
                                 l_horizon.generation, l_horizon.transaction_id)
      AND (l_stream_types IS NULL OR e.stream_type = ANY (l_stream_types))
    ORDER BY e.generation DESC, e.transaction_id DESC, e.global_position DESC
    LIMIT 1;
    RETURN l_number;
END;
$$;

COMMENT ON FUNCTION api.last_log_number(in_stream_types text[]) IS 'The log number of the last event api.read_log can return now (of the given stream types; NULL = any), NULL if none.
Errors: ZE003 bad type filter.';
REVOKE ALL ON FUNCTION api.last_log_number(in_stream_types text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.last_log_number(in_stream_types text[]) TO eventstore_reader;
