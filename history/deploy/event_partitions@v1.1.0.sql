-- Deploy eventstore:event_partitions to pg
-- requires: events
-- requires: events_append_only
-- Monthly partitions of data.events, named data.events_YYYY_MM, bounded by UTC month
-- starts. Created ahead by api.ensure_event_partitions (at deploy, and daily by pg_cron
-- where it runs); retired by api.detach_event_partitions (detach only: the DBA archives
-- or drops the detached table).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Create the partition of the month starting at in_month (a UTC month start) unless it
-- exists. Rows that already fell into the DEFAULT partition for that month would make the
-- CREATE fail, so they are moved into the new partition first (the DEFAULT partition is
-- detached meanwhile; detaching drops its cloned row guard, so the move can delete, and
-- attaching clones it back, ENABLE ALWAYS included).
CREATE OR REPLACE FUNCTION private.create_event_partition(in_month date)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
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

    IF EXISTS (SELECT FROM data.events_default AS d
               WHERE d.created_at >= l_from AND d.created_at < l_to) THEN
        ALTER TABLE data.events DETACH PARTITION data.events_default;
        EXECUTE pg_catalog.format(
            'CREATE TABLE data.%I PARTITION OF data.events FOR VALUES FROM (%L) TO (%L)',
            l_name, l_from, l_to);
        EXECUTE pg_catalog.format(
            'INSERT INTO data.%I SELECT * FROM data.events_default
             WHERE created_at >= %L AND created_at < %L', l_name, l_from, l_to);
        DELETE FROM data.events_default AS d WHERE d.created_at >= l_from AND d.created_at < l_to;
        ALTER TABLE data.events ATTACH PARTITION data.events_default DEFAULT;
    ELSE
        EXECUTE pg_catalog.format(
            'CREATE TABLE data.%I PARTITION OF data.events FOR VALUES FROM (%L) TO (%L)',
            l_name, l_from, l_to);
    END IF;

    EXECUTE pg_catalog.format(
        'CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON data.%I
         FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change()', l_name);
    EXECUTE pg_catalog.format(
        'ALTER TABLE data.%I ENABLE ALWAYS TRIGGER events_refuse_truncate', l_name);
    EXECUTE pg_catalog.format(
        'COMMENT ON TABLE data.%I IS %L', l_name,
        'Events created in ' || pg_catalog.to_char(in_month, 'YYYY-MM') || ' (UTC)');
    RETURN true;
END;
$$;

COMMENT ON FUNCTION private.create_event_partition(date) IS
    'Creates data.events_YYYY_MM for the month starting in_month (UTC) unless it exists';

REVOKE ALL ON FUNCTION private.create_event_partition(date) FROM PUBLIC;

CREATE OR REPLACE PROCEDURE api.ensure_event_partitions(in_months_ahead integer DEFAULT 3)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    l_this_month date := pg_catalog.date_trunc('month', pg_catalog.now())::date;
BEGIN
    IF in_months_ahead IS NULL OR in_months_ahead < 0 OR in_months_ahead > 120 THEN
        RAISE EXCEPTION 'in_months_ahead must be between 0 and 120, got %', in_months_ahead
            USING ERRCODE = 'ZE003';
    END IF;

    FOR l_i IN 0 .. in_months_ahead LOOP
        IF private.create_event_partition((l_this_month + pg_catalog.make_interval(months => l_i))::date) THEN
            RAISE NOTICE 'created partition data.events_%',
                pg_catalog.to_char(l_this_month + pg_catalog.make_interval(months => l_i), 'YYYY_MM');
        END IF;
    END LOOP;
END;
$$;

COMMENT ON PROCEDURE api.ensure_event_partitions(integer) IS
    'Creates the monthly partitions of data.events for this month and in_months_ahead more (UTC)';

-- Retention: detach (never drop) whole months that end on or before in_before. Their
-- events leave every reader, stream reads and rebuilds included; the detached tables stay
-- in schema data for the DBA to archive (pg_dump -t) and drop.
CREATE OR REPLACE PROCEDURE api.detach_event_partitions(in_before date)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    l_partition record;
BEGIN
    IF in_before IS NULL OR in_before > pg_catalog.date_trunc('month', pg_catalog.now())::date THEN
        RAISE EXCEPTION 'in_before must be a date no later than the start of this month, got %', in_before
            USING ERRCODE = 'ZE003',
                  HINT = 'The current month cannot be detached: events are being written to it.';
    END IF;

    FOR l_partition IN
        SELECT c.relname
        FROM pg_catalog.pg_inherits AS i
        JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'data.events'::pg_catalog.regclass
          AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'
          AND (pg_catalog.to_date(pg_catalog.substr(c.relname, 8), 'YYYY_MM') + interval '1 month') <= in_before
        ORDER BY c.relname
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE data.events DETACH PARTITION data.%I', l_partition.relname);
        RAISE NOTICE 'detached data.%: archive it, then DROP TABLE it', l_partition.relname;
    END LOOP;
END;
$$;

COMMENT ON PROCEDURE api.detach_event_partitions(date) IS
    'Retention: detaches the monthly partitions that end on or before in_before (kept as tables)';

REVOKE ALL ON PROCEDURE api.ensure_event_partitions(integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE api.detach_event_partitions(date) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.ensure_event_partitions(integer) TO eventstore_admin;
GRANT EXECUTE ON PROCEDURE api.detach_event_partitions(date) TO eventstore_admin;

-- The current month and the ones ahead exist from the start.
CALL api.ensure_event_partitions();

COMMIT;
