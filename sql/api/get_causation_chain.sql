-- The event in_event_id, the events that caused it (metadata.causation_id, followed up), and
-- the events it caused (events naming it, followed down), in log order. Level by level, each
-- level one index lookup (a recursive query was planned as a scan of every event, and big
-- enough to be compiled: 0.8 s at 50,000 events).

CREATE OR REPLACE FUNCTION api.get_causation_chain(in_event_id uuid)
RETURNS TABLE (
    id uuid,
    stream_type text,
    stream_id uuid,
    version integer,
    event_type text,
    event_data jsonb,
    metadata jsonb,
    created_at timestamptz
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    l_seen uuid[];
    l_level uuid[];
    l_cause text;
BEGIN
    IF in_event_id IS NULL THEN
        RAISE EXCEPTION 'in_event_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    SELECT e.metadata ->> 'causation_id' INTO l_cause FROM data.events AS e WHERE e.id = in_event_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no event has id %', in_event_id USING ERRCODE = 'ZE004';
    END IF;
    l_seen := ARRAY[in_event_id];

    -- Up: each event names at most one cause. A causation_id that is not a UUID, or names no
    -- event, ends the chain; so does one seen already (a cycle).
    WHILE l_cause ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$'
          AND NOT l_cause::uuid = ANY (l_seen) LOOP
        l_seen := l_seen || l_cause::uuid;
        SELECT e.metadata ->> 'causation_id' INTO l_cause FROM data.events AS e WHERE e.id = l_cause::uuid;
        IF NOT FOUND THEN
            l_seen := l_seen[1:pg_catalog.cardinality(l_seen) - 1];
            EXIT;
        END IF;
    END LOOP;

    -- Down: the events naming any event of the level, level by level.
    l_level := ARRAY[in_event_id];
    LOOP
        l_level := ARRAY(
            SELECT d.id
            FROM data.events AS d
            WHERE d.metadata ? 'causation_id'
              AND (d.metadata ->> 'causation_id') = ANY (ARRAY(SELECT x::text FROM pg_catalog.unnest(l_level) AS x))
              AND NOT d.id = ANY (l_seen));
        EXIT WHEN pg_catalog.cardinality(l_level) = 0;
        l_seen := l_seen || l_level;
    END LOOP;

    RETURN QUERY
    SELECT u.id, u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata, u.created_at
    FROM data.events AS r
    JOIN private.events_as_read AS u ON u.id = r.id AND u.created_at = r.created_at
    WHERE r.id = ANY (l_seen)
    ORDER BY r.generation, r.transaction_id, r.global_position;
END;
$$;

COMMENT ON FUNCTION api.get_causation_chain(in_event_id uuid) IS 'The event in_event_id, every event that led to it (its metadata.causation_id, and that event''s,
...) and every event that followed from it (events whose causation_id names it, and theirs, ...),
in log order (the columns of api.get_all_events). Errors: ZE003 NULL, ZE004 no such event.';
REVOKE ALL ON FUNCTION api.get_causation_chain(in_event_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_causation_chain(in_event_id uuid) TO eventstore_reader;
