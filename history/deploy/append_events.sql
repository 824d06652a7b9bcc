-- Deploy eventstore:append_events to pg
-- requires: append_events@v2.0.0
-- requires: personal_data
-- requires: check_event_batch
-- requires: announced_before_xid
-- requires: raise_append_conflict
-- requires: log_order
-- requires: idempotency_keys
-- requires: events
-- requires: event_streams
-- requires: store_generations
-- requires: event_schemas
-- requires: roles
-- api.append_events: optimistic concurrency on the stream row, one set-based insert.
-- Since v1.2.0: an append announces itself to whole-log readers before its transaction id
-- exists: the stream statement takes its lock on data.event_streams, then the id is assigned
-- while it runs. A transaction that had its id before its first append announces itself
-- and fails with 40001 if a reader may have read past it (docs/read-horizon.md).
-- Since v1.1.0: the per-stream queueing lock is taken only by a transaction's first append;
-- stream and event types are at most 200 characters (ZE003, ZE002: past ~2.7 kB the index
-- refused them with 54000); a metadata.version written 1.0 is version 1 (it was 22P02).
-- Since v2.0.0: the personal data fields of event types registered with
-- api.register_personal_data are stored sealed with their subject's key (private.seal_personal_data,
-- called only while some type is registered); a batch takes its log positions in its order.
-- Since v1.5.0: its helpers are changes of their own (check_event_batch, announced_before_xid,
-- raise_append_conflict); the procedure is the same.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

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
    -- Does any event type have personal data? Then each event's type is looked up (and its
    -- fields sealed); a store that registers none pays nothing more.
    l_personal boolean := EXISTS (SELECT FROM data.personal_data);
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
    ELSIF NOT private.announced_before_xid() THEN
        -- The transaction wrote something else first: announce it now (readers wait for it
        -- from here on), then make sure no reader has read past its id meanwhile.
        LOCK TABLE data.event_streams IN ROW EXCLUSIVE MODE;
        PERFORM private.refuse_passed_appender(pg_catalog.pg_current_xact_id());
    END IF;

    -- One statement takes the stream row lock, moves the version and reads the generation
    -- this cluster writes. No row means: a wrong expected version; or a newer transaction
    -- appended to this stream first (last_transaction_id > this one's); or this cluster has
    -- not written since a restore (the newest generation is another cluster's): then start a
    -- generation and try once more. Its lock on data.event_streams, taken before it runs,
    -- announces the append to readers; pg_current_xact_id() inside it assigns the
    -- transaction id only then (docs/read-horizon.md).
    FOR l_attempt IN 1 .. 2 LOOP
        IF in_expected_version = 0 THEN
            INSERT INTO data.event_streams AS s
                (stream_type, stream_id, current_version, last_generation, last_transaction_id)
            SELECT in_stream_type, in_stream_id, l_count, g.generation, pg_catalog.pg_current_xact_id()
            FROM private.current_generation AS g
            ON CONFLICT (stream_type, stream_id) DO NOTHING
            RETURNING s.current_version, s.last_generation, s.last_transaction_id INTO l_version, l_generation, l_xid;
        ELSIF in_expected_version IS NULL THEN
            INSERT INTO data.event_streams AS s
                (stream_type, stream_id, current_version, last_generation, last_transaction_id)
            SELECT in_stream_type, in_stream_id, l_count, g.generation, pg_catalog.pg_current_xact_id()
            FROM private.current_generation AS g
            ON CONFLICT (stream_type, stream_id) DO UPDATE
                SET current_version = s.current_version + l_count,
                    updated_at = pg_catalog.now(),
                    last_generation = excluded.last_generation,
                    last_transaction_id = excluded.last_transaction_id
                WHERE s.last_generation <> excluded.last_generation
                   OR s.last_transaction_id <= excluded.last_transaction_id
            RETURNING s.current_version, s.last_generation, s.last_transaction_id INTO l_version, l_generation, l_xid;
        ELSE
            UPDATE data.event_streams AS s
            SET current_version = s.current_version + l_count,
                updated_at = pg_catalog.now(),
                last_generation = g.generation,
                last_transaction_id = pg_catalog.pg_current_xact_id()
            FROM private.current_generation AS g
            WHERE s.stream_type = in_stream_type
              AND s.stream_id = in_stream_id
              AND s.current_version = in_expected_version
              AND (s.last_generation <> g.generation OR s.last_transaction_id <= pg_catalog.pg_current_xact_id())
            RETURNING s.current_version, s.last_generation, s.last_transaction_id INTO l_version, l_generation, l_xid;
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
        SELECT in_stream_type, in_stream_id, l_version, e.event_type,
               CASE WHEN l_personal THEN private.seal_personal_data(e.event_type, e.event_data, in_stream_type, in_stream_id)
                    ELSE e.event_data END,
               e.metadata,
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
               CASE WHEN l_personal
                    THEN private.seal_personal_data(e.element ->> 'event_type', e.element -> 'event_data', in_stream_type, in_stream_id)
                    ELSE e.element -> 'event_data' END,
               COALESCE(e.element -> 'metadata', '{}'::jsonb),
               l_xid,
               l_generation,
               COALESCE((e.element -> 'metadata' ->> 'version')::numeric::integer, t.current_version, 1)
        FROM pg_catalog.jsonb_array_elements(in_events) WITH ORDINALITY AS e(element, ord)
        LEFT JOIN data.event_types AS t ON t.event_type = e.element ->> 'event_type'
        WHERE t.event_type IS NULL
           OR private.check_event_schema(t.event_type,
                                         COALESCE((e.element -> 'metadata' ->> 'version')::numeric::integer, t.current_version),
                                         e.element -> 'event_data', e.ord)
        -- Positions (the column default) are taken in this order: the batch's order, whatever
        -- the plan (a hash join reordered rows without it: seen with one more join here).
        ORDER BY e.ord;
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

REVOKE ALL ON PROCEDURE api.append_events(text, uuid, integer, jsonb, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.append_events(text, uuid, integer, jsonb, integer) TO eventstore_writer;

COMMIT;
