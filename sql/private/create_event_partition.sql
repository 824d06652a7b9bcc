-- Create the partition of the month starting at in_month (a UTC month start) unless it
-- exists: a table of its own, then attached. Rows that already fell into the DEFAULT
-- partition for that month would make the ATTACH fail, so they are moved into the new
-- partition first (the DEFAULT partition is detached meanwhile; detaching drops its cloned
-- row guard, so the move can delete, and attaching clones it back, ENABLE ALWAYS included).
-- Waits at most 200 ms for each lock (55P03 then: the caller retries).

CREATE OR REPLACE FUNCTION private.create_event_partition(in_month date)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
SET lock_timeout = '200ms'
AS $$
DECLARE
    l_name text := 'events_' || pg_catalog.to_char(in_month, 'YYYY_MM');
    l_from timestamptz := in_month::timestamp AT TIME ZONE 'UTC';
    l_to timestamptz := (in_month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF in_month IS NULL OR in_month <> pg_catalog.date_trunc('month', in_month)::date THEN
        RAISE EXCEPTION 'in_month must be the first day of a month, got %', in_month
            USING ERRCODE = 'ZE003';
    END IF;

    IF pg_catalog.to_regclass('data.' || pg_catalog.quote_ident(l_name)) IS NOT NULL THEN
        RETURN false;
    END IF;

    -- The locks first: LOCK takes no transaction id, so a try that times out leaves none
    -- holding every whole-log reader back while it waits for the next try.
    LOCK TABLE data.events IN SHARE UPDATE EXCLUSIVE MODE;
    PERFORM private.raise_if_locked('data.events_default');
    LOCK TABLE data.events_default IN ACCESS EXCLUSIVE MODE;

    -- Sanctioned changes of data.events' partitions (change event_guards refuses others).
    PERFORM pg_catalog.set_config('eventstore.partition_maintenance', 'on', true);
    EXECUTE pg_catalog.format(
        'CREATE TABLE data.%I (LIKE data.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)',
        l_name);
    -- The partition's bound as a constraint: ATTACH need not scan the table to prove it.
    EXECUTE pg_catalog.format(
        'ALTER TABLE data.%I ADD CONSTRAINT %I CHECK (created_at >= %L AND created_at < %L)',
        l_name, l_name || '_bound', l_from, l_to);

    IF EXISTS (SELECT FROM data.events_default AS d
               WHERE d.created_at >= l_from AND d.created_at < l_to) THEN
        ALTER TABLE data.events DETACH PARTITION data.events_default;
        EXECUTE pg_catalog.format(
            'INSERT INTO data.%I SELECT * FROM data.events_default
             WHERE created_at >= %L AND created_at < %L', l_name, l_from, l_to);
        DELETE FROM data.events_default AS d WHERE d.created_at >= l_from AND d.created_at < l_to;
        EXECUTE pg_catalog.format(
            'ALTER TABLE data.events ATTACH PARTITION data.%I FOR VALUES FROM (%L) TO (%L)', l_name, l_from, l_to);
        ALTER TABLE data.events ATTACH PARTITION data.events_default DEFAULT;
    ELSE
        EXECUTE pg_catalog.format(
            'ALTER TABLE data.events ATTACH PARTITION data.%I FOR VALUES FROM (%L) TO (%L)', l_name, l_from, l_to);
    END IF;

    EXECUTE pg_catalog.format(
        'CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON data.%I
         FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change()', l_name);
    EXECUTE pg_catalog.format(
        'ALTER TABLE data.%I ENABLE ALWAYS TRIGGER events_refuse_truncate', l_name);
    EXECUTE pg_catalog.format(
        'COMMENT ON TABLE data.%I IS %L', l_name,
        'Events created in ' || pg_catalog.to_char(in_month, 'YYYY-MM') || ' (UTC)');
    PERFORM pg_catalog.set_config('eventstore.partition_maintenance', 'off', true);
    RETURN true;
END;
$$;

COMMENT ON FUNCTION private.create_event_partition(in_month date) IS 'Creates data.events_YYYY_MM for the month starting in_month (UTC) unless it exists; 200 ms lock waits';
REVOKE ALL ON FUNCTION private.create_event_partition(in_month date) FROM PUBLIC;
