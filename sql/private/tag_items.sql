-- The items of a query that private.tag_query has checked, without checking it again: what the
-- functions a call hands its checked query to (private.tagged_positions, private.lock_tags)
-- read it with, so that a call checks its query once. One row per item: types NULL for "any
-- type", tags sorted and distinct ('{}': "no tag needed"); NULL and [] are one item that
-- matches every event appended with tags. A SQL function with no SET clause, every name
-- qualified, so that the planner inlines it (a SQL function that is not inlined plans its
-- query on every call).

CREATE OR REPLACE FUNCTION private.tag_items(in_query jsonb)
RETURNS TABLE (types text[], tags text[])
LANGUAGE sql
IMMUTABLE
AS $$
    SELECT NULL::text[], '{}'::text[]
    WHERE in_query IS NULL OR in_query = '[]'::jsonb
    UNION ALL
    SELECT NULLIF(ARRAY(SELECT pg_catalog.jsonb_array_elements_text(COALESCE(i.item -> 'types', '[]'))), '{}'),
           ARRAY(SELECT DISTINCT t FROM pg_catalog.jsonb_array_elements_text(COALESCE(i.item -> 'tags', '[]')) AS t ORDER BY t)
    FROM pg_catalog.jsonb_array_elements(CASE WHEN in_query <> '[]'::jsonb THEN in_query END) AS i(item);
$$;

COMMENT ON FUNCTION private.tag_items(in_query jsonb) IS 'The items of a query private.tag_query has checked: one row per item, types NULL for any, tags sorted';
REVOKE ALL ON FUNCTION private.tag_items(in_query jsonb) FROM PUBLIC;
