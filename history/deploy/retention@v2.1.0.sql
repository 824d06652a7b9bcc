-- Deploy eventstore:retention to pg
-- requires: event_removals
-- requires: events_append_only
-- requires: event_partitions
-- requires: event_guards
-- requires: log_position
-- requires: stream_purge
-- requires: subscriptions
-- requires: registered_code
-- requires: roles
-- Retention per stream type. api.set_retention(stream_type, keep) (admin; NULL keeps for
-- ever); CALL api.apply_retention() (admin, and the daily pg_cron job) removes the events of
-- those stream types created more than keep ago:
--   * a whole monthly partition whose events are all past retention (every stream type in it
--     has a policy, and the month ended before that type's cutoff) is retired the way
--     api.detach_event_partitions retires one (short lock waits, its first log position
--     recorded for cursors) and dropped: no row-by-row delete;
--   * otherwise the expired events are deleted in batches, one short transaction each (row
--     locks only), each with its audit row in data.event_removals, which is what lets the
--     append-only guard pass those deletes.
-- Readers, projections and subscriptions go on across a run: they read by log position; a
-- cursor on a removed event continues from where it was (data.removed_events, or the retired
-- month's first position); subscription state that named a removed event forgets it.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE TABLE data.retention_policies (
    stream_type text PRIMARY KEY CHECK (stream_type <> ''),
    keep        interval NOT NULL CHECK (keep > interval '0'),
    set_by      name NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE data.retention_policies IS
    'How long events of a stream type are kept (api.set_retention); api.apply_retention removes older ones';

REVOKE ALL ON data.retention_policies FROM PUBLIC;

CREATE OR REPLACE FUNCTION api.set_retention(in_stream_type text, in_keep interval)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_stream_type IS NULL OR in_stream_type = '' OR pg_catalog.char_length(in_stream_type) > 200 THEN
        RAISE EXCEPTION 'in_stream_type must be a text of 1 to 200 characters' USING ERRCODE = 'ZE003';
    END IF;
    IF in_keep IS NULL THEN
        DELETE FROM data.retention_policies AS p WHERE p.stream_type = in_stream_type;
        RETURN;
    END IF;
    IF in_keep < interval '1 day' OR in_keep > interval '1000 years' THEN
        RAISE EXCEPTION 'in_keep must be NULL (for ever) or from 1 day to 1000 years, got %', in_keep
            USING ERRCODE = 'ZE003';
    END IF;
    INSERT INTO data.retention_policies AS p (stream_type, keep, set_by)
    VALUES (in_stream_type, in_keep, private.calling_role())
    ON CONFLICT (stream_type) DO UPDATE SET keep = excluded.keep, set_by = excluded.set_by, set_at = pg_catalog.now();
END;
$$;

COMMENT ON FUNCTION api.set_retention(text, interval) IS
$$Keeps events of in_stream_type for in_keep (1 day to 1000 years; NULL: for ever, the default).
api.apply_retention removes older ones. Errors: ZE003 bad argument.$$;

-- Subscription state that names events created before a retired month's end forgets them.
CREATE OR REPLACE FUNCTION private.forget_deliveries_created_before(in_before timestamptz)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM data.subscription_events AS v
    WHERE v.event_created_at < in_before
      AND NOT EXISTS (SELECT FROM data.events AS e WHERE e.id = v.event_id AND e.created_at = v.event_created_at);
    UPDATE data.subscription_leases AS l
    SET events = ARRAY(SELECT r FROM pg_catalog.unnest(l.events) AS r
                       WHERE r.created_at >= in_before
                          OR EXISTS (SELECT FROM data.events AS e WHERE e.id = r.id AND e.created_at = r.created_at))
    WHERE EXISTS (SELECT FROM pg_catalog.unnest(l.events) AS r WHERE r.created_at < in_before);
    DELETE FROM data.subscription_leases AS l WHERE pg_catalog.cardinality(l.events) = 0;
$$;

-- One month whose events are all past retention, or NULL.
CREATE OR REPLACE FUNCTION private.expired_event_partition()
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    l_partition record;
    l_types text[];
BEGIN
    FOR l_partition IN
        SELECT c.relname, (pg_catalog.to_date(pg_catalog.substr(c.relname, 8), 'YYYY_MM') + interval '1 month')::timestamp
                              AT TIME ZONE 'UTC' AS range_end
        FROM pg_catalog.pg_inherits AS i
        JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'data.events'::pg_catalog.regclass
          AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'
          AND (pg_catalog.to_date(pg_catalog.substr(c.relname, 8), 'YYYY_MM') + interval '1 month')
              <= pg_catalog.date_trunc('month', pg_catalog.now())
        ORDER BY c.relname
    LOOP
        -- The stream types in it, one index probe each (a loose scan of events_stream_idx).
        EXECUTE pg_catalog.format(
            'WITH RECURSIVE t(s) AS (SELECT min(e.stream_type) FROM data.%1$I AS e
                                     UNION ALL
                                     SELECT (SELECT min(e.stream_type) FROM data.%1$I AS e WHERE e.stream_type > t.s)
                                     FROM t WHERE t.s IS NOT NULL)
             SELECT pg_catalog.array_agg(t.s) FROM t WHERE t.s IS NOT NULL', l_partition.relname)
        INTO l_types;
        IF l_types IS NOT NULL AND NOT EXISTS (
            SELECT FROM pg_catalog.unnest(l_types) AS t(stream_type)
            LEFT JOIN data.retention_policies AS p ON p.stream_type = t.stream_type
            WHERE p.stream_type IS NULL OR l_partition.range_end > pg_catalog.now() - p.keep) THEN
            RETURN l_partition.relname;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

-- One step of api.apply_retention, in the caller's transaction: a whole expired month retired
-- and dropped, or else at most in_batch_size expired events deleted. Returns the number of
-- events removed (0: nothing left to do).
CREATE OR REPLACE FUNCTION api.apply_retention_step(in_batch_size integer DEFAULT 10000)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_partition text := private.expired_event_partition();
    l_month_end timestamptz;
    l_policy record;
    l_removal bigint;
    l_ids uuid[];
    l_removed integer;
BEGIN
    IF in_batch_size IS NULL OR in_batch_size < 1 OR in_batch_size > 1000000 THEN
        RAISE EXCEPTION 'in_batch_size must be from 1 to 1000000, got %', COALESCE(in_batch_size::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF l_partition IS NOT NULL THEN
        l_month_end := (pg_catalog.to_date(pg_catalog.substr(l_partition, 8), 'YYYY_MM') + interval '1 month')::timestamp
                       AT TIME ZONE 'UTC';
        -- The audit first: a row per stream type in the month, with its count.
        EXECUTE pg_catalog.format(
            'WITH audit AS (INSERT INTO data.event_removals (kind, stream_type, before, removed_by, events_removed)
                            SELECT ''retention'', e.stream_type, %L::timestamptz, %L, pg_catalog.count(*)
                            FROM data.%I AS e GROUP BY e.stream_type
                            RETURNING events_removed)
             SELECT COALESCE(sum(a.events_removed), 0)::integer FROM audit AS a',
            l_month_end, private.calling_role(), l_partition)
        INTO l_removed;
        PERFORM private.run_with_lock_retries(
            pg_catalog.format('SELECT private.retire_event_partition(%L)', l_partition),
            'retiring data.' || l_partition);
        -- Retired, so the guard on drops lets it go. (Its first log position is recorded:
        -- cursors on its events continue from there.)
        EXECUTE pg_catalog.format('DROP TABLE data.%I', l_partition);
        PERFORM private.forget_deliveries_created_before(l_month_end);
        RAISE NOTICE 'retention: dropped data.% (% events)', l_partition, l_removed;
        RETURN GREATEST(l_removed, 1);
    END IF;

    FOR l_policy IN SELECT p.stream_type, pg_catalog.now() - p.keep AS cutoff FROM data.retention_policies AS p
                    ORDER BY p.stream_type LOOP
        SELECT pg_catalog.array_agg(e.id) INTO l_ids
        FROM (SELECT e.id FROM data.events AS e
              WHERE e.created_at < l_policy.cutoff AND e.stream_type = l_policy.stream_type
              LIMIT in_batch_size) AS e;
        CONTINUE WHEN l_ids IS NULL;
        INSERT INTO data.event_removals (kind, stream_type, before, removed_by)
        VALUES ('retention', l_policy.stream_type, l_policy.cutoff, private.calling_role())
        RETURNING removal_id INTO l_removal;
        INSERT INTO data.removed_events (id, generation, transaction_id, global_position, removal_id)
        SELECT e.id, e.generation, e.transaction_id, e.global_position, l_removal
        FROM data.events AS e
        WHERE e.id = ANY (l_ids) AND e.created_at < l_policy.cutoff;
        DELETE FROM data.events AS e WHERE e.id = ANY (l_ids) AND e.created_at < l_policy.cutoff;
        GET DIAGNOSTICS l_removed = ROW_COUNT;
        UPDATE data.event_removals AS r SET events_removed = l_removed WHERE r.removal_id = l_removal;
        PERFORM private.forget_removed_deliveries(l_ids);
        RETURN l_removed;
    END LOOP;
    RETURN 0;
END;
$$;

COMMENT ON FUNCTION api.apply_retention_step(integer) IS
$$One step of api.apply_retention in this transaction: retires and drops one month whose events
are all past retention, or deletes at most in_batch_size expired events of one stream type.
Returns the number of events removed; 0 when nothing is left. Errors: ZE003 bad batch size,
55P03 the month's lock not had in about a minute of short tries.$$;

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

COMMENT ON PROCEDURE api.apply_retention(integer) IS
$$Removes the events past retention (api.set_retention): whole expired months dropped, the rest
deleted in batches of in_batch_size, each step its own transaction. Call it on its own (pg_cron
does, daily), not inside a transaction block.$$;

REVOKE ALL ON FUNCTION api.set_retention(text, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.expired_event_partition() FROM PUBLIC;
REVOKE ALL ON FUNCTION private.forget_deliveries_created_before(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.apply_retention_step(integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE api.apply_retention(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.set_retention(text, interval) TO eventstore_admin;
GRANT EXECUTE ON FUNCTION api.apply_retention_step(integer) TO eventstore_admin;
GRANT EXECUTE ON PROCEDURE api.apply_retention(integer) TO eventstore_admin;

COMMIT;
