-- Deploy eventstore:append_events to pg
-- requires: append_events@v1.1.0
-- requires: events
-- requires: event_streams
-- requires: store_generations
-- requires: event_schemas
-- requires: roles
-- api.append_events: optimistic concurrency on the stream row, one set-based insert.
-- Since v1.1.0: the per-stream queueing lock is taken only by a transaction's first append;
-- stream and event types are at most 200 characters (ZE003, ZE002: past ~2.7 kB the index
-- refused them with 54000); a metadata.version written 1.0 is version 1 (it was 22P02).

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

-- Called when the stream statement of an append matched no row: tells the wrong expected
-- version (ZE001) from a stream last written by a newer transaction (40001).
CREATE OR REPLACE FUNCTION private.raise_append_conflict(
    in_stream_type text,
    in_stream_id uuid,
    in_expected_version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_actual integer;
BEGIN
    SELECT s.current_version INTO l_actual
    FROM data.event_streams AS s
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id;
    l_actual := COALESCE(l_actual, 0);

    IF in_expected_version IS NULL OR l_actual = in_expected_version THEN
        -- Appending now would put this stream's next version before versions that a newer
        -- transaction already committed in the log order; a retry gets a newer xid.
        RAISE EXCEPTION 'stream %/% was last appended by a transaction newer than this one',
                in_stream_type, in_stream_id
            USING ERRCODE = '40001',
                  DETAIL = 'This transaction took its transaction id before that append committed.',
                  HINT = 'Retry the transaction.';
    END IF;

    RAISE EXCEPTION 'wrong expected version for stream %/%: expected %, actual %',
            in_stream_type, in_stream_id, in_expected_version, l_actual
        USING ERRCODE = 'ZE001',
              HINT = 'Reload the stream, re-decide, and append with the version you read.';
END;
$$;

COMMENT ON FUNCTION private.raise_append_conflict(text, uuid, integer) IS
    'Raises ZE001 (wrong expected version) or 40001 (stream written by a newer transaction)';

CREATE OR REPLACE PROCEDURE api.append_events(
    in_stream_type text,
    in_stream_id uuid,
    in_expected_version integer,
    in_events jsonb,  -- Array of {event_type, event_data, metadata}
    INOUT io_new_version integer DEFAULT NULL
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_count integer;
    l_version integer;
    l_generation integer;
    l_xid xid8;
    l_lock text;
BEGIN
    IF in_stream_type IS NULL OR in_stream_type = '' OR pg_catalog.char_length(in_stream_type) > 200 THEN
        RAISE EXCEPTION 'in_stream_type must be a non-empty text of at most 200 characters, got %',
                COALESCE(pg_catalog.quote_literal(pg_catalog.left(in_stream_type, 50))
                         || CASE WHEN pg_catalog.char_length(in_stream_type) > 50
                                 THEN pg_catalog.format(' (%s characters)', pg_catalog.char_length(in_stream_type)) ELSE '' END,
                         'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF in_expected_version < 0 THEN
        RAISE EXCEPTION 'in_expected_version must be NULL (any), 0 (new stream) or a version, got %', in_expected_version
            USING ERRCODE = 'ZE003';
    END IF;
    l_count := private.check_event_batch(in_events);

    -- Queue behind other appends to this stream before taking a transaction id (an
    -- advisory lock needs none). A transaction whose first write is this append then
    -- always gets a newer xid than every append before it, and never trips the order
    -- guard below; only one that held an xid before appending can (40001, retry). A
    -- transaction that has its xid already gains nothing from the lock: it skips it, so
    -- a bulk import into many streams holds one such lock, not one per stream (those
    -- would exhaust the lock table). An assignment, not PERFORM: no executor.
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NULL THEN
        l_lock := pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(in_stream_type),
                                                   pg_catalog.hashtext(in_stream_id::text))::text;
    END IF;
    l_xid := pg_catalog.pg_current_xact_id();

    -- One statement takes the stream row lock, moves the version and reads the generation
    -- this cluster writes. No row means: a wrong expected version; or a newer transaction
    -- appended to this stream first (last_transaction_id > l_xid); or this cluster has not
    -- written since a restore (the newest generation is another cluster's): then start a
    -- generation and try once more.
    FOR l_attempt IN 1 .. 2 LOOP
        IF in_expected_version = 0 THEN
            INSERT INTO data.event_streams AS s
                (stream_type, stream_id, current_version, last_generation, last_transaction_id)
            SELECT in_stream_type, in_stream_id, l_count, g.generation, l_xid
            FROM private.current_generation AS g
            ON CONFLICT (stream_type, stream_id) DO NOTHING
            RETURNING s.current_version, s.last_generation INTO l_version, l_generation;
        ELSIF in_expected_version IS NULL THEN
            INSERT INTO data.event_streams AS s
                (stream_type, stream_id, current_version, last_generation, last_transaction_id)
            SELECT in_stream_type, in_stream_id, l_count, g.generation, l_xid
            FROM private.current_generation AS g
            ON CONFLICT (stream_type, stream_id) DO UPDATE
                SET current_version = s.current_version + l_count,
                    updated_at = pg_catalog.now(),
                    last_generation = excluded.last_generation,
                    last_transaction_id = l_xid
                WHERE s.last_generation <> excluded.last_generation OR s.last_transaction_id <= l_xid
            RETURNING s.current_version, s.last_generation INTO l_version, l_generation;
        ELSE
            UPDATE data.event_streams AS s
            SET current_version = s.current_version + l_count,
                updated_at = pg_catalog.now(),
                last_generation = g.generation,
                last_transaction_id = l_xid
            FROM private.current_generation AS g
            WHERE s.stream_type = in_stream_type
              AND s.stream_id = in_stream_id
              AND s.current_version = in_expected_version
              AND (s.last_generation <> g.generation OR s.last_transaction_id <= l_xid)
            RETURNING s.current_version, s.last_generation INTO l_version, l_generation;
        END IF;

        EXIT WHEN l_version IS NOT NULL;
        IF l_attempt = 1 AND NOT EXISTS (SELECT FROM private.current_generation) THEN
            PERFORM private.writer_generation();
        ELSE
            PERFORM private.raise_append_conflict(in_stream_type, in_stream_id, in_expected_version);
        END IF;
    END LOOP;

    -- One event is the common append: VALUES spares the set-returning function scan
    -- (measured 5% of an append). A batch goes in with one set-based INSERT ... SELECT.
    -- Both write an event at its metadata.version, else at the current version of its type
    -- (data.event_types), else 1, and check versioned types against their schema
    -- (private.check_event_schema raises ZE006; the whole batch is then not written).
    IF l_count = 1 THEN
        INSERT INTO data.events
            (stream_type, stream_id, version, event_type, event_data, metadata,
             transaction_id, generation, schema_version)
        SELECT in_stream_type, in_stream_id, l_version, e.event_type, e.event_data, e.metadata,
               l_xid, l_generation, COALESCE((e.metadata ->> 'version')::numeric::integer, t.current_version, 1)
        FROM (VALUES (in_events -> 0 ->> 'event_type',
                      in_events -> 0 -> 'event_data',
                      COALESCE(in_events -> 0 -> 'metadata', '{}'::jsonb))) AS e(event_type, event_data, metadata)
        LEFT JOIN data.event_types AS t ON t.event_type = e.event_type
        WHERE t.event_type IS NULL
           OR private.check_event_schema(e.event_type, COALESCE((e.metadata ->> 'version')::numeric::integer, t.current_version),
                                         e.event_data, 1);
    ELSE
        INSERT INTO data.events
            (stream_type, stream_id, version, event_type, event_data, metadata,
             transaction_id, generation, schema_version)
        SELECT in_stream_type,
               in_stream_id,
               l_version - l_count + e.ord::integer,
               e.element ->> 'event_type',
               e.element -> 'event_data',
               COALESCE(e.element -> 'metadata', '{}'::jsonb),
               l_xid,
               l_generation,
               COALESCE((e.element -> 'metadata' ->> 'version')::numeric::integer, t.current_version, 1)
        FROM pg_catalog.jsonb_array_elements(in_events) WITH ORDINALITY AS e(element, ord)
        LEFT JOIN data.event_types AS t ON t.event_type = e.element ->> 'event_type'
        WHERE t.event_type IS NULL
           OR private.check_event_schema(t.event_type,
                                         COALESCE((e.element -> 'metadata' ->> 'version')::numeric::integer, t.current_version),
                                         e.element -> 'event_data', e.ord);
    END IF;

    io_new_version := l_version;
END;
$$;

COMMENT ON PROCEDURE api.append_events(text, uuid, integer, jsonb, integer) IS
$$Appends in_events (a JSON array of {event_type, event_data, metadata}) to a stream.
in_expected_version: 0 = the stream must be new, N = the stream must be at version N,
NULL = any. io_new_version returns the stream's version after the append.
Errors: ZE001 wrong expected version, ZE002 malformed in_events, ZE003 bad argument,
ZE006 event_data does not match the registered schema of its type and version,
40001 the stream was appended by a newer transaction (retry). Listeners of channel
eventstore_events hear of it once it is readable (projection notifications).$$;

REVOKE ALL ON FUNCTION private.check_event_batch(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.raise_append_conflict(text, uuid, integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE api.append_events(text, uuid, integer, jsonb, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.append_events(text, uuid, integer, jsonb, integer) TO eventstore_writer;

COMMIT;
