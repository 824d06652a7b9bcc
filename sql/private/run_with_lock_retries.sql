CREATE OR REPLACE FUNCTION private.run_with_lock_retries(in_sql text, in_what text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    co_tries constant integer := 30;  -- about a minute of backoff in all
BEGIN
    FOR l_try IN 1 .. co_tries LOOP
        BEGIN
            EXECUTE in_sql;
            RETURN;
        EXCEPTION WHEN lock_not_available THEN
            IF l_try = co_tries THEN
                RAISE EXCEPTION '% did not get its lock in % tries: transactions hold data.events for too long',
                        in_what, co_tries
                    USING ERRCODE = '55P03',
                          HINT = 'See who holds locks on data.events: SELECT l.pid, a.xact_start, a.state FROM pg_locks AS l '
                                 'JOIN pg_stat_activity AS a USING (pid) WHERE l.relation = ''data.events''::regclass;';
            END IF;
            -- The failed try released what it held: the store runs on meanwhile.
            PERFORM pg_catalog.pg_sleep(LEAST(0.05 * l_try, 3));
        END;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.run_with_lock_retries(in_sql text, in_what text) IS 'Runs a maintenance statement, retrying with backoff while its short lock waits time out (55P03 at last)';
REVOKE ALL ON FUNCTION private.run_with_lock_retries(in_sql text, in_what text) FROM PUBLIC;
