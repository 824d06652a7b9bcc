CREATE OR REPLACE FUNCTION api.pause_projection(in_projection_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_status text;
BEGIN
    SELECT c.status INTO l_status FROM data.projection_checkpoints AS c
    WHERE c.projection_name = in_projection_name FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    IF l_status NOT IN ('running', 'rebuilding') THEN
        RAISE EXCEPTION 'projection % is %, not running: nothing to pause', in_projection_name, l_status
            USING ERRCODE = 'ZE011';
    END IF;
    UPDATE data.projection_checkpoints AS c SET status = 'paused' WHERE c.projection_name = in_projection_name;
END;
$$;

COMMENT ON FUNCTION api.pause_projection(in_projection_name text) IS 'Stops running a projection until api.resume_projection. Errors: ZE005 unknown, ZE011 not running';
REVOKE ALL ON FUNCTION api.pause_projection(in_projection_name text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.pause_projection(in_projection_name text) TO eventstore_projector;
