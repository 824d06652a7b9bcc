-- The read of a dynamic consistency boundary (docs/dcb.md): the events appended with tags that
-- match a query (private.tag_query; NULL: all of them), after log number in_after, up to
-- in_up_to, in log order, at most in_limit. Gap-free as api.read_log: paging with the last
-- number returned misses no event that commits late. A reader that decides on what it read
-- remembers a head: api.last_tagged_number() taken before the read, passed as in_up_to, or the
-- number of the last event of a full page.

CREATE OR REPLACE FUNCTION api.read_tagged(
    in_query jsonb DEFAULT NULL,
    in_after numeric DEFAULT NULL,
    in_limit integer DEFAULT 1000,
    in_up_to numeric DEFAULT NULL)
RETURNS TABLE (
    log_number numeric,
    id uuid,
    event_type text,
    event_data jsonb,
    metadata jsonb,
    tags text[],
    created_at timestamptz
)
LANGUAGE plpgsql
VOLATILE  -- its read needs a snapshot taken after its horizon (docs/read-horizon.md)
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_after record := private.log_number_position(in_after);
    l_limit integer := private.check_limit(in_limit);
    l_horizon record;
BEGIN
    IF in_up_to < 0 OR in_up_to <> trunc(in_up_to) THEN
        RAISE EXCEPTION 'in_up_to must be NULL (no bound) or a log number, got %', left(in_up_to::text, 60)
            USING ERRCODE = 'ZE003';
    END IF;
    PERFORM FROM private.tag_query(in_query, 'in_query');
    -- The horizon, then (a later statement, a later snapshot) the events before it.
    l_horizon := private.read_horizon();
    RETURN QUERY
    WITH page AS MATERIALIZED (
        SELECT DISTINCT p.generation, p.transaction_id, p.global_position, p.created_at, p.tags
        FROM private.tagged_positions(in_query, l_after.generation, l_after.transaction_id, l_after.global_position,
                                      l_limit, l_horizon.generation, l_horizon.transaction_id) AS p
        ORDER BY p.generation, p.transaction_id, p.global_position
        LIMIT l_limit
    )
    SELECT e.log_number, e.id, e.event_type, e.event_data, e.metadata, p.tags, e.created_at
    FROM page AS p
    JOIN private.events_as_read AS e
      ON e.created_at = p.created_at AND e.generation = p.generation
     AND e.transaction_id = p.transaction_id AND e.global_position = p.global_position
    WHERE in_up_to IS NULL OR e.log_number <= in_up_to
    ORDER BY p.generation, p.transaction_id, p.global_position;
END;
$$;

COMMENT ON FUNCTION api.read_tagged(in_query jsonb, in_after numeric, in_limit integer, in_up_to numeric) IS 'The events appended with tags that match in_query ([{"types": [...], "tags": [...]}, ...]; NULL: all) whose
log number is greater than in_after (NULL: from the start) and at most in_up_to (NULL: no bound),
in log order, at most in_limit. Gap-free, as api.read_log.
Errors: ZE003 bad query, in_limit or number.';
REVOKE ALL ON FUNCTION api.read_tagged(in_query jsonb, in_after numeric, in_limit integer, in_up_to numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.read_tagged(in_query jsonb, in_after numeric, in_limit integer, in_up_to numeric) TO eventstore_reader;
