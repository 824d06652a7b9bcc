-- Folds events (in version order) into a state with a reducer's invoker
-- (data.reducers.reducer_invoker). One dynamic call per event: reducers are registered at
-- run time, and streams are short between snapshots.

CREATE OR REPLACE FUNCTION private.fold_events(in_reducer regprocedure, in_state jsonb, in_events data.events[])
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_call text;
    l_state jsonb := in_state;
    l_event data.events;
BEGIN
    IF COALESCE(pg_catalog.cardinality(in_events), 0) = 0 THEN
        RETURN l_state;
    END IF;
    l_call := pg_catalog.format('SELECT %s($1, $2)', private.invoker_call(in_reducer, 'reducer ' || in_reducer::text));
    FOREACH l_event IN ARRAY in_events LOOP
        EXECUTE l_call INTO l_state USING l_state, l_event;
    END LOOP;
    RETURN l_state;
END;
$$;

COMMENT ON FUNCTION private.fold_events(in_reducer regprocedure, in_state jsonb, in_events data.events[]) IS 'Folds events into a state with a reducer''s invoker (registered.*)';
REVOKE ALL ON FUNCTION private.fold_events(in_reducer regprocedure, in_state jsonb, in_events data.events[]) FROM PUBLIC;
