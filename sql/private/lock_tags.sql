-- The locks that make api.append_tagged's condition atomic without serialising writers
-- (docs/dcb.md, "Why exactly one commits"). Every tagged append takes, in one pass in key
-- order (so that two appends never wait for each other in a cycle), transaction advisory
-- locks on keys named for what its events carry: each tag, each event type, and "any". A
-- conditional append takes, for each item of its condition, the key every event the item
-- matches is sure to carry, exclusively: the item's first tag, else each of its types, else
-- "any". So an append whose events match another's condition holds a shared lock the
-- other's exclusive lock waits for (or waits for that exclusive lock), and the condition,
-- read after the locks, sees it committed; appends on disjoint tags and types share their
-- locks and never wait. Keys are 64-bit hashes: a collision only makes two appends wait.
-- The caller has checked the condition (private.tag_query).

CREATE OR REPLACE FUNCTION private.lock_tags(in_events jsonb, in_condition jsonb)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_key record;
BEGIN
    FOR l_key IN
        SELECT hashtextextended(k.name, 0) AS key, bool_or(k.exclusive) AS exclusive
        FROM (
            SELECT 'dcb any' AS name, false AS exclusive
            UNION ALL
            SELECT 'dcb type ' || (e.element ->> 'event_type'), false
            FROM jsonb_array_elements(in_events) AS e(element)
            UNION ALL
            SELECT 'dcb tag ' || g.tag, false
            FROM jsonb_array_elements(in_events) AS e(element)
            CROSS JOIN LATERAL jsonb_array_elements_text(COALESCE(e.element -> 'tags', '[]')) AS g(tag)
            UNION ALL
            SELECT CASE WHEN cardinality(q.tags) > 0 THEN 'dcb tag ' || q.tags[1]
                        WHEN q.types IS NOT NULL THEN 'dcb type ' || y.event_type
                        ELSE 'dcb any' END, true
            FROM private.tag_items(in_condition) AS q
            LEFT JOIN LATERAL unnest(CASE WHEN cardinality(q.tags) = 0 THEN q.types END) AS y(event_type) ON true
            WHERE in_condition IS NOT NULL
        ) AS k
        GROUP BY 1
        ORDER BY 1
    LOOP
        IF l_key.exclusive THEN
            PERFORM pg_advisory_xact_lock(l_key.key);
        ELSE
            PERFORM pg_advisory_xact_lock_shared(l_key.key);
        END IF;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.lock_tags(in_events jsonb, in_condition jsonb) IS 'Takes, in key order, the shared locks of a tagged append''s events and the exclusive locks of its condition';
REVOKE ALL ON FUNCTION private.lock_tags(in_events jsonb, in_condition jsonb) FROM PUBLIC;
