-- How far a consumer has processed a log it follows (api.record_tracking): NULL if it has
-- recorded nothing.

CREATE OR REPLACE FUNCTION api.tracking_position(in_tracker text, in_upstream text)
RETURNS numeric
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.position FROM data.tracking AS t WHERE t.tracker = in_tracker AND t.upstream = in_upstream;
$$;

COMMENT ON FUNCTION api.tracking_position(in_tracker text, in_upstream text) IS 'The position in_tracker has recorded for in_upstream (api.record_tracking), NULL if none';
REVOKE ALL ON FUNCTION api.tracking_position(in_tracker text, in_upstream text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.tracking_position(in_tracker text, in_upstream text) TO eventstore_reader;
