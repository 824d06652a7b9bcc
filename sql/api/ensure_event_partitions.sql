CREATE OR REPLACE PROCEDURE api.ensure_event_partitions(in_months_ahead integer DEFAULT 3)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    l_this_month date := pg_catalog.date_trunc('month', pg_catalog.now())::date;
    l_month date;
BEGIN
    IF in_months_ahead IS NULL OR in_months_ahead < 0 OR in_months_ahead > 120 THEN
        RAISE EXCEPTION 'in_months_ahead must be between 0 and 120, got %', in_months_ahead
            USING ERRCODE = 'ZE003';
    END IF;

    FOR l_i IN 0 .. in_months_ahead LOOP
        l_month := (l_this_month + pg_catalog.make_interval(months => l_i))::date;
        CONTINUE WHEN pg_catalog.to_regclass('data.events_' || pg_catalog.to_char(l_month, 'YYYY_MM')) IS NOT NULL;
        PERFORM private.run_with_lock_retries(
            pg_catalog.format('SELECT private.create_event_partition(%L)', l_month),
            'creating partition data.events_' || pg_catalog.to_char(l_month, 'YYYY_MM'));
        RAISE NOTICE 'created partition data.events_%', pg_catalog.to_char(l_month, 'YYYY_MM');
    END LOOP;
END;
$$;

COMMENT ON PROCEDURE api.ensure_event_partitions(IN in_months_ahead integer) IS 'Creates the monthly partitions of data.events for this month and in_months_ahead more (UTC).
Never blocks the store for more than 200 ms at a time: it retries its short lock waits for
about a minute, then fails with 55P03. Errors: ZE003 in_months_ahead outside 0 to 120.';
REVOKE ALL ON PROCEDURE api.ensure_event_partitions(IN in_months_ahead integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.ensure_event_partitions(IN in_months_ahead integer) TO eventstore_admin;
