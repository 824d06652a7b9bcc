CREATE OR REPLACE FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_c data.projection_checkpoints;
    l_failed record;
BEGIN
    SELECT c.* INTO l_c FROM data.projection_checkpoints AS c
    WHERE c.projection_name = in_projection_name FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    IF l_c.status NOT IN ('failed', 'paused') THEN
        RAISE EXCEPTION 'projection % is %, not failed or paused: nothing to resume', in_projection_name, l_c.status
            USING ERRCODE = 'ZE011';
    END IF;
    IF in_skip_failed_event AND l_c.status <> 'failed' THEN
        RAISE EXCEPTION 'projection % is paused, not failed: there is no failed event to skip', in_projection_name
            USING ERRCODE = 'ZE011';
    END IF;

    IF in_skip_failed_event THEN
        -- Deliberately past the failed event, and on record.
        SELECT e.id, e.generation, e.transaction_id, e.global_position INTO l_failed
        FROM data.events AS e WHERE e.id = l_c.failed_event_id;
        IF l_c.failed_event_id IS NULL THEN
            RAISE EXCEPTION 'projection % failed on no particular event (%): there is nothing to skip',
                    in_projection_name, l_c.error_message
                USING ERRCODE = 'ZE011',
                      HINT = 'Fix the cause and resume without skipping.';
        END IF;
        -- The runner leaves out every recorded skip, rebuilds included. A skip recorded
        -- before (the same event failing again after a rebuild) is kept as it was.
        INSERT INTO data.projection_skips (projection_name, event_id, error_message)
        VALUES (in_projection_name, l_c.failed_event_id, l_c.error_message)
        ON CONFLICT (projection_name, event_id) DO NOTHING;
        UPDATE data.projection_checkpoints AS c
        SET last_event_id = l_failed.id,
            generation = l_failed.generation,
            transaction_id = l_failed.transaction_id,
            global_position = l_failed.global_position
        WHERE c.projection_name = in_projection_name
          AND l_failed.id IS NOT NULL;  -- an event gone with its month: the runner skips it
    END IF;

    UPDATE data.projection_checkpoints AS c
    SET status = 'running', error_message = NULL, failed_event_id = NULL, failed_at = NULL
    WHERE c.projection_name = in_projection_name;
END;
$$;

COMMENT ON FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean) IS 'Runs a failed or paused projection again. A failed one retries its failed event, or with
in_skip_failed_event steps past it, recording the skip in data.projection_skips.
Errors: ZE005 unknown projection, ZE011 not failed or paused.';
REVOKE ALL ON FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean) TO eventstore_projector;
