-- One batch of one projection for the runners of every projection: an error that is not
-- the transaction's (deadlock, resources, cancel) marks the projection failed with the
-- reason, instead of being retried for ever behind a status that says running.

CREATE OR REPLACE FUNCTION private.run_projection_guarded(in_projection_name text, in_batch_size integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_sqlstate text;
    l_message text;
BEGIN
    RETURN private.run_projection_batch(in_projection_name, in_batch_size);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
    IF pg_catalog.left(l_sqlstate, 2) IN ('40', '53', '57') THEN
        RAISE WARNING 'projection %: % (%), retried next run', in_projection_name, l_message, l_sqlstate;
    ELSE
        PERFORM private.mark_projection_failed(in_projection_name, l_sqlstate, l_message);
    END IF;
    RETURN 0;
END;
$$;

REVOKE ALL ON FUNCTION private.run_projection_guarded(in_projection_name text, in_batch_size integer) FROM PUBLIC;
