-- Deploy eventstore:registered_code to pg
-- requires: projections
-- requires: event_registry
-- requires: reducers
-- requires: roles
-- Registered code is a privilege boundary. Handlers, reset handlers, upcasters and reducers
-- are called from inside the bundle's SECURITY DEFINER functions and the pg_cron worker,
-- that is with the rights of the bundle's owner (often a superuser). So a registration
-- never calls the registered function directly: it calls an invoker, a SECURITY DEFINER
-- function in schema "registered" owned by the registrant, whose SQL-standard body names
-- the registered function. The registered function therefore runs with the registrant's
-- rights and no more, and PostgreSQL records the dependency: the registered function
-- cannot be dropped while it is registered.
--
-- Refused at registration (ZE010): temporary functions (they end with their session),
-- functions owned by a role the registrant does not act as, and functions in schemas that
-- such a role may create objects in (either could change what runs with the registrant's
-- rights). Before each call the invoker is checked to still be a SECURITY DEFINER function
-- of schema "registered" (its owner could otherwise make it run as the caller).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE SCHEMA registered;
COMMENT ON SCHEMA registered IS
    'Invokers of registered functions: each runs one registered function as its registrant';
REVOKE ALL ON SCHEMA registered FROM PUBLIC;

ALTER TABLE data.projections
    ADD COLUMN handler_invoker regprocedure,
    ADD COLUMN reset_handler_invoker regprocedure,
    ADD COLUMN registered_by name;
ALTER TABLE data.event_upcasters
    ADD COLUMN upcaster_invoker regprocedure,
    ADD COLUMN registered_by name;
ALTER TABLE data.reducers
    ADD COLUMN reducer_invoker regprocedure,
    ADD COLUMN registered_by name;

COMMENT ON COLUMN data.projections.handler_invoker IS 'What runs: registered.* calling handler as registered_by';
COMMENT ON COLUMN data.projections.reset_handler_invoker IS 'What runs: registered.* calling reset_handler as registered_by';
COMMENT ON COLUMN data.projections.registered_by IS 'The role whose rights the handlers run with';
COMMENT ON COLUMN data.event_upcasters.upcaster_invoker IS 'What runs: registered.* calling upcaster as registered_by';
COMMENT ON COLUMN data.event_upcasters.registered_by IS 'The role whose rights the upcaster runs with';
COMMENT ON COLUMN data.reducers.reducer_invoker IS 'What runs: registered.* calling reducer as registered_by';
COMMENT ON COLUMN data.reducers.registered_by IS 'The role whose rights the reducer runs with';

-- The role calling the SECURITY DEFINER function this runs in: its SET ROLE if any, else
-- the session user (inside a SECURITY DEFINER function current_user is the owner).
CREATE OR REPLACE FUNCTION private.calling_role()
RETURNS name
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') = 'none' THEN session_user
                ELSE pg_catalog.current_setting('role')::name END;
$$;

COMMENT ON FUNCTION private.calling_role() IS
    'The role that called the SECURITY DEFINER function this runs in (its SET ROLE, else the session user)';

-- May in_role change code that runs with in_registrant's rights without gaining any? Yes
-- for the registrant itself, roles it can become, superusers and the bundle's owner.
-- pg_database_owner (owner of schema public) stands for the owner of this database.
CREATE OR REPLACE FUNCTION private.acts_for(in_registrant name, in_role oid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.role <> 0
       AND (pg_catalog.pg_has_role(in_registrant, r.role, 'MEMBER')
            OR r.role = (SELECT x.oid FROM pg_catalog.pg_roles AS x WHERE x.rolname = current_user)
            OR EXISTS (SELECT FROM pg_catalog.pg_roles AS x WHERE x.oid = r.role AND x.rolsuper))
    FROM (SELECT CASE WHEN in_role = 'pg_database_owner'::pg_catalog.regrole
                      THEN (SELECT d.datdba FROM pg_catalog.pg_database AS d
                            WHERE d.datname = pg_catalog.current_database())
                      ELSE in_role END AS role) AS r;
$$;

-- Why in_function cannot run with in_registrant's rights, or NULL if it can.
CREATE OR REPLACE FUNCTION private.registration_problem(in_function regprocedure, in_registrant name)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN n.nspname LIKE 'pg\_temp\_%' OR n.oid = pg_catalog.pg_my_temp_schema() THEN
            'it is a temporary function: it ends with its session'
        WHEN NOT private.acts_for(in_registrant, f.proowner) THEN
            pg_catalog.format('it is owned by %s, a role %s does not act as: its owner could change what runs with your rights',
                              pg_catalog.pg_get_userbyid(f.proowner), in_registrant)
        WHEN NOT private.acts_for(in_registrant, n.nspowner) THEN
            pg_catalog.format('its schema %s is owned by %s, a role %s does not act as', n.nspname,
                              pg_catalog.pg_get_userbyid(n.nspowner), in_registrant)
        WHEN EXISTS (SELECT FROM pg_catalog.aclexplode(n.nspacl) AS a
                     WHERE a.privilege_type = 'CREATE' AND NOT private.acts_for(in_registrant, a.grantee)) THEN
            pg_catalog.format('others may create objects in its schema %s (%s): one could shadow what it calls',
                              n.nspname,
                              (SELECT pg_catalog.string_agg(CASE a.grantee WHEN 0 THEN 'PUBLIC'
                                                            ELSE pg_catalog.pg_get_userbyid(a.grantee) END, ', ')
                               FROM pg_catalog.aclexplode(n.nspacl) AS a
                               WHERE a.privilege_type = 'CREATE' AND NOT private.acts_for(in_registrant, a.grantee)))
    END
    FROM pg_catalog.pg_proc AS f
    JOIN pg_catalog.pg_namespace AS n ON n.oid = f.pronamespace
    WHERE f.oid = in_function;
$$;

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

COMMENT ON FUNCTION private.make_invoker(regprocedure, text, name, boolean) IS
    'The invoker (registered.*) running in_function with in_registrant''s rights; ZE010 if it may not';

-- What a caller EXECUTEs to call an invoker, after checking that it is still one: its
-- owner could have made it SECURITY INVOKER (it would then run as the bundle's owner).
CREATE OR REPLACE FUNCTION private.invoker_call(in_invoker regprocedure, in_what text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_name text;
BEGIN
    SELECT pg_catalog.format('registered.%I', f.proname) INTO l_name
    FROM pg_catalog.pg_proc AS f
    WHERE f.oid = in_invoker AND f.prosecdef
      AND f.pronamespace = 'registered'::pg_catalog.regnamespace;
    IF l_name IS NULL THEN
        RAISE EXCEPTION '% cannot run: its invoker % is gone or no longer SECURITY DEFINER', in_what,
                COALESCE(in_invoker::oid::text, 'NULL')
            USING ERRCODE = 'ZE010',
                  HINT = 'An admin registers it again.';
    END IF;
    RETURN l_name;
END;
$$;

COMMENT ON FUNCTION private.invoker_call(regprocedure, text) IS
    'The name to call an invoker by, once checked to be a SECURITY DEFINER function of schema registered';

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

REVOKE ALL ON FUNCTION private.calling_role() FROM PUBLIC;
REVOKE ALL ON FUNCTION private.acts_for(name, oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.registration_problem(regprocedure, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.make_invoker(regprocedure, text, name, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.invoker_call(regprocedure, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.drop_unused_invokers() FROM PUBLIC;

-- Registrations made before this change run as their function's owner from now on.
UPDATE data.projections AS p
SET handler_invoker = private.make_invoker(p.handler, 'handler', pg_catalog.pg_get_userbyid(f.proowner), false),
    registered_by = pg_catalog.pg_get_userbyid(f.proowner)
FROM pg_catalog.pg_proc AS f WHERE f.oid = p.handler;
UPDATE data.projections AS p
SET reset_handler_invoker = private.make_invoker(p.reset_handler, 'reset', p.registered_by, false)
WHERE p.reset_handler IS NOT NULL;
UPDATE data.event_upcasters AS u
SET upcaster_invoker = private.make_invoker(u.upcaster, 'upcaster', pg_catalog.pg_get_userbyid(f.proowner), false),
    registered_by = pg_catalog.pg_get_userbyid(f.proowner)
FROM pg_catalog.pg_proc AS f WHERE f.oid = u.upcaster;
UPDATE data.reducers AS r
SET reducer_invoker = private.make_invoker(r.reducer, 'reducer', pg_catalog.pg_get_userbyid(f.proowner), false),
    registered_by = pg_catalog.pg_get_userbyid(f.proowner)
FROM pg_catalog.pg_proc AS f WHERE f.oid = r.reducer;

COMMIT;
