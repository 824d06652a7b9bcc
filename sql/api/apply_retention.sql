-- Steps until nothing is left, each in a transaction of its own (call it as a statement of
-- its own, not inside a transaction block). Not SECURITY DEFINER, so that it may commit; the
-- step it calls is.

CREATE OR REPLACE PROCEDURE api.apply_retention(in_batch_size integer DEFAULT 10000)
LANGUAGE plpgsql
AS $$
DECLARE
    l_removed integer;
    l_total bigint := 0;
BEGIN
    LOOP
        l_removed := api.apply_retention_step(in_batch_size);
        COMMIT;
        EXIT WHEN l_removed = 0;
        l_total := l_total + l_removed;
    END LOOP;
    RAISE NOTICE 'retention: % events removed', l_total;
END;
$$;

COMMENT ON PROCEDURE api.apply_retention(IN in_batch_size integer) IS 'Removes the events past retention (api.set_retention): whole expired months dropped, the rest
deleted in batches of in_batch_size, each step its own transaction. Call it on its own (pg_cron
does, daily), not inside a transaction block.';
REVOKE ALL ON PROCEDURE api.apply_retention(IN in_batch_size integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.apply_retention(IN in_batch_size integer) TO eventstore_admin;
