-- One batch of every running projection, each in a subtransaction of its own so that one
-- projection's unexpected error does not undo the others.

CREATE OR REPLACE FUNCTION api.run_projections(in_batch_size integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_name text;
    l_total integer := 0;
BEGIN
    IF in_batch_size < 1 THEN
        RAISE EXCEPTION 'in_batch_size must be positive or NULL (each projection''s registered size), got %',
                in_batch_size
            USING ERRCODE = 'ZE003';
    END IF;
    FOR l_name IN
        SELECT c.projection_name FROM data.projection_checkpoints AS c
        WHERE c.status IN ('running', 'rebuilding') ORDER BY c.projection_name
    LOOP
        l_total := l_total + private.run_projection_guarded(l_name, in_batch_size);
    END LOOP;
    RETURN l_total;
END;
$$;

COMMENT ON FUNCTION api.run_projections(in_batch_size integer) IS 'Applies one batch of every running projection; returns the events applied. Call it in a loop
(each call its own transaction) to drive projections without pg_cron. Errors: ZE003 a batch
size below 1.';
REVOKE ALL ON FUNCTION api.run_projections(in_batch_size integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.run_projections(in_batch_size integer) TO eventstore_projector;
