-- The log positions (and tags) of the events appended with tags that match a query (checked by
-- the caller with private.tag_query; read here with private.tag_items), after a log position and, with a horizon, before it: at most in_limit per item, in
-- log order per item (the caller merges, drops the duplicates of an event two items match,
-- and limits). Each item is one index lookup whose cost follows its matches: by tag (GIN), by
-- type, or in log order for an item that names neither. An event that was removed (retention,
-- a purge) is not matched. Without a horizon (in_horizon_generation NULL) it sees every
-- committed event: the condition of api.append_tagged.

CREATE OR REPLACE FUNCTION private.tagged_positions(
    in_query jsonb,
    in_after_generation integer,
    in_after_transaction_id xid8,
    in_after_global_position bigint,
    in_limit integer,
    in_horizon_generation integer,
    in_horizon_transaction_id xid8)
RETURNS TABLE (generation integer, transaction_id xid8, global_position bigint, created_at timestamptz, tags text[])
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_item record;
    l_horizon_generation integer := COALESCE(in_horizon_generation, 2147483647);
    l_horizon_transaction_id xid8 := CASE WHEN in_horizon_generation IS NULL THEN '18446744073709551615'::xid8
                                          ELSE in_horizon_transaction_id END;
BEGIN
    FOR l_item IN SELECT * FROM private.tag_items(in_query) LOOP
        IF cardinality(l_item.tags) > 0 THEN
            -- The events carrying the item's tags, by the GIN index alone, then the reader's
            -- range and log order: given the range too, the planner (whose estimates of a
            -- range of log positions are poor) may walk the log in order and filter it, a cost
            -- that follows the log, not the matches.
            RETURN QUERY
            WITH matched AS MATERIALIZED (
                SELECT t.generation, t.transaction_id, t.global_position, t.created_at, t.tags
                FROM data.event_tags AS t
                WHERE t.tags @> l_item.tags
                  AND (l_item.types IS NULL OR t.event_type = ANY (l_item.types)))
            SELECT t.generation, t.transaction_id, t.global_position, t.created_at, t.tags
            FROM matched AS t
            WHERE private.readable_after(t.generation, t.transaction_id, t.global_position,
                                         in_after_generation, in_after_transaction_id, in_after_global_position,
                                         l_horizon_generation, l_horizon_transaction_id)
              AND EXISTS (SELECT FROM data.events AS e
                          WHERE e.created_at = t.created_at AND e.generation = t.generation
                            AND e.transaction_id = t.transaction_id AND e.global_position = t.global_position)
            ORDER BY t.generation, t.transaction_id, t.global_position
            LIMIT in_limit;
        ELSIF l_item.types IS NOT NULL THEN
            RETURN QUERY
            SELECT t.generation, t.transaction_id, t.global_position, t.created_at, t.tags
            FROM unnest(l_item.types) AS y(event_type)
            CROSS JOIN LATERAL (
                SELECT t.* FROM data.event_tags AS t
                WHERE t.event_type = y.event_type
                  AND private.readable_after(t.generation, t.transaction_id, t.global_position,
                                             in_after_generation, in_after_transaction_id, in_after_global_position,
                                             l_horizon_generation, l_horizon_transaction_id)
                  AND EXISTS (SELECT FROM data.events AS e
                              WHERE e.created_at = t.created_at AND e.generation = t.generation
                                AND e.transaction_id = t.transaction_id AND e.global_position = t.global_position)
                ORDER BY t.generation, t.transaction_id, t.global_position
                LIMIT in_limit) AS t;
        ELSE
            RETURN QUERY
            SELECT t.generation, t.transaction_id, t.global_position, t.created_at, t.tags
            FROM data.event_tags AS t
            WHERE private.readable_after(t.generation, t.transaction_id, t.global_position,
                                         in_after_generation, in_after_transaction_id, in_after_global_position,
                                         l_horizon_generation, l_horizon_transaction_id)
              AND EXISTS (SELECT FROM data.events AS e
                          WHERE e.created_at = t.created_at AND e.generation = t.generation
                            AND e.transaction_id = t.transaction_id AND e.global_position = t.global_position)
            ORDER BY t.generation, t.transaction_id, t.global_position
            LIMIT in_limit;
        END IF;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.tagged_positions(in_query jsonb, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8) IS 'Log positions of the tagged events matching a query after a position (before a horizon, if given): at most in_limit per item';
REVOKE ALL ON FUNCTION private.tagged_positions(in_query jsonb, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8) FROM PUBLIC;
