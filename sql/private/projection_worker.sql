-- The scheduled worker (pg_cron): batches of every projection, each committed on its own,
-- until in_seconds have passed. When there is nothing to do it sleeps 10 ms,
-- doubling up to 0.2 s while nothing comes: under load a notification (the notifications
-- projection; consumers wait on it with LISTEN) goes out within ~10-40 ms of an event becoming
-- readable; idle, it polls 5 times a second. A procedure
-- (not SECURITY DEFINER) because it commits; pg_cron runs it as the role that deployed.
-- No SET search_path: PostgreSQL refuses COMMIT in a procedure with a SET clause; every
-- name here is qualified and the functions it calls pin their own.

CREATE OR REPLACE PROCEDURE private.projection_worker(in_seconds numeric DEFAULT 55)
LANGUAGE plpgsql
AS $$
DECLARE
    l_deadline timestamptz := pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => in_seconds);
    l_names text[];
    l_name text;
    l_applied integer;
    l_idle_sleep numeric := 0.01;
BEGIN
    LOOP
        l_applied := 0;
        SELECT pg_catalog.array_agg(c.projection_name ORDER BY c.projection_name) INTO l_names
        FROM data.projection_checkpoints AS c
        WHERE c.status IN ('running', 'rebuilding');
        COMMIT;

        FOREACH l_name IN ARRAY COALESCE(l_names, '{}') LOOP
            l_applied := l_applied + private.run_projection_guarded(l_name, NULL);
            COMMIT;  -- one batch, one transaction: short, so it holds no reader back
        END LOOP;

        EXIT WHEN pg_catalog.clock_timestamp() >= l_deadline;
        IF l_applied = 0 THEN
            PERFORM pg_catalog.pg_sleep(l_idle_sleep);
            l_idle_sleep := LEAST(l_idle_sleep * 2, 0.2);
        ELSE
            l_idle_sleep := 0.01;
        END IF;
    END LOOP;
END;
$$;

COMMENT ON PROCEDURE private.projection_worker(IN in_seconds numeric) IS 'Runs every projection batch after batch, committing each, for in_seconds (pg_cron job)';
REVOKE ALL ON PROCEDURE private.projection_worker(IN in_seconds numeric) FROM PUBLIC;
