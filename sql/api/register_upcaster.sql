CREATE OR REPLACE FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_low integer;
    l_high integer;
    l_registrant name := private.calling_role();
    l_invoker regprocedure;
BEGIN
    IF in_event_type IS NULL OR in_event_type = '' THEN
        RAISE EXCEPTION 'in_event_type must be a non-empty text' USING ERRCODE = 'ZE003';
    END IF;
    IF in_from_version IS NULL OR in_from_version < 1 OR in_from_version >= 2147483647 THEN
        RAISE EXCEPTION 'in_from_version must be an integer from 1 to 2147483646, got %', COALESCE(in_from_version::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF pg_catalog.char_length(in_event_type) > 200 THEN
        RAISE EXCEPTION 'in_event_type must be at most 200 characters, got %', pg_catalog.char_length(in_event_type)
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_upcaster IS NULL OR NOT EXISTS (
        SELECT FROM pg_catalog.pg_proc AS f
        WHERE f.oid = in_upcaster AND f.prokind = 'f' AND f.pronargs = 1
          AND f.proargtypes[0] = 'jsonb'::pg_catalog.regtype AND f.prorettype = 'jsonb'::pg_catalog.regtype) THEN
        RAISE EXCEPTION 'upcaster % must be a function (jsonb) returning jsonb', COALESCE(in_upcaster::text, 'NULL')
            USING ERRCODE = 'ZE010',
                  HINT = 'CREATE FUNCTION my_upcaster(in_event_data jsonb) RETURNS jsonb ...';
    END IF;

    -- The chain of a type has no gap: a new step extends it at either end (or replaces one).
    SELECT min(u.from_version), max(u.from_version) INTO l_low, l_high
    FROM data.event_upcasters AS u WHERE u.event_type = in_event_type;
    IF l_low IS NOT NULL AND in_from_version NOT BETWEEN l_low - 1 AND l_high + 1 THEN
        RAISE EXCEPTION 'upcaster chain of % would have a gap: it upcasts versions % to %, a step from version % leaves % missing',
                in_event_type, l_low, l_high + 1, in_from_version,
                CASE WHEN in_from_version > l_high
                     THEN pg_catalog.format('%s -> %s', l_high + 1, in_from_version)
                     ELSE pg_catalog.format('%s -> %s', in_from_version + 1, l_low) END
            USING ERRCODE = 'ZE010',
                  HINT = 'Register the steps in between first.';
    END IF;

    l_invoker := private.make_invoker(in_upcaster, 'upcaster', l_registrant);
    INSERT INTO data.event_upcasters AS u (event_type, from_version, upcaster, upcaster_invoker, registered_by)
    VALUES (in_event_type, in_from_version, in_upcaster, l_invoker, l_registrant)
    ON CONFLICT (event_type, from_version) DO UPDATE
        SET upcaster = excluded.upcaster, registered_at = pg_catalog.now(),
            upcaster_invoker = excluded.upcaster_invoker, registered_by = excluded.registered_by;
    PERFORM private.refresh_event_type(in_event_type);
    PERFORM private.drop_unused_invokers();
END;
$$;

COMMENT ON FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure) IS 'Registers the step of an event type''s payload from in_from_version to in_from_version + 1:
in_upcaster(event_data jsonb) returns the newer payload. Readers then see every event of the
type at the end of its chain. It runs with the rights of the role that registers it.
Errors: ZE003 bad argument, ZE010 wrong signature, a step that would leave a gap in the
chain, or a function that could run with rights its registrant does not have.';
REVOKE ALL ON FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure) TO eventstore_admin;
