-- The invoker of in_function for in_registrant (made if missing): a SECURITY DEFINER
-- function owned by in_registrant whose body calls in_function. in_kind says the shape:
-- handler (data.events[]) -> void, reset () -> void, upcaster (jsonb) -> jsonb, reducer
-- (jsonb, data.events) -> jsonb. in_check = false skips the checks (upgrade of
-- registrations made before this change: they run as the function's owner).

CREATE OR REPLACE FUNCTION private.make_invoker(
    in_function regprocedure,
    in_kind text,
    in_registrant name,
    in_check boolean DEFAULT true)
RETURNS regprocedure
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_problem text;
    l_name text;
    l_signature text;
    l_types text;
    l_invoker regprocedure;
BEGIN
    IF in_check THEN
        l_problem := private.registration_problem(in_function, in_registrant);
        IF l_problem IS NOT NULL THEN
            RAISE EXCEPTION '% % cannot be registered by %: %', in_kind, in_function, in_registrant, l_problem
                USING ERRCODE = 'ZE010',
                      HINT = 'Register a function of your own, in a schema only you (or the bundle''s owner) can create objects in.';
        END IF;
    END IF;

    -- Named for what it runs and as whom (the hash keeps the name within 63 bytes, unique).
    l_name := pg_catalog.format('%s_%s_%s', in_kind,
                                pg_catalog.left((SELECT f.proname FROM pg_catalog.pg_proc AS f WHERE f.oid = in_function), 30),
                                pg_catalog.left(pg_catalog.md5(in_function::text || ' as ' || in_registrant), 12));
    l_signature := CASE in_kind
        WHEN 'handler'  THEN '(in_events data.events[])'
        WHEN 'reset'    THEN '()'
        WHEN 'upcaster' THEN '(in_event_data jsonb)'
        WHEN 'reducer'  THEN '(in_state jsonb, in_event data.events)'
    END;
    l_types := CASE in_kind
        WHEN 'handler'  THEN '(data.events[])'
        WHEN 'reset'    THEN '()'
        WHEN 'upcaster' THEN '(jsonb)'
        WHEN 'reducer'  THEN '(jsonb, data.events)'
    END;
    l_invoker := pg_catalog.to_regprocedure('registered.' || pg_catalog.quote_ident(l_name) || l_types);
    IF l_invoker IS NOT NULL THEN
        RETURN l_invoker;
    END IF;

    EXECUTE pg_catalog.format(
        'CREATE FUNCTION registered.%I%s RETURNS %s LANGUAGE sql SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp BEGIN ATOMIC SELECT %s%s; END',
        l_name, l_signature,
        CASE WHEN in_kind IN ('handler', 'reset') THEN 'void' ELSE 'jsonb' END,
        in_function::oid::regproc,
        CASE in_kind WHEN 'handler' THEN '(in_events)' WHEN 'reset' THEN '()'
                     WHEN 'upcaster' THEN '(in_event_data)' WHEN 'reducer' THEN '(in_state, in_event)' END);
    l_invoker := pg_catalog.to_regprocedure('registered.' || pg_catalog.quote_ident(l_name) || l_types);
    EXECUTE pg_catalog.format('COMMENT ON FUNCTION %s IS %L', l_invoker,
                              pg_catalog.format('Runs %s %s with the rights of %s', in_kind, in_function, in_registrant));
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', l_invoker);
    IF in_registrant <> current_user THEN
        BEGIN
            EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %I', l_invoker, in_registrant);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '% % cannot be registered by %: the bundle''s owner % cannot create functions owned by %',
                    in_kind, in_function, in_registrant, current_user, in_registrant
                USING ERRCODE = 'ZE010',
                      HINT = 'Deploy the bundle as a superuser, or GRANT ' || in_registrant || ' TO ' || current_user || '.';
        END;
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', l_invoker, current_user);
    END IF;
    RETURN l_invoker;
END;
$$;

COMMENT ON FUNCTION private.make_invoker(in_function regprocedure, in_kind text, in_registrant name, in_check boolean) IS 'The invoker (registered.*) running in_function with in_registrant''s rights; ZE010 if it may not';
REVOKE ALL ON FUNCTION private.make_invoker(in_function regprocedure, in_kind text, in_registrant name, in_check boolean) FROM PUBLIC;
