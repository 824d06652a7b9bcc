-- Deploy eventstore:event_partitions to pg
-- requires: event_partitions@v1.1.0
-- requires: events
-- requires: events_append_only
-- Monthly partitions of data.events, named data.events_YYYY_MM, bounded by UTC month
-- starts. Created ahead by api.ensure_event_partitions (at deploy, and daily by pg_cron
-- where it runs); retired by api.detach_event_partitions (detach only: the DBA archives
-- or drops the detached table).
-- Since v1.1.0: maintenance never blocks the store. Each step waits for its lock at most
-- 200 ms (lock_timeout) and is retried with backoff, so appends and reads queue behind it
-- for at most that long, however long another transaction holds a conflicting lock; a new
-- month is created as a table of its own, then ATTACHed (SHARE UPDATE EXCLUSIVE on
-- data.events instead of the ACCESS EXCLUSIVE of CREATE TABLE ... PARTITION OF). Detached
-- months are recorded in data.retired_event_partitions (readers whose cursor was in one
-- continue after it).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE TABLE data.retired_event_partitions (
    partition_name        text PRIMARY KEY,
    range_from            timestamptz NOT NULL,
    range_to              timestamptz NOT NULL,
    -- The first log position of the month's events (NULL: it had none).
    first_generation      integer,
    first_transaction_id  xid8,
    first_global_position bigint,
    retired_at            timestamptz NOT NULL DEFAULT pg_catalog.now(),
    retired_by            text NOT NULL DEFAULT session_user
);

COMMENT ON TABLE data.retired_event_partitions IS
    'Months detached from data.events by api.detach_event_partitions, with their first log position';

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

REVOKE ALL ON FUNCTION private.raise_if_locked(regclass) FROM PUBLIC;

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

COMMENT ON FUNCTION private.run_with_lock_retries(text, text) IS
    'Runs a maintenance statement, retrying with backoff while its short lock waits time out (55P03 at last)';

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

COMMENT ON FUNCTION private.create_event_partition(date) IS
    'Creates data.events_YYYY_MM for the month starting in_month (UTC) unless it exists; 200 ms lock waits';

REVOKE ALL ON FUNCTION private.run_with_lock_retries(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.create_event_partition(date) FROM PUBLIC;

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

COMMENT ON PROCEDURE api.ensure_event_partitions(integer) IS
$$Creates the monthly partitions of data.events for this month and in_months_ahead more (UTC).
Never blocks the store for more than 200 ms at a time: it retries its short lock waits for
about a minute, then fails with 55P03. Errors: ZE003 in_months_ahead outside 0 to 120.$$;

-- Detaches one month and records it (first log position) for readers whose cursor was in it.
CREATE OR REPLACE FUNCTION private.retire_event_partition(in_partition text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
SET lock_timeout = '200ms'
AS $$
DECLARE
    l_month date := pg_catalog.to_date(pg_catalog.substr(in_partition, 8), 'YYYY_MM');
BEGIN
    -- The lock first, once nobody holds the table (see private.raise_if_locked).
    PERFORM private.raise_if_locked('data.events');
    LOCK TABLE data.events IN ACCESS EXCLUSIVE MODE;
    PERFORM pg_catalog.set_config('eventstore.partition_maintenance', 'on', true);
    EXECUTE pg_catalog.format('ALTER TABLE data.events DETACH PARTITION data.%I', in_partition);
    EXECUTE pg_catalog.format(
        'INSERT INTO data.retired_event_partitions
             (partition_name, range_from, range_to, first_generation, first_transaction_id, first_global_position)
         SELECT %L, %L, %L, f.generation, f.transaction_id, f.global_position
         FROM (SELECT) AS one
         LEFT JOIN (SELECT e.generation, e.transaction_id, e.global_position FROM data.%I AS e
                    ORDER BY e.generation, e.transaction_id, e.global_position LIMIT 1) AS f ON true
         ON CONFLICT (partition_name) DO UPDATE
             SET range_from = excluded.range_from, range_to = excluded.range_to,
                 first_generation = excluded.first_generation,
                 first_transaction_id = excluded.first_transaction_id,
                 first_global_position = excluded.first_global_position,
                 retired_at = pg_catalog.now(), retired_by = session_user',
        in_partition, l_month::timestamp AT TIME ZONE 'UTC',
        (l_month + interval '1 month')::timestamp AT TIME ZONE 'UTC', in_partition);
    PERFORM pg_catalog.set_config('eventstore.partition_maintenance', 'off', true);
END;
$$;

REVOKE ALL ON FUNCTION private.retire_event_partition(text) FROM PUBLIC;

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
        PERFORM private.run_with_lock_retries(
            pg_catalog.format('SELECT private.retire_event_partition(%L)', l_partition.relname),
            'detaching data.' || l_partition.relname);
        RAISE NOTICE 'detached data.%: archive it, then DROP TABLE it', l_partition.relname;
    END LOOP;
END;
$$;

COMMENT ON PROCEDURE api.detach_event_partitions(date) IS
$$Retention: detaches the monthly partitions that end on or before in_before (kept as tables,
recorded in data.retired_event_partitions). Waits at most 200 ms at a time for its lock,
retrying for about a minute (then 55P03). Errors: ZE003 in_before NULL or in this month.$$;

REVOKE ALL ON PROCEDURE api.ensure_event_partitions(integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE api.detach_event_partitions(date) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.ensure_event_partitions(integer) TO eventstore_admin;
GRANT EXECUTE ON PROCEDURE api.detach_event_partitions(date) TO eventstore_admin;

-- The current month and the ones ahead exist from the start.
CALL api.ensure_event_partitions();

COMMIT;
