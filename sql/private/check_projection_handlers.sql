-- A projection's handlers have the shapes the runner calls: in_handler(data.events[]) and
-- in_reset_handler() (or none). ZE010 otherwise. Whose rights they may run with is
-- private.make_invoker's check.

CREATE OR REPLACE FUNCTION private.check_projection_handlers(in_handler regprocedure, in_reset_handler regprocedure)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_handler IS NULL OR NOT EXISTS (
        SELECT FROM pg_catalog.pg_proc AS f
        WHERE f.oid = in_handler AND f.prokind = 'f' AND f.pronargs = 1
          AND f.proargtypes[0] = 'data.events[]'::pg_catalog.regtype) THEN
        RAISE EXCEPTION 'projection handler % must be a function taking (data.events[])', COALESCE(in_handler::text, 'NULL')
            USING ERRCODE = 'ZE010',
                  HINT = 'CREATE FUNCTION my_handler(in_events data.events[]) RETURNS void ...';
    END IF;
    IF in_reset_handler IS NOT NULL AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_proc AS f
        WHERE f.oid = in_reset_handler AND f.prokind = 'f' AND f.pronargs = 0) THEN
        RAISE EXCEPTION 'reset handler % must be a function without arguments', in_reset_handler
            USING ERRCODE = 'ZE010';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION private.check_projection_handlers(in_handler regprocedure, in_reset_handler regprocedure) FROM PUBLIC;
