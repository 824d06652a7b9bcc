-- The items of a dynamic consistency boundary's query (docs/dcb.md), checked: a JSON array of
-- items {"types": [text], "tags": [text]} (both optional), or NULL. An event matches an item
-- if its type is one of the item's types (or the item names none) and it carries every tag of
-- the item; it matches the query if it matches any item. NULL, [] and an item that names
-- neither types nor tags match every event appended with tags. One row per item; types NULL
-- for "any type", tags '{}' for "no tag needed" (private.tag_items). ZE003 names what is wrong.

CREATE OR REPLACE FUNCTION private.tag_query(in_query jsonb, in_what text)
RETURNS TABLE (types text[], tags text[])
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_problem text;
BEGIN
    IF in_query IS NULL OR in_query = '[]'::jsonb THEN
        RETURN QUERY SELECT NULL::text[], '{}'::text[];
        RETURN;
    END IF;
    IF jsonb_typeof(in_query) <> 'array' THEN
        l_problem := 'is not a JSON array of items';
    ELSIF jsonb_array_length(in_query) > 100 THEN
        l_problem := 'has more than 100 items';
    ELSE
        SELECT format('item %s %s', i.ord, CASE
                   WHEN jsonb_typeof(i.item) <> 'object' THEN 'is not a JSON object'
                   WHEN (i.item - ARRAY['types', 'tags']) <> '{}'::jsonb THEN 'has keys other than types and tags'
                   ELSE 'has ' || k.key || ' that are not an array of at most 100 non-empty strings of at most 200 characters'
               END)
        INTO l_problem
        FROM jsonb_array_elements(in_query) WITH ORDINALITY AS i(item, ord)
        LEFT JOIN LATERAL (
            SELECT k.key FROM unnest(ARRAY['types', 'tags']) AS k(key)
            WHERE jsonb_typeof(i.item) = 'object' AND i.item ? k.key
              AND (jsonb_typeof(i.item -> k.key) <> 'array' OR jsonb_array_length(i.item -> k.key) > 100
                   OR EXISTS (SELECT FROM jsonb_array_elements(i.item -> k.key) AS v(value)
                              WHERE jsonb_typeof(v.value) <> 'string' OR v.value #>> '{}' = ''
                                 OR char_length(v.value #>> '{}') > 200))
            LIMIT 1) AS k ON true
        WHERE jsonb_typeof(i.item) <> 'object' OR (i.item - ARRAY['types', 'tags']) <> '{}'::jsonb OR k.key IS NOT NULL
        ORDER BY i.ord
        LIMIT 1;
    END IF;
    IF l_problem IS NOT NULL THEN
        RAISE EXCEPTION '% % (a query is a JSON array of {"types": [text], "tags": [text]})', in_what, l_problem
            USING ERRCODE = 'ZE003',
                  HINT = 'An event matches an item if its type is one of the item''s types (or none are named) and it carries all the item''s tags.';
    END IF;
    RETURN QUERY SELECT * FROM private.tag_items(in_query);
END;
$$;

COMMENT ON FUNCTION private.tag_query(in_query jsonb, in_what text) IS 'The items of a query by types and tags, checked (ZE003): one row per item, types NULL for any, tags sorted';
REVOKE ALL ON FUNCTION private.tag_query(in_query jsonb, in_what text) FROM PUBLIC;
