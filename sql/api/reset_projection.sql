CREATE OR REPLACE FUNCTION api.reset_projection(in_projection_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM private.reset_projection_state(in_projection_name, 'rebuilding');
END;
$$;

COMMENT ON FUNCTION api.reset_projection(in_projection_name text) IS 'Online rebuild: empties the read model and restarts the projection from the first event with
status rebuilding; the scheduled runner catches it up batch by batch (short transactions)
and sets it running. The read model is partial meanwhile. Errors: ZE005, ZE010.';
REVOKE ALL ON FUNCTION api.reset_projection(in_projection_name text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.reset_projection(in_projection_name text) TO eventstore_projector;
