-- Raises 55P03 once in_what has not got its lock in every try; runs in_sql (one statement
-- or a call) with retries otherwise. The statements pin lock_timeout themselves.
--
-- Raises 55P03 (a try to retry later) while another session holds any lock on in_table.
-- An ACCESS EXCLUSIVE lock request takes a transaction id (it is logged for standbys), and
-- a transaction id held while waiting would hold every whole-log reader back: look first.

CREATE OR REPLACE FUNCTION private.raise_if_locked(in_table regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_pid integer;
BEGIN
    SELECT l.pid INTO l_pid FROM pg_catalog.pg_locks AS l
    WHERE l.locktype = 'relation' AND l.relation = in_table AND l.granted
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database AS d WHERE d.datname = pg_catalog.current_database())
      AND l.pid <> pg_catalog.pg_backend_pid()
    LIMIT 1;
    IF l_pid IS NOT NULL THEN
        RAISE EXCEPTION '% is in use by process %', in_table, l_pid USING ERRCODE = '55P03';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION private.raise_if_locked(in_table regclass) FROM PUBLIC;
