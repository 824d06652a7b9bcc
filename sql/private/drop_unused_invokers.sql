-- Drops the invokers no registration uses any more (after a registration changed).

CREATE OR REPLACE FUNCTION private.drop_unused_invokers()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_invoker regprocedure;
BEGIN
    FOR l_invoker IN
        SELECT f.oid::regprocedure FROM pg_catalog.pg_proc AS f
        WHERE f.pronamespace = 'registered'::pg_catalog.regnamespace
          AND NOT EXISTS (SELECT FROM data.projections AS p
                          WHERE f.oid IN (p.handler_invoker, p.reset_handler_invoker))
          AND NOT EXISTS (SELECT FROM data.event_upcasters AS u WHERE u.upcaster_invoker = f.oid)
          AND NOT EXISTS (SELECT FROM data.reducers AS r WHERE r.reducer_invoker = f.oid)
    LOOP
        PERFORM pg_catalog.set_config('eventstore.dropping_invoker', 'on', true);
        EXECUTE pg_catalog.format('DROP FUNCTION %s', l_invoker);
        PERFORM pg_catalog.set_config('eventstore.dropping_invoker', 'off', true);
    END LOOP;
END;
$$;

REVOKE ALL ON FUNCTION private.drop_unused_invokers() FROM PUBLIC;
