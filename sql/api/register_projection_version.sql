-- Another version of a projection: a new handler (writing a read model of its own) that the
-- runner catches up from the beginning of the log beside the live version, which goes on
-- serving. It follows the live version's event and stream types and batch size.

CREATE OR REPLACE FUNCTION api.register_projection_version(
    in_projection_name text,
    in_version integer,
    in_handler regprocedure,
    in_reset_handler regprocedure DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_registrant name := private.calling_role();
    l_live data.projections;
    l_name text;
    l_handler_invoker regprocedure;
    l_reset_invoker regprocedure;
BEGIN
    IF in_version IS NULL OR in_version NOT BETWEEN 1 AND 999999999 THEN
        RAISE EXCEPTION 'in_version must be between 1 and 999999999, got %', COALESCE(in_version::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    PERFORM private.check_projection_handlers(in_handler, in_reset_handler);
    PERFORM private.lock_projection_versions(in_projection_name);
    SELECT p.* INTO l_live FROM data.projections AS p WHERE p.projection_name = in_projection_name;

    l_handler_invoker := private.make_invoker(in_handler, 'handler', l_registrant);
    IF in_reset_handler IS NOT NULL THEN
        l_reset_invoker := private.make_invoker(in_reset_handler, 'reset', l_registrant);
    END IF;
    -- A version registered already is redefined, keeping its position (as register_projection).
    l_name := CASE WHEN in_version = l_live.version THEN in_projection_name
                   ELSE in_projection_name || '@' || in_version::text END;
    INSERT INTO data.projections AS p
        (projection_name, version_of, version, handler, reset_handler, event_types, stream_types, batch_size,
         handler_invoker, reset_handler_invoker, registered_by)
    VALUES (l_name, in_projection_name, in_version, in_handler, in_reset_handler, l_live.event_types,
            l_live.stream_types, l_live.batch_size, l_handler_invoker, l_reset_invoker, l_registrant)
    ON CONFLICT (projection_name) DO UPDATE
        SET handler = excluded.handler,
            reset_handler = excluded.reset_handler,
            handler_invoker = excluded.handler_invoker,
            reset_handler_invoker = excluded.reset_handler_invoker,
            registered_by = excluded.registered_by;
    PERFORM private.drop_unused_invokers();

    -- From the beginning of the log, status rebuilding until it has caught up with the live one.
    INSERT INTO data.projection_checkpoints (projection_name, status)
    VALUES (l_name, 'rebuilding')
    ON CONFLICT (projection_name) DO NOTHING;
END;
$$;

COMMENT ON FUNCTION api.register_projection_version(in_projection_name text, in_version integer, in_handler regprocedure, in_reset_handler regprocedure) IS 'Registers version in_version of a projection (or redefines it, keeping its position): in_handler
applies events to a read model of its own, from the beginning of the log, caught up by the
projection runner while the live version goes on serving; it runs as name@version (pause,
resume, reset take that name) and never goes past what the live version has acted on. Its
handler runs with api.projection_replaying() true. Same event and stream types and batch size
as the live version. api.promote_projection makes it live. Errors: ZE003 bad version, ZE005
unknown projection, ZE010 handler of the wrong shape or rights (as api.register_projection).';
REVOKE ALL ON FUNCTION api.register_projection_version(in_projection_name text, in_version integer, in_handler regprocedure, in_reset_handler regprocedure) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_projection_version(in_projection_name text, in_version integer, in_handler regprocedure, in_reset_handler regprocedure) TO eventstore_admin;
