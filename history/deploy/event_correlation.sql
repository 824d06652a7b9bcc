-- Deploy eventstore:event_correlation to pg
-- requires: events
-- requires: event_partitions
-- requires: event_upcasters
-- requires: roles
-- Forensics: every event of a business transaction (metadata.correlation_id) across streams,
-- and the causation chain of an event (metadata.causation_id names the causing event's id).
-- Two partial indexes, only over events that carry those keys.
--
-- No transaction around this script: the indexes are built CONCURRENTLY on each partition
-- (appends go on; a plain CREATE INDEX on data.events would block them for the whole build,
-- minutes at 10M events), then attached to an index created ON ONLY the parent. A run that
-- stops half-way can simply be run again (IF NOT EXISTS; an invalid index left by a cancelled
-- build is dropped first). Partitions created later get the indexes when they are attached.

SET lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- ON ONLY: the parent's index alone, no rows read (it cannot be CONCURRENTLY, nor need it be).
-- squawk-ignore require-concurrent-index-creation
CREATE INDEX IF NOT EXISTS events_correlation_idx ON ONLY data.events
    ((metadata ->> 'correlation_id'), generation, transaction_id, global_position)
    WHERE metadata ? 'correlation_id';
-- squawk-ignore require-concurrent-index-creation
CREATE INDEX IF NOT EXISTS events_causation_idx ON ONLY data.events
    ((metadata ->> 'causation_id'))
    WHERE metadata ? 'causation_id';

-- An invalid partition index (a concurrent build that was cancelled) would be kept by IF NOT
-- EXISTS: drop it first.
SELECT pg_catalog.format('DROP INDEX CONCURRENTLY %s', i.indexrelid::pg_catalog.regclass)
FROM pg_catalog.pg_inherits AS h
JOIN pg_catalog.pg_index AS i ON i.indrelid = h.inhrelid
JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
WHERE h.inhparent = 'data.events'::pg_catalog.regclass AND NOT i.indisvalid
  AND (c.relname LIKE '%\_correlation\_idx' OR c.relname LIKE '%\_causation\_idx')
\gexec

SELECT pg_catalog.format(
           'CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %s ((metadata ->> %L), generation, transaction_id, global_position) '
           'WHERE metadata ? %L', c.relname || '_correlation_idx', c.oid::pg_catalog.regclass, 'correlation_id', 'correlation_id')
FROM pg_catalog.pg_inherits AS h JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
WHERE h.inhparent = 'data.events'::pg_catalog.regclass
ORDER BY c.relname
\gexec

SELECT pg_catalog.format(
           'CREATE INDEX CONCURRENTLY IF NOT EXISTS %I ON %s ((metadata ->> %L)) WHERE metadata ? %L',
           c.relname || '_causation_idx', c.oid::pg_catalog.regclass, 'causation_id', 'causation_id')
FROM pg_catalog.pg_inherits AS h JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
WHERE h.inhparent = 'data.events'::pg_catalog.regclass
ORDER BY c.relname
\gexec

-- Attach what is not attached yet; the parent's index is valid once every partition's is.
SELECT pg_catalog.format('ALTER INDEX data.%I ATTACH PARTITION %s', p.parent_index,
                         pg_catalog.to_regclass(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname || p.suffix)))
FROM pg_catalog.pg_inherits AS h
JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN (VALUES ('events_correlation_idx', '_correlation_idx'), ('events_causation_idx', '_causation_idx'))
    AS p(parent_index, suffix)
WHERE h.inhparent = 'data.events'::pg_catalog.regclass
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits AS ih
                  WHERE ih.inhrelid = pg_catalog.to_regclass(pg_catalog.quote_ident(n.nspname) || '.'
                                                             || pg_catalog.quote_ident(c.relname || p.suffix)))
ORDER BY c.relname
\gexec

BEGIN;

-- Every event whose metadata.correlation_id is in_correlation_id, in log order.
CREATE OR REPLACE FUNCTION api.get_events_by_correlation(in_correlation_id text)
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
AS $$
BEGIN
    IF in_correlation_id IS NULL OR in_correlation_id = '' THEN
        RAISE EXCEPTION 'in_correlation_id must be a non-empty text' USING ERRCODE = 'ZE003';
    END IF;
    -- The index is over the stored metadata; payloads come upcast, as from every reader.
    RETURN QUERY
    SELECT u.id, u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata, u.created_at
    FROM data.events AS r
    JOIN private.events_upcast AS u ON u.id = r.id AND u.created_at = r.created_at
    WHERE r.metadata ? 'correlation_id'
      AND (r.metadata ->> 'correlation_id') = in_correlation_id
    ORDER BY r.generation, r.transaction_id, r.global_position;
END;
$$;

COMMENT ON FUNCTION api.get_events_by_correlation(text) IS
$$Every committed event whose metadata.correlation_id is in_correlation_id, across streams, in
log order (the columns of api.get_all_events). Errors: ZE003 NULL or empty id.$$;

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
    JOIN private.events_upcast AS u ON u.id = r.id AND u.created_at = r.created_at
    WHERE r.id = ANY (l_seen)
    ORDER BY r.generation, r.transaction_id, r.global_position;
END;
$$;

COMMENT ON FUNCTION api.get_causation_chain(uuid) IS
$$The event in_event_id, every event that led to it (its metadata.causation_id, and that event's,
...) and every event that followed from it (events whose causation_id names it, and theirs, ...),
in log order (the columns of api.get_all_events). Errors: ZE003 NULL, ZE004 no such event.$$;

REVOKE ALL ON FUNCTION api.get_events_by_correlation(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.get_causation_chain(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_events_by_correlation(text) TO eventstore_reader;
GRANT EXECUTE ON FUNCTION api.get_causation_chain(uuid) TO eventstore_reader;

COMMIT;
