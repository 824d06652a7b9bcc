-- api.append_events: optimistic concurrency on the stream row, one set-based insert.

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
    l_ids text;
    l_first_write boolean := pg_catalog.pg_current_xact_id_if_assigned() IS NULL;
    l_first bigint;
    l_block numeric;
    l_base numeric;
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
    IF l_first_write THEN
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

    -- The events' log numbers (private.log_number), stored so that readers need not work them
    -- out: the transaction's base plus each event's global position. The first event takes its
    -- position here. In a transaction's first write it is the first position the transaction
    -- takes, which starts its block; a later append of the transaction reads the base of the
    -- events it appended before (or private.log_number_base, if a purge removed them all).
    l_first := pg_catalog.nextval('data.events_global_position_seq');
    l_block := private.log_block(l_generation, l_xid);
    IF NOT l_first_write THEN
        SELECT e.log_number - e.global_position INTO l_base
        FROM data.events AS e
        WHERE e.created_at = pg_catalog.now() AND e.generation = l_generation AND e.transaction_id = l_xid
        LIMIT 1;
        l_base := COALESCE(l_base, private.log_number_base(l_generation, l_xid, pg_catalog.now()));
    END IF;
    l_base := COALESCE(l_base, l_block + 1 - l_first);

    -- Events of a type with personal data have those fields sealed: the EXISTS is asked once
    -- per statement (an initplan), and a store that registers none pays nothing more.
    -- One event is the common append: VALUES spares the set-returning function scan
    -- (measured 5% of an append). A batch goes in with one set-based INSERT ... SELECT.
    -- Both write an event at its metadata.version, else at the current version of its type
    -- (data.event_types), else 1, and check versioned types against their schema
    -- (private.check_event_schema raises ZE006; the whole batch is then not written).
    IF l_count = 1 THEN
        INSERT INTO data.events
            (stream_type, stream_id, version, event_type, event_data, metadata,
             transaction_id, generation, schema_version, global_position, log_number)
        SELECT in_stream_type, in_stream_id, l_version, e.event_type,
               CASE WHEN EXISTS (SELECT FROM data.personal_data)
                    THEN private.seal_personal_data(e.event_type, e.event_data, in_stream_type, in_stream_id)
                    ELSE e.event_data END,
               e.metadata,
               l_xid, l_generation, COALESCE((e.metadata ->> 'version')::numeric::integer, t.current_version, 1),
               l_first, l_base + l_first
        FROM (VALUES (in_events -> 0 ->> 'event_type',
                      in_events -> 0 -> 'event_data',
                      COALESCE(in_events -> 0 -> 'metadata', '{}'::jsonb))) AS e(event_type, event_data, metadata)
        LEFT JOIN data.event_types AS t ON t.event_type = e.event_type
        WHERE t.event_type IS NULL
           OR private.check_event_schema(e.event_type, COALESCE((e.metadata ->> 'version')::numeric::integer, t.current_version),
                                         e.event_data, 1);
    ELSE
        -- A batch's ids come from one private.uuidv7() (2 us a call, a tenth of a batched
        -- event's cost): its time and first 38 random bits, then the event's ordinal in the
        -- last 24 bits, so they are version-7 ids in the batch's order. 24 bits outnumber the
        -- events a jsonb array (at most 255 MB) can hold.
        l_ids := pg_catalog.left(private.uuidv7()::text, 30);
        INSERT INTO data.events
            (id, stream_type, stream_id, version, event_type, event_data, metadata,
             transaction_id, generation, schema_version, global_position, log_number)
        SELECT b.id, in_stream_type, in_stream_id, b.version, b.event_type, b.event_data, b.metadata,
               l_xid, l_generation, b.schema_version, b.global_position, l_base + b.global_position
        FROM (
            SELECT (l_ids || pg_catalog.lpad(pg_catalog.to_hex(e.ord), 6, '0'))::uuid AS id,
                   l_version - l_count + e.ord::integer AS version,
                   e.element ->> 'event_type' AS event_type,
                   CASE WHEN EXISTS (SELECT FROM data.personal_data)
                        THEN private.seal_personal_data(e.element ->> 'event_type', e.element -> 'event_data', in_stream_type, in_stream_id)
                        ELSE e.element -> 'event_data' END AS event_data,
                   COALESCE(e.element -> 'metadata', '{}'::jsonb) AS metadata,
                   COALESCE((e.element -> 'metadata' ->> 'version')::numeric::integer, t.current_version, 1) AS schema_version,
                   -- Positions are taken in the batch's order, whatever the plan (a hash join
                   -- reordered rows without the ORDER BY: seen with one more join here): the
                   -- planner evaluates a volatile output column after the sort.
                   CASE WHEN e.ord = 1 THEN l_first
                        ELSE pg_catalog.nextval('data.events_global_position_seq') END AS global_position
            FROM pg_catalog.jsonb_array_elements(in_events) WITH ORDINALITY AS e(element, ord)
            LEFT JOIN data.event_types AS t ON t.event_type = e.element ->> 'event_type'
            WHERE t.event_type IS NULL
               OR private.check_event_schema(t.event_type,
                                             COALESCE((e.element -> 'metadata' ->> 'version')::numeric::integer, t.current_version),
                                             e.element -> 'event_data', e.ord)
            ORDER BY e.ord
            OFFSET 0) AS b;
    END IF;
    -- A transaction's numbers stay inside its block: 2^32 positions from its first (a first
    -- write of one event is number 1 of its block).
    IF NOT (l_first_write AND l_count = 1)
       AND l_base + (CASE WHEN l_count = 1 THEN l_first ELSE pg_catalog.currval('data.events_global_position_seq') END)
           - l_block >= 4294967296 THEN
        RAISE EXCEPTION 'this transaction has spanned 2^32 log positions: its events cannot be numbered; append in a new transaction'
            USING ERRCODE = 'ZE003';
    END IF;

    io_new_version := l_version;
END;
$$;

COMMENT ON PROCEDURE api.append_events(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, INOUT io_new_version integer) IS 'Appends in_events (a JSON array of {event_type, event_data, metadata}) to a stream.
in_expected_version: 0 = the stream must be new, N = the stream must be at version N,
NULL = any. io_new_version returns the stream''s version after the append.
Errors: ZE001 wrong expected version, ZE002 malformed in_events, ZE003 bad argument,
ZE006 event_data does not match the registered schema of its type and version,
40001 the stream was appended by a newer transaction (retry). Listeners of channel
eventstore_events hear of it once it is readable (projection notifications).';
REVOKE ALL ON PROCEDURE api.append_events(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, INOUT io_new_version integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.append_events(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, INOUT io_new_version integer) TO eventstore_writer;
