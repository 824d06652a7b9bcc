-- Deploy eventstore:check_event_batch to pg
-- requires: schemas
-- private.check_event_batch: the shape of an append's in_events (ZE002).
-- Since v1.5.0 a change of its own; api.append_events made it first (the same definition:
-- on an upgraded database this replaces the function by itself).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Structural checks of an in_events batch; returns the number of events. Raises ZE002
-- naming the first offending element (1-based) and what is wrong with it. The common,
-- valid case costs two jsonpath tests; the per-element query only runs to word an error.
-- No SET search_path (every name is qualified): it runs on every append.
CREATE OR REPLACE FUNCTION private.check_event_batch(in_events jsonb)
RETURNS integer
LANGUAGE plpgsql
IMMUTABLE
AS $$
DECLARE
    l_bad record;
BEGIN
    IF in_events IS NULL OR pg_catalog.jsonb_typeof(in_events) <> 'array' THEN
        RAISE EXCEPTION 'in_events must be a JSON array of events, got %',
                COALESCE(pg_catalog.jsonb_typeof(in_events), 'NULL')
            USING ERRCODE = 'ZE002',
                  HINT = 'Pass [{"event_type": "...", "event_data": {...}, "metadata": {...}}, ...].';
    END IF;
    IF pg_catalog.jsonb_array_length(in_events) = 0 THEN
        RAISE EXCEPTION 'in_events is an empty array: an append needs at least one event'
            USING ERRCODE = 'ZE002';
    END IF;

    -- strict: lax mode would unwrap an element that is itself an array
    IF NOT (in_events @? 'strict $[*] ? (@.type() != "object")'
            OR in_events @? '$[*] ? (!(@.event_type.type() == "string") || @.event_type == ""
                                    || !(@.event_data.type() == "object")
                                    || (exists(@.metadata) && !(@.metadata.type() == "object"))
                                    || (exists(@.metadata.version)
                                        && !(@.metadata.version.type() == "number" && @.metadata.version >= 1
                                             && @.metadata.version <= 2147483647
                                             && @.metadata.version == @.metadata.version.floor()))
                                    || exists(@.keyvalue() ? (@.key != "event_type"
                                                              && @.key != "event_data"
                                                              && @.key != "metadata")))') THEN
        -- Event types fit the indexes: at most 200 characters (a plain test, not a regex in
        -- the jsonpath above: that cost 3 us an event).
        IF pg_catalog.jsonb_array_length(in_events) = 1 THEN
            IF pg_catalog.char_length(in_events -> 0 ->> 'event_type') <= 200 THEN
                RETURN 1;
            END IF;
        ELSIF NOT EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(in_events) AS e(element)
                          WHERE pg_catalog.char_length(e.element ->> 'event_type') > 200) THEN
            RETURN pg_catalog.jsonb_array_length(in_events);
        END IF;
    END IF;

    SELECT b.ord, b.problem, b.element INTO l_bad
    FROM (
        SELECT e.ord, e.element,
               CASE
                   WHEN pg_catalog.jsonb_typeof(e.element) <> 'object'
                       THEN 'is not a JSON object'
                   WHEN pg_catalog.jsonb_typeof(e.element -> 'event_type') IS DISTINCT FROM 'string'
                        OR e.element ->> 'event_type' = ''
                       THEN 'has no non-empty string event_type'
                   WHEN pg_catalog.char_length(e.element ->> 'event_type') > 200
                       THEN 'has an event_type longer than 200 characters'
                   WHEN pg_catalog.jsonb_typeof(e.element -> 'event_data') IS DISTINCT FROM 'object'
                       THEN 'has an event_data that is not a JSON object'
                   WHEN e.element ? 'metadata'
                        AND pg_catalog.jsonb_typeof(e.element -> 'metadata') <> 'object'
                       THEN 'has a metadata that is not a JSON object'
                   WHEN e.element -> 'metadata' ? 'version'
                        AND NOT (pg_catalog.jsonb_typeof(e.element -> 'metadata' -> 'version') = 'number'
                                 AND (e.element -> 'metadata' ->> 'version')::numeric
                                     BETWEEN 1 AND 2147483647
                                 AND (e.element -> 'metadata' ->> 'version')::numeric
                                     = pg_catalog.trunc((e.element -> 'metadata' ->> 'version')::numeric))
                       THEN 'has a metadata.version (its schema version) that is not a positive integer'
                   WHEN (e.element - ARRAY['event_type', 'event_data', 'metadata']) <> '{}'::jsonb
                       THEN 'has unknown keys ' || (SELECT pg_catalog.string_agg(k, ', ')
                            FROM pg_catalog.jsonb_object_keys(e.element - ARRAY['event_type', 'event_data', 'metadata']) AS k)
               END AS problem
        FROM pg_catalog.jsonb_array_elements(in_events) WITH ORDINALITY AS e(element, ord)
    ) AS b
    WHERE b.problem IS NOT NULL
    ORDER BY b.ord
    LIMIT 1;

    RAISE EXCEPTION 'event % of in_events %', l_bad.ord, l_bad.problem
        USING ERRCODE = 'ZE002',
              DETAIL = 'The event: ' || pg_catalog.left(l_bad.element::text, 500),
              HINT = 'Each event is {"event_type": text, "event_data": object, "metadata": object (optional)}.';
END;
$$;

COMMENT ON FUNCTION private.check_event_batch(jsonb) IS
    'Checks the shape of an in_events batch (ZE002 names the first bad event); returns its size';

REVOKE ALL ON FUNCTION private.check_event_batch(jsonb) FROM PUBLIC;

COMMIT;
