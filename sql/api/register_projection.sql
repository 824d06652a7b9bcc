-- Registering a projection (its first registration is its version 1, live; redefining it
-- redefines the live version). Handlers run
-- with their registrant's rights (invokers, change registered_code); a skipped event stays
-- skipped through rebuilds and resets; the projection's lock is its checkpoint row.

CREATE OR REPLACE FUNCTION api.register_projection(
    in_projection_name text,
    in_handler regprocedure,
    in_reset_handler regprocedure DEFAULT NULL,
    in_event_types text[] DEFAULT NULL,
    in_stream_types text[] DEFAULT NULL,
    in_batch_size integer DEFAULT 500)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_registrant name := private.calling_role();
    l_handler_invoker regprocedure;
    l_reset_invoker regprocedure;
BEGIN
    IF in_projection_name IS NULL OR in_projection_name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'in_projection_name must be lowercase letters, digits and _ starting with a letter, got %',
                COALESCE(pg_catalog.quote_literal(in_projection_name), 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_batch_size IS NULL OR in_batch_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'in_batch_size must be between 1 and 100000, got %', COALESCE(in_batch_size::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    PERFORM private.check_projection_handlers(in_handler, in_reset_handler);
    IF pg_catalog.array_ndims(in_event_types) > 1 OR pg_catalog.array_ndims(in_stream_types) > 1
       OR pg_catalog.array_position(in_event_types, NULL) IS NOT NULL
       OR pg_catalog.array_position(in_stream_types, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'in_event_types and in_stream_types must be one-dimensional arrays without NULLs'
            USING ERRCODE = 'ZE003';
    END IF;
    IF EXISTS (SELECT FROM data.projections AS p WHERE p.version_of = in_projection_name) THEN
        -- Redefining: not while a promotion moves the name to another version.
        PERFORM private.lock_projection_versions(in_projection_name);
    END IF;
    l_handler_invoker := private.make_invoker(in_handler, 'handler', l_registrant);
    IF in_reset_handler IS NOT NULL THEN
        l_reset_invoker := private.make_invoker(in_reset_handler, 'reset', l_registrant);
    END IF;

    INSERT INTO data.projections AS p
        (projection_name, version_of, handler, reset_handler, event_types, stream_types, batch_size,
         handler_invoker, reset_handler_invoker, registered_by)
    VALUES (in_projection_name, in_projection_name, in_handler, in_reset_handler, in_event_types, in_stream_types,
            in_batch_size, l_handler_invoker, l_reset_invoker, l_registrant)
    ON CONFLICT (projection_name) DO UPDATE
        SET handler = excluded.handler,
            reset_handler = excluded.reset_handler,
            event_types = excluded.event_types,
            stream_types = excluded.stream_types,
            batch_size = excluded.batch_size,
            handler_invoker = excluded.handler_invoker,
            reset_handler_invoker = excluded.reset_handler_invoker,
            registered_by = excluded.registered_by;
    -- Its other versions follow the same events.
    UPDATE data.projections AS p
    SET event_types = in_event_types, stream_types = in_stream_types, batch_size = in_batch_size
    WHERE p.version_of = in_projection_name AND p.projection_name <> in_projection_name;
    PERFORM private.drop_unused_invokers();

    INSERT INTO data.projection_checkpoints (projection_name)
    VALUES (in_projection_name)
    ON CONFLICT (projection_name) DO NOTHING;
END;
$$;

COMMENT ON FUNCTION api.register_projection(in_projection_name text, in_handler regprocedure, in_reset_handler regprocedure, in_event_types text[], in_stream_types text[], in_batch_size integer) IS 'Registers (or redefines, keeping its position) a projection: in_handler(data.events[]) applies
a batch of events in log order; in_reset_handler() empties the read model for rebuilds;
in_event_types / in_stream_types restrict what it is given (NULL: everything). A new
projection starts at the beginning of the log and is its version 1; redefining one redefines
its live version, and its other versions follow the new filters. The handlers run with the rights of the
role that registers them. Errors: ZE003 bad name, batch size or filter, ZE010 handler of
the wrong shape, or one that could run with rights its registrant does not have (a
temporary function, one owned by another role, or in a schema others can create in).';
REVOKE ALL ON FUNCTION api.register_projection(in_projection_name text, in_handler regprocedure, in_reset_handler regprocedure, in_event_types text[], in_stream_types text[], in_batch_size integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_projection(in_projection_name text, in_handler regprocedure, in_reset_handler regprocedure, in_event_types text[], in_stream_types text[], in_batch_size integer) TO eventstore_admin;
