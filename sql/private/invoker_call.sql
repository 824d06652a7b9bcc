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

COMMENT ON FUNCTION private.invoker_call(in_invoker regprocedure, in_what text) IS 'The name to call an invoker by, once checked to be a SECURITY DEFINER function of schema registered';
REVOKE ALL ON FUNCTION private.invoker_call(in_invoker regprocedure, in_what text) FROM PUBLIC;
