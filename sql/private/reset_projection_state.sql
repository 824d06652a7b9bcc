-- Empties the read model and moves the checkpoint to the start, once any batch in
-- progress has committed (the blocking lock); shared by the two rebuilds. The replay mark
-- keeps how far the projection had acted, so that its handler sends nothing again.

CREATE OR REPLACE FUNCTION private.reset_projection_state(in_projection_name text, in_status text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_reset regprocedure;
BEGIN
    SELECT p.reset_handler_invoker INTO l_reset FROM data.projections AS p
    WHERE p.projection_name = in_projection_name;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    IF l_reset IS NULL THEN
        RAISE EXCEPTION 'projection % has no reset handler: it cannot be rebuilt', in_projection_name
            USING ERRCODE = 'ZE010',
                  HINT = 'Register it again with in_reset_handler.';
    END IF;

    -- Wait for a batch in progress to commit (the checkpoint row is the projection's
    -- lock); a run that starts while this transaction holds it does nothing.
    PERFORM FROM data.projection_checkpoints AS c WHERE c.projection_name = in_projection_name FOR UPDATE;
    -- What it has acted on stays acted on: the runner replays it (api.projection_replaying()).
    UPDATE data.projections AS p
    SET replay_generation = a.generation, replay_transaction_id = a.transaction_id,
        replay_global_position = a.global_position
    FROM private.projection_acted_until(in_projection_name) AS a
    WHERE p.projection_name = in_projection_name;
    EXECUTE pg_catalog.format('SELECT %s()',
                              private.invoker_call(l_reset, 'the reset handler of projection ' || in_projection_name));
    UPDATE data.projection_checkpoints AS c
    SET last_event_id = NULL, last_processed = pg_catalog.now(), status = in_status,
        error_message = NULL, generation = 0, transaction_id = '0', global_position = 0,
        failed_event_id = NULL, failed_at = NULL, events_applied = 0
    WHERE c.projection_name = in_projection_name;
END;
$$;

REVOKE ALL ON FUNCTION private.reset_projection_state(in_projection_name text, in_status text) FROM PUBLIC;
