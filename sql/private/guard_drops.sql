CREATE OR REPLACE FUNCTION private.guard_drops()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER  -- it reads the registries, whoever runs the DDL
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_dropped record;
BEGIN
    FOR l_dropped IN SELECT * FROM pg_catalog.pg_event_trigger_dropped_objects() LOOP
        IF l_dropped.object_type = 'table' AND l_dropped.schema_name = 'data'
           AND (l_dropped.object_name = 'events' OR l_dropped.object_name = 'events_default'
                OR (l_dropped.object_name ~ '^events_[0-9]{4}_[0-9]{2}$'
                    AND NOT EXISTS (SELECT FROM data.retired_event_partitions AS r
                                    WHERE r.partition_name = l_dropped.object_name))) THEN
            RAISE EXCEPTION 'data.events is append-only: % of % refused', tg_tag, l_dropped.object_identity
                USING ERRCODE = 'ZE008',
                      HINT = 'Retire a month with api.detach_event_partitions, archive it, then drop it.';
        END IF;
        IF l_dropped.object_type = 'function' AND l_dropped.schema_name = 'registered'
           AND (EXISTS (SELECT FROM data.projections AS p
                        WHERE l_dropped.objid IN (p.handler_invoker, p.reset_handler_invoker))
                OR EXISTS (SELECT FROM data.event_upcasters AS u WHERE u.upcaster_invoker = l_dropped.objid)
                OR EXISTS (SELECT FROM data.reducers AS r WHERE r.reducer_invoker = l_dropped.objid)) THEN
            RAISE EXCEPTION '% of % refused: a registration runs it', tg_tag, l_dropped.object_identity
                USING ERRCODE = 'ZE010',
                      HINT = 'Register another function in its place first.';
        END IF;
    END LOOP;
END;
$$;

REVOKE ALL ON FUNCTION private.guard_drops() FROM PUBLIC;
