-- Appends events with tags, optionally on a condition: the write of a dynamic consistency
-- boundary (docs/dcb.md). The events form a new stream of type $dcb (one per append: a DCB
-- event has no stream to be versioned in; its boundary is the query), appended through
-- api.append_events (schemas, personal data, the read horizon's order guard all hold), and
-- their tags and types go to data.event_tags. With in_fail_if_match (a query,
-- private.tag_query) it commits only if no event matching the query was committed after
-- in_after (a log number; NULL: ever), decided atomically by private.lock_tags's locks:
-- of two appends whose conditions each match the other's events, exactly one commits.
-- Returns the log number of its last event.

CREATE OR REPLACE FUNCTION api.append_tagged(
    in_events jsonb,  -- Array of {event_type, event_data, metadata, tags}
    in_fail_if_match jsonb DEFAULT NULL,
    in_after numeric DEFAULT NULL)
RETURNS numeric
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_count integer;
    l_after record := private.log_number_position(in_after);
    l_stream uuid := private.uuidv7();
    l_match record;
    l_last record;
    l_untagged jsonb;
    l_version integer;
BEGIN
    -- The batch as api.append_events checks it, once its tags are set apart (ZE002).
    l_untagged := CASE WHEN jsonb_typeof(in_events) = 'array' THEN
        COALESCE((SELECT jsonb_agg(CASE WHEN jsonb_typeof(e.element) = 'object' THEN e.element - 'tags' ELSE e.element END
                                   ORDER BY e.ord)
                  FROM jsonb_array_elements(in_events) WITH ORDINALITY AS e(element, ord)), '[]') ELSE in_events END;
    l_count := private.check_event_batch(l_untagged);
    SELECT e.ord INTO l_match
    FROM jsonb_array_elements(in_events) WITH ORDINALITY AS e(element, ord)
    WHERE e.element ? 'tags'
      AND NOT (jsonb_typeof(e.element -> 'tags') = 'array' AND jsonb_array_length(e.element -> 'tags') <= 100
               AND NOT EXISTS (SELECT FROM jsonb_array_elements(e.element -> 'tags') AS g(tag)
                               WHERE jsonb_typeof(g.tag) <> 'string' OR g.tag #>> '{}' = ''
                                  OR char_length(g.tag #>> '{}') > 200))
    ORDER BY e.ord
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'event % of in_events has tags that are not an array of at most 100 non-empty strings of at most 200 characters', l_match.ord
            USING ERRCODE = 'ZE002';
    END IF;
    IF in_fail_if_match IS NOT NULL THEN
        PERFORM FROM private.tag_query(in_fail_if_match, 'in_fail_if_match');
        -- The condition is read after the locks, by a statement of its own: at READ COMMITTED
        -- its snapshot sees every append the locks waited for. A transaction snapshot
        -- (REPEATABLE READ, SERIALIZABLE) would not.
        IF current_setting('transaction_isolation') <> 'read committed' THEN
            RAISE EXCEPTION 'a conditional append needs READ COMMITTED, this transaction is %',
                    upper(current_setting('transaction_isolation'))
                USING ERRCODE = 'ZE003',
                      HINT = 'Append with a condition in a READ COMMITTED transaction (the default).';
        END IF;
    END IF;

    PERFORM private.lock_tags(in_events, in_fail_if_match);

    IF in_fail_if_match IS NOT NULL THEN
        SELECT p.* INTO l_match
        FROM private.tagged_positions(in_fail_if_match, l_after.generation, l_after.transaction_id,
                                      l_after.global_position, 1, NULL, NULL) AS p
        ORDER BY p.generation, p.transaction_id, p.global_position
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'the append''s condition failed: an event matching in_fail_if_match was appended after %',
                    COALESCE(in_after::text, 'the start of the log')
                USING ERRCODE = 'ZE021',
                      DETAIL = jsonb_build_object(
                                   'after', in_after,
                                   'matched', private.log_number(l_match.generation, l_match.transaction_id,
                                                                 l_match.global_position, l_match.created_at))::text,
                      HINT = 'Read the query again (api.read_tagged), decide again, and append after its head.';
        END IF;
    END IF;

    CALL api.append_events('$dcb', l_stream, 0, l_untagged, l_version);

    WITH tagged AS (
        INSERT INTO data.event_tags (generation, transaction_id, global_position, created_at, event_type, tags)
        SELECT e.generation, e.transaction_id, e.global_position, e.created_at, e.event_type,
               ARRAY(SELECT jsonb_array_elements_text(COALESCE(in_events -> (e.version - 1) -> 'tags', '[]')))
        FROM data.events AS e
        WHERE e.stream_type = '$dcb' AND e.stream_id = l_stream AND e.created_at = now()
        RETURNING generation, transaction_id, global_position, created_at)
    SELECT t.generation, t.transaction_id, t.global_position, t.created_at INTO l_last
    FROM tagged AS t
    ORDER BY t.global_position DESC  -- one transaction's events: its last is its highest position
    LIMIT 1;
    RETURN private.log_number(l_last.generation, l_last.transaction_id, l_last.global_position, l_last.created_at);
END;
$$;

COMMENT ON FUNCTION api.append_tagged(in_events jsonb, in_fail_if_match jsonb, in_after numeric) IS 'Appends in_events (a JSON array of {event_type, event_data, metadata, tags}) as a new stream of type $dcb; with in_fail_if_match
(a query: [{"types": [...], "tags": [...]}, ...]) only if no event matching it was appended after log
number in_after (NULL: ever), decided atomically at READ COMMITTED. Returns the log number of its
last event.
Errors: ZE021 the condition failed (read again and retry), ZE002 malformed in_events, ZE003 bad
query or number, or not READ COMMITTED, ZE006 event_data does not match its registered schema.';
REVOKE ALL ON FUNCTION api.append_tagged(in_events jsonb, in_fail_if_match jsonb, in_after numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.append_tagged(in_events jsonb, in_fail_if_match jsonb, in_after numeric) TO eventstore_writer;
