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
-- the events it caused (events naming it, followed down), in log order.
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
AS $$
BEGIN
    IF in_event_id IS NULL THEN
        RAISE EXCEPTION 'in_event_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF NOT EXISTS (SELECT FROM data.events AS e WHERE e.id = in_event_id) THEN
        RAISE EXCEPTION 'no event has id %', in_event_id USING ERRCODE = 'ZE004';
    END IF;

    -- UNION (not ALL): a cycle of causation ids ends where a row repeats. A causation_id that
    -- is not a UUID names no event.
    RETURN QUERY
    WITH RECURSIVE causes AS (
        SELECT e.id, e.created_at, e.metadata ->> 'causation_id' AS cause
        FROM data.events AS e WHERE e.id = in_event_id
        UNION
        SELECT p.id, p.created_at, p.metadata ->> 'causation_id'
        FROM causes AS c
        JOIN data.events AS p
          ON p.id = CASE WHEN c.cause ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$'
                         THEN c.cause::uuid END),
    effects AS (
        SELECT e.id, e.created_at
        FROM data.events AS e WHERE e.id = in_event_id
        UNION
        SELECT d.id, d.created_at
        FROM effects AS f
        JOIN data.events AS d
          ON d.metadata ? 'causation_id' AND (d.metadata ->> 'causation_id') = f.id::text),
    chain AS (
        SELECT c.id, c.created_at FROM causes AS c
        UNION
        SELECT f.id, f.created_at FROM effects AS f)
    SELECT u.id, u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata, u.created_at
    FROM chain AS ch
    JOIN private.events_upcast AS u ON u.id = ch.id AND u.created_at = ch.created_at
    ORDER BY u.generation, u.transaction_id, u.global_position;
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
