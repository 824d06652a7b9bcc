-- One batch of one projection, for a projector role driving projections itself.

CREATE OR REPLACE FUNCTION api.run_projection(in_projection_name text, in_batch_size integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_batch_size < 1 THEN
        RAISE EXCEPTION 'in_batch_size must be positive or NULL (the registered size), got %', in_batch_size
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN private.run_projection_batch(in_projection_name, in_batch_size);
END;
$$;

COMMENT ON FUNCTION api.run_projection(in_projection_name text, in_batch_size integer) IS 'Applies the next batch of one projection (read model and checkpoint in this transaction);
returns the number of events applied, 0 when caught up, paused, failed or busy elsewhere.
Errors: ZE003 a batch size below 1, ZE005 unknown projection.';
REVOKE ALL ON FUNCTION api.run_projection(in_projection_name text, in_batch_size integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.run_projection(in_projection_name text, in_batch_size integer) TO eventstore_projector;
