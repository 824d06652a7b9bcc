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

    FOR l_policy IN SELECT p.stream_type, private.retention_cutoff(p.keep) AS cutoff FROM data.retention_policies AS p
                    WHERE private.retention_cutoff(p.keep) IS NOT NULL
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

COMMENT ON FUNCTION api.apply_retention_step(in_batch_size integer) IS 'One step of api.apply_retention in this transaction: retires and drops one month whose events
are all past retention, or deletes at most in_batch_size expired events of one stream type.
Returns the number of events removed; 0 when nothing is left. Errors: ZE003 bad batch size,
55P03 the month''s lock not had in about a minute of short tries.';
REVOKE ALL ON FUNCTION api.apply_retention_step(in_batch_size integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.apply_retention_step(in_batch_size integer) TO eventstore_admin;
