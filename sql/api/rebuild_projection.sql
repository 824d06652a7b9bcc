CREATE OR REPLACE PROCEDURE api.rebuild_projection(in_projection_name text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_c data.projection_checkpoints;
BEGIN
    PERFORM private.reset_projection_state(in_projection_name, 'rebuilding');

    -- Reprocess all events, in this transaction: readers of the read model see the old
    -- state until the rebuilt one commits, never a half-built one.
    LOOP
        PERFORM private.run_projection_batch(in_projection_name, 10000);
        SELECT c.* INTO l_c FROM data.projection_checkpoints AS c WHERE c.projection_name = in_projection_name;
        EXIT WHEN l_c.status <> 'rebuilding';
    END LOOP;

    IF l_c.status = 'failed' THEN
        RAISE EXCEPTION 'rebuild of projection % failed on event %: %', in_projection_name,
                l_c.failed_event_id, l_c.error_message
            USING ERRCODE = 'ZE012',
                  HINT = 'Nothing was changed. Fix the handler (or the event''s upcaster) and rebuild again.';
    END IF;
END;
$$;

COMMENT ON PROCEDURE api.rebuild_projection(IN in_projection_name text) IS 'Rebuilds a projection from the first event, in one transaction: the read model switches from
the old state to the rebuilt one at commit. Waits for a batch in progress; scheduled runs
that start meanwhile do nothing. Errors: ZE005 unknown projection, ZE010 no reset handler,
ZE012 the handler failed (nothing changed). For very large logs see api.reset_projection.';
REVOKE ALL ON PROCEDURE api.rebuild_projection(IN in_projection_name text) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.rebuild_projection(IN in_projection_name text) TO eventstore_projector;
