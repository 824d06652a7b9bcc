CREATE SCHEMA api;

COMMENT ON SCHEMA api IS 'Event store interface: append, read, commands, queries, operations';

CREATE SCHEMA data;

COMMENT ON SCHEMA data IS 'Event store tables and read models; reached only through api';

CREATE SCHEMA private;

COMMENT ON SCHEMA private IS 'Event store internals: helpers, handlers, runners';

CREATE SCHEMA registered;

COMMENT ON SCHEMA registered IS 'Invokers of registered functions: each runs one registered function as its registrant';

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

CREATE TYPE private.subscription_delivery AS (
	id uuid,
	stream_type text,
	stream_id uuid,
	version integer,
	event_type text,
	event_data jsonb,
	metadata jsonb,
	created_at timestamp with time zone,
	attempt integer
);

CREATE TYPE private.subscription_event_ref AS (
	id uuid,
	created_at timestamp with time zone,
	generation integer,
	transaction_id xid8,
	global_position bigint,
	stream_type text,
	stream_id uuid,
	version integer
);

CREATE FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[]) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_now timestamptz := pg_catalog.clock_timestamp();
    l_lease record;
    l_keep private.subscription_event_ref[];
    l_count integer := 0;
    l_acked uuid[] := '{}';
    l_unknown uuid;
    l_role name := private.calling_role();
    l_admin boolean := private.calling_admin();
BEGIN
    PERFORM private.check_subscription_name(in_subscription, 'in_subscription'),
            private.check_subscription_name(in_consumer, 'in_consumer');
    IF in_event_ids IS NULL OR pg_catalog.array_ndims(in_event_ids) > 1
       OR pg_catalog.array_position(in_event_ids, NULL) IS NOT NULL
       OR pg_catalog.cardinality(in_event_ids) > 10000 THEN
        RAISE EXCEPTION 'in_event_ids must be a one-dimensional array of at most 10000 event ids without NULLs'
            USING ERRCODE = 'ZE003';
    END IF;
    IF NOT EXISTS (SELECT FROM data.subscriptions AS s WHERE s.subscription_name = in_subscription) THEN
        PERFORM private.raise_unknown_subscription(in_subscription);
    END IF;

    -- First deliveries: out of the consumer's leases (locked, so that a claim expiring them
    -- meanwhile either comes first, and nothing is acknowledged, or waits).
    FOR l_lease IN
        SELECT l.lease_id, l.events
        FROM data.subscription_leases AS l
        WHERE l.subscription_name = in_subscription AND l.consumer = in_consumer AND l.leased_until > l_now
          AND (l.claimed_by = l_role OR l.claimed_by IS NULL OR l_admin)
        FOR UPDATE
    LOOP
        l_keep := ARRAY(SELECT ROW(r.id, r.created_at, r.generation, r.transaction_id, r.global_position, r.stream_type, r.stream_id, r.version)::private.subscription_event_ref
                    FROM pg_catalog.unnest(l_lease.events) WITH ORDINALITY AS r
                        WHERE r.id <> ALL (in_event_ids) ORDER BY r.ordinality);
        CONTINUE WHEN pg_catalog.cardinality(l_keep) = pg_catalog.cardinality(l_lease.events);
        l_acked := l_acked || ARRAY(SELECT r.id FROM pg_catalog.unnest(l_lease.events) AS r
                                    WHERE r.id = ANY (in_event_ids));
        IF pg_catalog.cardinality(l_keep) = 0 THEN
            DELETE FROM data.subscription_leases AS l
            WHERE l.subscription_name = in_subscription AND l.lease_id = l_lease.lease_id;
        ELSE
            UPDATE data.subscription_leases AS l SET events = l_keep
            WHERE l.subscription_name = in_subscription AND l.lease_id = l_lease.lease_id;
        END IF;
    END LOOP;

    -- Events delivered again.
    IF pg_catalog.cardinality(l_acked) < pg_catalog.cardinality(in_event_ids) THEN
        WITH acked AS (
            DELETE FROM data.subscription_events AS se
            WHERE se.subscription_name = in_subscription
              AND se.event_id = ANY (in_event_ids)
              AND se.consumer = in_consumer
              AND se.leased_until > l_now
              AND (se.claimed_by = l_role OR se.claimed_by IS NULL OR l_admin)
            RETURNING se.event_id)
        SELECT l_acked || COALESCE(pg_catalog.array_agg(a.event_id), '{}') INTO l_acked FROM acked AS a;
    END IF;

    -- An id that names no event at all is a mistake, not a late ack: nothing is acknowledged.
    IF pg_catalog.cardinality(l_acked) < pg_catalog.cardinality(in_event_ids) THEN
        SELECT i.id INTO l_unknown
        FROM pg_catalog.unnest(in_event_ids) AS i(id)
        WHERE i.id <> ALL (l_acked)
          AND NOT EXISTS (SELECT FROM data.subscription_events AS se
                          WHERE se.subscription_name = in_subscription AND se.event_id = i.id)
          AND NOT EXISTS (SELECT FROM data.events AS e WHERE e.id = i.id)
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'no event has id %', l_unknown
                USING ERRCODE = 'ZE004', DETAIL = 'Nothing was acknowledged.';
        END IF;
    END IF;
    RETURN pg_catalog.cardinality(l_acked);
END;
$$;

COMMENT ON FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[]) IS 'Acknowledges events leased to in_consumer: they are never delivered again (until a reset).
Returns how many were acknowledged; an event whose lease expired (it may have gone to another
consumer), that is not leased to in_consumer, or that another role claimed (unless the caller
is an admin), is not. Errors: ZE003 bad argument, ZE004 an
id that names no event (then nothing is acknowledged), ZE013 unknown subscription.';

CREATE PROCEDURE api.append_events(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, INOUT io_new_version integer DEFAULT NULL::integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE PROCEDURE api.append_events_idempotent(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, IN in_idempotency_key uuid, INOUT io_new_version integer DEFAULT NULL::integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_count integer;
    l_key record;
    l_events jsonb;
BEGIN
    IF in_idempotency_key IS NULL THEN
        RAISE EXCEPTION 'in_idempotency_key must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF in_stream_type IS NULL OR in_stream_type = '' OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type must be a non-empty text and in_stream_id not NULL'
            USING ERRCODE = 'ZE003';
    END IF;
    l_count := private.check_event_batch(in_events);

    -- Queue on the stream before the first write, as api.append_events does (the same
    -- key): claiming the key takes a transaction id, and one taken before queueing could be
    -- older than an append that commits meanwhile (40001 for that append or this one).
    -- It also announces itself to whole-log readers before the key gives it a
    -- transaction id, as the stream statement of api.append_events does; api.append_events
    -- knows it by the key row this transaction inserted (private.announced_before_xid).
    IF pg_catalog.pg_current_xact_id_if_assigned() IS NULL THEN
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(in_stream_type),
                                                 pg_catalog.hashtext(in_stream_id::text));
        LOCK TABLE data.event_streams IN ROW EXCLUSIVE MODE;
        PERFORM pg_catalog.set_config('eventstore.idempotency_key', in_idempotency_key::text, true);
    ELSE
        -- Not announced before its id: api.append_events must check it (and no value a
        -- caller set may say otherwise).
        PERFORM pg_catalog.set_config('eventstore.idempotency_key', '', true);
    END IF;

    -- Claim the key. A concurrent call with the same key waits here until the first
    -- commits (then finds the key) or rolls back (then claims it).
    INSERT INTO data.idempotency_keys (idempotency_key, stream_type, stream_id)
    VALUES (in_idempotency_key, in_stream_type, in_stream_id)
    ON CONFLICT (idempotency_key) DO NOTHING;

    IF NOT FOUND THEN
        SELECT k.stream_type, k.stream_id, k.new_version INTO l_key
        FROM data.idempotency_keys AS k
        WHERE k.idempotency_key = in_idempotency_key;

        IF (l_key.stream_type, l_key.stream_id) IS DISTINCT FROM (in_stream_type, in_stream_id) THEN
            RAISE EXCEPTION 'idempotency key % was used for stream %/%, not %/%',
                    in_idempotency_key, l_key.stream_type, l_key.stream_id, in_stream_type, in_stream_id
                USING ERRCODE = 'ZE007',
                      HINT = 'Use a new key for each distinct append.';
        END IF;

        RAISE NOTICE 'Event already processed: %', in_idempotency_key;
        -- The answer acknowledges that append: only once it is safe. A transaction that
        -- commits locally may be visible (after a crash and restart of the primary, say) before
        -- any synchronous standby has it. PostgreSQL waits for synchronous replication only at
        -- the commit of a transaction that wrote WAL (a transaction id alone is not enough: its
        -- commit is not waited for), so this call writes a row version of the key: its commit
        -- then waits like any write, and the WAL up to it holds the replayed append's commit
        -- (docs/high-availability.md).
        UPDATE data.idempotency_keys AS k SET new_version = k.new_version
        WHERE k.idempotency_key = in_idempotency_key;
        io_new_version := l_key.new_version;
        RETURN;
    END IF;

    -- The key travels with the events (metadata.idempotency_key), for readers of the log.
    SELECT pg_catalog.jsonb_agg(
               e.event || pg_catalog.jsonb_build_object('metadata',
                   COALESCE(e.event -> 'metadata', '{}'::jsonb)
                   || pg_catalog.jsonb_build_object('idempotency_key', in_idempotency_key))
               ORDER BY e.ord)
    INTO l_events
    FROM pg_catalog.jsonb_array_elements(in_events) WITH ORDINALITY AS e(event, ord);

    CALL api.append_events(in_stream_type, in_stream_id, in_expected_version, l_events,
                           io_new_version);

    UPDATE data.idempotency_keys AS k
    SET first_version = io_new_version - l_count + 1,
        new_version = io_new_version
    WHERE k.idempotency_key = in_idempotency_key;
END;
$$;

COMMENT ON PROCEDURE api.append_events_idempotent(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, IN in_idempotency_key uuid, INOUT io_new_version integer) IS 'api.append_events at most once per in_idempotency_key: a retry with a key already used
appends nothing, raises a NOTICE and returns the version the first call reached in
io_new_version. Errors: those of api.append_events, ZE003 NULL key, ZE007 the key was used
for another stream.';

CREATE FUNCTION api.append_tagged(in_events jsonb, in_fail_if_match jsonb DEFAULT NULL::jsonb, in_after numeric DEFAULT NULL::numeric) RETURNS numeric
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;

COMMENT ON FUNCTION api.append_tagged(in_events jsonb, in_fail_if_match jsonb, in_after numeric) IS 'Appends in_events (a JSON array of {event_type, event_data, metadata, tags}) as a new stream of type $dcb; with in_fail_if_match
(a query: [{"types": [...], "tags": [...]}, ...]) only if no event matching it was appended after log
number in_after (NULL: ever), decided atomically at READ COMMITTED. Returns the log number of its
last event.
Errors: ZE021 the condition failed (read again and retry), ZE002 malformed in_events, ZE003 bad
query or number, or not READ COMMITTED, ZE006 event_data does not match its registered schema.';

CREATE FUNCTION api.append_versioned(in_stream_type text, in_streams jsonb, in_gaps boolean DEFAULT false) RETURNS numeric[]
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_run record;
    l_stream_id uuid;
    l_versions integer[];
    l_count integer;
    l_current integer;
    l_last integer;
    l_new integer;
    l_numbers numeric[] := '{}';
    l_run_numbers numeric[];
BEGIN
    IF pg_catalog.jsonb_typeof(in_streams) IS DISTINCT FROM 'array' OR pg_catalog.jsonb_array_length(in_streams) = 0 THEN
        RAISE EXCEPTION 'in_streams must be a non-empty JSON array of {stream_id, events}'
            USING ERRCODE = 'ZE002';
    END IF;
    IF in_gaps IS NULL THEN
        RAISE EXCEPTION 'in_gaps must be true or false' USING ERRCODE = 'ZE003';
    END IF;

    FOR l_run IN
        SELECT s.element, s.ord FROM pg_catalog.jsonb_array_elements(in_streams) WITH ORDINALITY AS s(element, ord)
    LOOP
        -- Its stream, and the versions its events carry: a UUID, integers from 0.
        BEGIN
            l_stream_id := (l_run.element ->> 'stream_id')::uuid;
            SELECT pg_catalog.array_agg((x.event -> 'metadata' ->> 'originator_version')::integer ORDER BY x.ord)
            INTO l_versions
            FROM pg_catalog.jsonb_array_elements(l_run.element -> 'events') WITH ORDINALITY AS x(event, ord);
        EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range OR invalid_parameter_value THEN
            l_versions := NULL;
        END;
        l_count := pg_catalog.array_length(l_versions, 1);
        IF l_stream_id IS NULL OR l_count IS NULL OR pg_catalog.array_position(l_versions, NULL) IS NOT NULL
           OR l_versions[1] < 0 OR l_versions[l_count] > 2147483646 THEN
            RAISE EXCEPTION 'stream % of in_streams needs a stream_id (a UUID) and events each with a metadata.originator_version (an integer from 0)',
                    l_run.ord - 1
                USING ERRCODE = 'ZE002',
                      DETAIL = pg_catalog.jsonb_build_object('index', l_run.ord - 1)::text;
        END IF;
        -- One version after the other (with gaps: each above the one before).
        IF EXISTS (SELECT FROM pg_catalog.generate_subscripts(l_versions, 1) AS i
                   WHERE i > 1 AND l_versions[i] <= l_versions[i - 1]) THEN
            RAISE EXCEPTION 'in_streams gives stream %/% the versions %: a version given twice or going back',
                    in_stream_type, l_stream_id, l_versions
                USING ERRCODE = 'ZE001',
                      DETAIL = pg_catalog.jsonb_build_object('stream_type', in_stream_type, 'stream_id', l_stream_id,
                                                             'versions', l_versions)::text;
        END IF;
        IF NOT in_gaps AND l_versions[l_count] - l_versions[1] <> l_count - 1 THEN
            RAISE EXCEPTION 'the versions of stream % in in_streams skip one: %', l_stream_id, l_versions
                USING ERRCODE = 'ZE003';
        END IF;

        -- The stream's own last version: the next must come after it.
        SELECT s.current_version INTO l_current
        FROM data.event_streams AS s
        WHERE s.stream_type = in_stream_type AND s.stream_id = l_stream_id;
        l_current := COALESCE(l_current, 0);
        IF l_current > 0 THEN
            SELECT private.own_version(e.metadata, e.version) INTO l_last
            FROM data.events AS e
            WHERE e.stream_type = in_stream_type AND e.stream_id = l_stream_id AND e.version = l_current;
            IF l_versions[1] <= l_last THEN
                RAISE EXCEPTION 'version % of stream %/% is taken: its last version is %',
                        l_versions[1], in_stream_type, l_stream_id, l_last
                    USING ERRCODE = 'ZE001',
                          DETAIL = pg_catalog.jsonb_build_object('stream_type', in_stream_type, 'stream_id', l_stream_id,
                                                                 'expected', l_versions[1] - 1, 'actual', l_last)::text;
            END IF;
            IF NOT in_gaps AND l_versions[1] <> l_last + 1 THEN
                RAISE EXCEPTION 'version % of stream %/% would leave a gap: its last version is %',
                        l_versions[1], in_stream_type, l_stream_id, l_last
                    USING ERRCODE = 'ZE003';
            END IF;
        END IF;

        l_new := NULL;
        CALL api.append_events(in_stream_type, l_stream_id, l_current, l_run.element -> 'events', l_new);
        SELECT pg_catalog.array_agg(e.log_number ORDER BY e.version)
        INTO l_run_numbers
        FROM data.events AS e
        WHERE e.created_at = pg_catalog.now()
          AND e.stream_type = in_stream_type AND e.stream_id = l_stream_id
          AND e.version > l_current AND e.version <= l_new;
        l_numbers := l_numbers || l_run_numbers;
    END LOOP;
    RETURN l_numbers;
END;
$$;

COMMENT ON FUNCTION api.append_versioned(in_stream_type text, in_streams jsonb, in_gaps boolean) IS 'Appends to streams of in_stream_type: in_streams is a JSON array of {stream_id, events}, events as
api.append_events takes them, each with its own version in metadata.originator_version. Returns
the events'' log numbers in the order given. A new stream starts at any version; then each
event is the one after the stream''s last (in_gaps: any later one).
Errors: ZE001 a version taken (or appended concurrently), ZE002 malformed in_streams, ZE003 a
gap without in_gaps or a bad argument, and those of api.append_events.';

CREATE PROCEDURE api.apply_retention(IN in_batch_size integer DEFAULT 10000)
    LANGUAGE plpgsql
    AS $$
DECLARE
    l_removed integer;
    l_total bigint := 0;
BEGIN
    LOOP
        l_removed := api.apply_retention_step(in_batch_size);
        COMMIT;
        EXIT WHEN l_removed = 0;
        l_total := l_total + l_removed;
    END LOOP;
    RAISE NOTICE 'retention: % events removed', l_total;
END;
$$;

COMMENT ON PROCEDURE api.apply_retention(IN in_batch_size integer) IS 'Removes the events past retention (api.set_retention): whole expired months dropped, the rest
deleted in batches of in_batch_size, each step its own transaction. Call it on its own (pg_cron
does, daily), not inside a transaction block.';

CREATE FUNCTION api.apply_retention_step(in_batch_size integer DEFAULT 10000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_partition text := private.expired_event_partition();
    l_month_end timestamptz;
    l_policy record;
    l_removal bigint;
    l_ids uuid[];
    l_removed integer;
BEGIN
    IF in_batch_size IS NULL OR in_batch_size < 1 OR in_batch_size > 1000000 THEN
        RAISE EXCEPTION 'in_batch_size must be from 1 to 1000000, got %', COALESCE(in_batch_size::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF l_partition IS NOT NULL THEN
        l_month_end := (pg_catalog.to_date(pg_catalog.substr(l_partition, 8), 'YYYY_MM') + interval '1 month')::timestamp
                       AT TIME ZONE 'UTC';
        -- The audit first: a row per stream type in the month, with its count.
        EXECUTE pg_catalog.format(
            'WITH audit AS (INSERT INTO data.event_removals (kind, stream_type, before, removed_by, events_removed)
                            SELECT ''retention'', e.stream_type, %L::timestamptz, %L, pg_catalog.count(*)
                            FROM data.%I AS e GROUP BY e.stream_type
                            RETURNING events_removed)
             SELECT COALESCE(sum(a.events_removed), 0)::integer FROM audit AS a',
            l_month_end, private.calling_role(), l_partition)
        INTO l_removed;
        PERFORM private.run_with_lock_retries(
            pg_catalog.format('SELECT private.retire_event_partition(%L)', l_partition),
            'retiring data.' || l_partition);
        -- Retired, so the guard on drops lets it go. (Its first log position is recorded:
        -- cursors on its events continue from there.)
        EXECUTE pg_catalog.format('DROP TABLE data.%I', l_partition);
        PERFORM private.forget_deliveries_created_before(l_month_end);
        RAISE NOTICE 'retention: dropped data.% (% events)', l_partition, l_removed;
        RETURN GREATEST(l_removed, 1);
    END IF;

    FOR l_policy IN SELECT p.stream_type, private.retention_cutoff(p.keep) AS cutoff FROM data.retention_policies AS p
                    WHERE private.retention_cutoff(p.keep) IS NOT NULL
                    ORDER BY p.stream_type LOOP
        SELECT pg_catalog.array_agg(e.id) INTO l_ids
        FROM (SELECT e.id FROM data.events AS e
              WHERE e.created_at < l_policy.cutoff AND e.stream_type = l_policy.stream_type
              LIMIT in_batch_size) AS e;
        CONTINUE WHEN l_ids IS NULL;
        INSERT INTO data.event_removals (kind, stream_type, before, removed_by)
        VALUES ('retention', l_policy.stream_type, l_policy.cutoff, private.calling_role())
        RETURNING removal_id INTO l_removal;
        INSERT INTO data.removed_events (id, generation, transaction_id, global_position, removal_id)
        SELECT e.id, e.generation, e.transaction_id, e.global_position, l_removal
        FROM data.events AS e
        WHERE e.id = ANY (l_ids) AND e.created_at < l_policy.cutoff;
        DELETE FROM data.events AS e WHERE e.id = ANY (l_ids) AND e.created_at < l_policy.cutoff;
        GET DIAGNOSTICS l_removed = ROW_COUNT;
        UPDATE data.event_removals AS r SET events_removed = l_removed WHERE r.removal_id = l_removal;
        PERFORM private.forget_removed_deliveries(l_ids);
        RETURN l_removed;
    END LOOP;
    RETURN 0;
END;
$$;

COMMENT ON FUNCTION api.apply_retention_step(in_batch_size integer) IS 'One step of api.apply_retention in this transaction: retires and drops one month whose events
are all past retention, or deletes at most in_batch_size expired events of one stream type.
Returns the number of events removed; 0 when nothing is left. Errors: ZE003 bad batch size,
55P03 the month''s lock not had in about a minute of short tries.';

CREATE FUNCTION api.call_append_events(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, INOUT io_new_version integer DEFAULT NULL::integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    CALL api.append_events(in_stream_type, in_stream_id, in_expected_version, in_events, io_new_version);
END;
$$;

COMMENT ON FUNCTION api.call_append_events(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, INOUT io_new_version integer) IS 'api.append_events as a function, for callers that can only SELECT: a PL/Proxy endpoint (docs/sharding.md) sends every call as a SELECT. The same arguments, result (io_new_version), errors and rights (it runs as its caller, who needs api.append_events).';

CREATE FUNCTION api.call_append_events_idempotent(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, in_idempotency_key uuid, INOUT io_new_version integer DEFAULT NULL::integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    CALL api.append_events_idempotent(in_stream_type, in_stream_id, in_expected_version, in_events,
                                      in_idempotency_key, io_new_version);
END;
$$;

COMMENT ON FUNCTION api.call_append_events_idempotent(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, in_idempotency_key uuid, INOUT io_new_version integer) IS 'api.append_events_idempotent as a function, for callers that can only SELECT (a PL/Proxy endpoint, docs/sharding.md). The same arguments, result, errors and rights (it runs as its caller).';

CREATE FUNCTION api.claim_events(in_subscription text, in_consumer text, in_limit integer DEFAULT 100) RETURNS TABLE(id uuid, stream_type text, stream_id uuid, version integer, event_type text, event_data jsonb, metadata jsonb, created_at timestamp with time zone, attempt integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
DECLARE
    l_now timestamptz := pg_catalog.clock_timestamp();
    l_subscription data.subscriptions;
    l_ids uuid[] := '{}';
    l_created timestamptz[] := '{}';
    l_attempts integer[] := '{}';
    l_room integer;
    l_horizon record;
    l_intake record;
    l_last private.subscription_event_ref;
    l_wait uuid[];
    l_first private.subscription_event_ref[];
    l_deliveries private.subscription_delivery[] := '{}';
    l_has_rows boolean;
    l_last_claim_at timestamptz;
    l_role name := private.calling_role();
    l_limit integer := in_limit;
    l_cut_off bigint;
    l_unread_error text;
BEGIN
    PERFORM private.check_subscription_name(in_consumer, 'in_consumer');
    IF in_limit IS NULL OR in_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'in_limit must be between 1 and 10000, got %', COALESCE(in_limit::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    l_subscription := private.lock_subscription(in_subscription);
    IF l_subscription.consumer_role IS NOT NULL
       AND NOT pg_catalog.pg_has_role(l_role, l_subscription.consumer_role, 'MEMBER')
       AND NOT private.calling_admin() THEN
        RAISE EXCEPTION 'role % may not claim from subscription %', l_role, pg_catalog.quote_literal(in_subscription)
            USING ERRCODE = 'ZE017',
                  HINT = 'The subscription is reserved for another consumer role (api.set_subscription_role).';
    END IF;

    -- 0. The read guard: how many claims before this one began reading and never ended (this
    -- claim counts itself now, before it reads, and clears the count when it ends). After a
    -- cut-off claim, read one event at a time; after more than max_attempts, park it unread.
    l_cut_off := COALESCE(pg_catalog.nextval(l_subscription.read_guard) - 1, 0);
    IF l_cut_off > 0 THEN
        l_limit := 1;
        IF l_cut_off > l_subscription.max_attempts THEN
            l_unread_error := pg_catalog.format(
                'unreadable: reading it was cut off %s times in a row (a cancel or statement_timeout)', l_cut_off);
        END IF;
    END IF;

    -- 1. Expired leases are failed attempts: the event waits again, or is parked. First
    -- deliveries become rows of their own; so do events delivered again.
    WITH expired AS (
        DELETE FROM data.subscription_leases AS l
        WHERE l.subscription_name = in_subscription AND l.leased_until <= l_now
        RETURNING l.consumer, l.events)
    INSERT INTO data.subscription_events
        (subscription_name, event_id, event_created_at, generation, transaction_id, global_position,
         stream_type, stream_id, version, attempts, last_error, parked_at)
    SELECT in_subscription, r.id, r.created_at, r.generation, r.transaction_id, r.global_position,
           r.stream_type, r.stream_id, r.version, 1,
           pg_catalog.format('the lease of consumer %s expired (attempt 1)', pg_catalog.left(x.consumer, 200)),
           CASE WHEN l_subscription.max_attempts <= 1 THEN l_now END
    FROM expired AS x
    CROSS JOIN LATERAL pg_catalog.unnest(x.events) AS r;

    UPDATE data.subscription_events AS se
    SET consumer = NULL, leased_at = NULL, leased_until = NULL,
        last_error = pg_catalog.format('the lease of consumer %s expired (attempt %s)',
                                       pg_catalog.left(se.consumer, 200), se.attempts),
        parked_at = CASE WHEN se.attempts >= l_subscription.max_attempts THEN l_now END
    WHERE se.subscription_name = in_subscription
      AND se.consumer IS NOT NULL
      AND se.leased_until <= l_now;

    -- 2. Events waiting to be delivered (again) whose stream has nothing in flight or parked,
    -- in log order; several of one stream go together, in version order.
    l_has_rows := EXISTS (SELECT FROM data.subscription_events AS x WHERE x.subscription_name = in_subscription);
    IF l_has_rows AND EXISTS (SELECT FROM data.subscription_events AS w
                              WHERE w.subscription_name = in_subscription AND w.consumer IS NULL AND w.parked_at IS NULL) THEN
        -- NOT IN over the busy streams: a hashed lookup (a join against them was planned as a
        -- nested loop, quadratic in the events in flight when consumers fell behind).
        WITH picked AS (
            SELECT w.event_id
            FROM data.subscription_events AS w
            WHERE w.subscription_name = in_subscription
              AND w.consumer IS NULL AND w.parked_at IS NULL
              AND (w.stream_type, w.stream_id) NOT IN (
                  SELECT b.stream_type, b.stream_id
                  FROM data.subscription_events AS b
                  WHERE b.subscription_name = in_subscription
                    AND (b.consumer IS NOT NULL OR b.parked_at IS NOT NULL)
                  UNION ALL
                  SELECT r.stream_type, r.stream_id
                  FROM data.subscription_leases AS l
                  CROSS JOIN LATERAL pg_catalog.unnest(l.events) AS r
                  WHERE l.subscription_name = in_subscription)
            ORDER BY w.generation, w.transaction_id, w.global_position
            LIMIT l_limit),
        leased AS (
            UPDATE data.subscription_events AS se
            SET consumer = in_consumer, leased_at = l_now, leased_until = l_now + l_subscription.lease,
                attempts = se.attempts + 1, claimed_by = l_role
            FROM picked AS p
            WHERE se.subscription_name = in_subscription AND se.event_id = p.event_id
            RETURNING se.event_id, se.event_created_at, se.attempts, se.generation, se.transaction_id, se.global_position)
        SELECT COALESCE(pg_catalog.array_agg(l.event_id ORDER BY l.generation, l.transaction_id, l.global_position), '{}'),
               COALESCE(pg_catalog.array_agg(l.event_created_at ORDER BY l.generation, l.transaction_id, l.global_position), '{}'),
               COALESCE(pg_catalog.array_agg(l.attempts ORDER BY l.generation, l.transaction_id, l.global_position), '{}')
        INTO l_ids, l_created, l_attempts
        FROM leased AS l;

        IF l_unread_error IS NOT NULL AND pg_catalog.cardinality(l_ids) > 0 THEN
            -- Reading it was cut off too often: parked unread; this claim hands out nothing.
            UPDATE data.subscription_events AS se
            SET consumer = NULL, leased_at = NULL, leased_until = NULL, parked_at = l_now, last_error = l_unread_error
            WHERE se.subscription_name = in_subscription AND se.event_id = ANY (l_ids);
            l_limit := 0;
            l_ids := '{}';
        ELSE
            BEGIN
                l_deliveries := ARRAY(
                    SELECT ROW(u.id, u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata,
                               u.created_at, d.attempt)::private.subscription_delivery
                    FROM ROWS FROM (pg_catalog.unnest(l_ids), pg_catalog.unnest(l_created), pg_catalog.unnest(l_attempts))
                         WITH ORDINALITY AS d(id, created_at, attempt, ord)
                    JOIN private.events_as_read AS u ON u.id = d.id AND u.created_at = d.created_at
                    ORDER BY d.ord);
            EXCEPTION WHEN OTHERS THEN
                l_deliveries := private.read_deliveries_one_by_one(in_subscription, l_ids, l_created, l_attempts);
            END;
        END IF;
    END IF;

    -- 3. Room left: take new events in from the log. The horizon first, then (a later
    -- statement, a later snapshot) the events before it.
    l_room := l_limit - pg_catalog.cardinality(l_ids);
    IF l_room > 0 THEN
        l_horizon := private.read_horizon();
        IF l_unread_error IS NULL THEN
            l_intake := private.subscription_intake(l_subscription, l_room, l_horizon.generation, l_horizon.transaction_id);
        ELSE
            l_intake := private.subscription_intake_unread(l_subscription, l_room, l_horizon.generation,
                                                           l_horizon.transaction_id, l_unread_error);
        END IF;

        -- The cursor: past the last event read; past everything before the horizon if the
        -- read ended before the limit (all of it was read). Never backwards (the horizon of
        -- a conservative read can be lower than an earlier one).
        IF pg_catalog.cardinality(l_intake.refs) < l_room THEN
            l_last := ROW(NULL, NULL, l_horizon.generation, l_horizon.transaction_id, -1, NULL, NULL, NULL);
        ELSE
            l_last := l_intake.refs[pg_catalog.cardinality(l_intake.refs)];
        END IF;
        UPDATE data.subscriptions AS s
        SET generation = l_last.generation, transaction_id = l_last.transaction_id,
            global_position = l_last.global_position
        WHERE s.subscription_name = in_subscription
          AND (s.generation, s.transaction_id, s.global_position)
              < (l_last.generation, l_last.transaction_id, l_last.global_position);

        IF pg_catalog.cardinality(l_intake.refs) > 0 THEN
            -- Skipped events are never delivered (a reset may bring the cursor back to them).
            IF EXISTS (SELECT FROM data.subscription_skips AS k WHERE k.subscription_name = in_subscription) THEN
                l_intake.refs := ARRAY(
                    SELECT ROW(r.id, r.created_at, r.generation, r.transaction_id, r.global_position, r.stream_type, r.stream_id, r.version)::private.subscription_event_ref
                    FROM pg_catalog.unnest(l_intake.refs) WITH ORDINALITY AS r
                    WHERE NOT EXISTS (SELECT FROM data.subscription_skips AS k
                                      WHERE k.subscription_name = in_subscription AND k.event_id = r.id)
                    ORDER BY r.ordinality);
            END IF;

            -- An event waits if its stream is busy (an event of it in flight, waiting or
            -- parked), or if it cannot be read or comes after one of its stream that cannot.
            WITH fresh AS (
                SELECT r.id, r.stream_type, r.stream_id, r.version
                FROM pg_catalog.unnest(l_intake.refs) AS r),
            unreadable AS (
                SELECT f.stream_type, f.stream_id, min(f.version) AS version
                FROM fresh AS f WHERE f.id = ANY (l_intake.unreadable_ids)
                GROUP BY f.stream_type, f.stream_id)
            SELECT COALESCE(pg_catalog.array_agg(f.id), '{}') INTO l_wait
            FROM fresh AS f
            WHERE (l_has_rows AND EXISTS (SELECT FROM data.subscription_events AS x
                          WHERE x.subscription_name = in_subscription
                            AND x.stream_type = f.stream_type AND x.stream_id = f.stream_id))
               OR (f.stream_type, f.stream_id) IN (SELECT b.stream_type, b.stream_id  -- hashed
                                                   FROM data.subscription_leases AS l
                                                   CROSS JOIN LATERAL pg_catalog.unnest(l.events) AS b
                                                   WHERE l.subscription_name = in_subscription)
               OR (pg_catalog.cardinality(l_intake.unreadable_ids) > 0  -- rare: no scan per event otherwise
                   AND EXISTS (SELECT FROM unreadable AS u
                               WHERE u.stream_type = f.stream_type AND u.stream_id = f.stream_id
                                 AND u.version <= f.version));

            IF pg_catalog.cardinality(l_wait) > 0 THEN
                INSERT INTO data.subscription_events
                    (subscription_name, event_id, event_created_at, generation, transaction_id, global_position,
                     stream_type, stream_id, version, attempts, last_error, parked_at)
                SELECT in_subscription, r.id, r.created_at, r.generation, r.transaction_id, r.global_position,
                       r.stream_type, r.stream_id, r.version, 0, u.error,
                       CASE WHEN u.error IS NOT NULL THEN l_now END
                FROM pg_catalog.unnest(l_intake.refs) AS r
                LEFT JOIN ROWS FROM (pg_catalog.unnest(l_intake.unreadable_ids), pg_catalog.unnest(l_intake.unreadable_errors))
                          AS u(id, error) ON u.id = r.id
                WHERE r.id = ANY (l_wait);
            END IF;

            -- The rest: first deliveries to this consumer, one row for the lot.
            l_first := ARRAY(
                SELECT ROW(r.id, r.created_at, r.generation, r.transaction_id, r.global_position, r.stream_type, r.stream_id, r.version)::private.subscription_event_ref
                    FROM pg_catalog.unnest(l_intake.refs) WITH ORDINALITY AS r
                WHERE r.id <> ALL (l_wait)
                ORDER BY r.ordinality);
            IF pg_catalog.cardinality(l_first) > 0 THEN
                INSERT INTO data.subscription_leases (subscription_name, consumer, leased_at, leased_until, events, claimed_by)
                VALUES (in_subscription, in_consumer, l_now, l_now + l_subscription.lease, l_first, l_role);
                l_deliveries := l_deliveries || ARRAY(
                    SELECT ROW(e.id, e.stream_type, e.stream_id, e.version, e.event_type, e.event_data, e.metadata,
                               e.created_at, 1)::private.subscription_delivery
                    FROM pg_catalog.unnest(l_intake.events) WITH ORDINALITY AS e
                    WHERE e.id <> ALL (l_wait)
                      AND e.id IN (SELECT f.id FROM pg_catalog.unnest(l_first) AS f)
                    ORDER BY e.ordinality);
            END IF;
        END IF;
    END IF;

    -- Membership: the time of the last claim, to a tenth of the lease (not a write per claim).
    SELECT m.last_claim_at INTO l_last_claim_at
    FROM data.subscription_consumers AS m
    WHERE m.subscription_name = in_subscription AND m.consumer = in_consumer;
    IF l_last_claim_at IS NULL OR l_last_claim_at < l_now - l_subscription.lease / 10 THEN
        INSERT INTO data.subscription_consumers AS m (subscription_name, consumer, first_claim_at, last_claim_at)
        VALUES (in_subscription, in_consumer, l_now, l_now)
        ON CONFLICT (subscription_name, consumer) DO UPDATE SET last_claim_at = excluded.last_claim_at;
        -- Members that stopped claiming long ago are forgotten.
        DELETE FROM data.subscription_consumers AS m
        WHERE m.subscription_name = in_subscription
          AND m.last_claim_at < l_now - GREATEST(l_subscription.lease * 10, interval '1 hour');
    END IF;

    -- This claim ended: nothing cut off any more (not transactional either).
    IF l_subscription.read_guard IS NOT NULL THEN
        PERFORM pg_catalog.setval(l_subscription.read_guard, 0);
    END IF;
    RETURN QUERY SELECT d.* FROM pg_catalog.unnest(l_deliveries) AS d;
END;
$$;

COMMENT ON FUNCTION api.claim_events(in_subscription text, in_consumer text, in_limit integer) IS 'Up to in_limit events of the subscription, leased to in_consumer (a name the consumer
chooses) until now + the subscription''s lease, payloads upcast: events delivered again first,
then new ones, each in log order. attempt is 1 on the first delivery. No event is handed out
while another event of its stream is in flight or parked; several of one stream come in
version order. Call it in a transaction of its own (autocommit): claims of one subscription
queue on its row. After a claim was cut off (a cancel, statement_timeout), claims hand out one
event at a time; an event whose reading was cut off more than max_attempts times in a row is
parked unread. Errors: ZE003 bad argument (in_limit 1..10000), ZE013 unknown subscription,
ZE017 the subscription is reserved for another role.';

CREATE FUNCTION api.create_subscription(in_name text, in_stream_types text[] DEFAULT NULL::text[], in_event_types text[] DEFAULT NULL::text[], in_from_beginning boolean DEFAULT true, in_max_attempts integer DEFAULT 5, in_lease interval DEFAULT '00:00:30'::interval) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_generation integer := 0;
    l_transaction_id xid8 := '0';
BEGIN
    PERFORM private.check_subscription_name(in_name, 'in_name'),
            private.check_type_filter(in_stream_types, 'in_stream_types'),
            private.check_type_filter(in_event_types, 'in_event_types');
    IF in_from_beginning IS NULL THEN
        RAISE EXCEPTION 'in_from_beginning must be true or false' USING ERRCODE = 'ZE003';
    END IF;
    IF in_max_attempts IS NULL OR in_max_attempts NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'in_max_attempts must be between 1 and 1000, got %', COALESCE(in_max_attempts::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    PERFORM private.check_interval(in_lease, 'in_lease', interval '1 second', interval '1 day');

    -- Not from the beginning: from the read horizon, the end of what readers can see now.
    IF NOT in_from_beginning THEN
        SELECT h.generation, h.transaction_id INTO l_generation, l_transaction_id FROM private.read_horizon() AS h;
    END IF;

    INSERT INTO data.subscriptions AS s
        (subscription_name, stream_types, event_types, max_attempts, lease,
         generation, transaction_id, global_position, created_by)
    VALUES (in_name, in_stream_types, in_event_types, in_max_attempts, in_lease,
            l_generation, l_transaction_id,
            CASE WHEN in_from_beginning THEN 0 ELSE -1 END, private.calling_role())
    ON CONFLICT (subscription_name) DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'subscription % exists already', pg_catalog.quote_literal(in_name)
            USING ERRCODE = 'ZE014',
                  HINT = 'Drop it first (api.drop_subscription), or move it (api.reset_subscription).';
    END IF;
    UPDATE data.subscriptions AS s SET read_guard = private.make_read_guard(in_name)
    WHERE s.subscription_name = in_name;
END;
$$;

COMMENT ON FUNCTION api.create_subscription(in_name text, in_stream_types text[], in_event_types text[], in_from_beginning boolean, in_max_attempts integer, in_lease interval) IS 'Creates a subscription: a consumer group over the whole log, optionally only some stream
and event types, from the beginning of the log or from now. An event is delivered again after
a nack or an expired lease (in_lease), and parked after in_max_attempts failed deliveries.
Errors: ZE003 bad argument, ZE014 the name is taken.';

CREATE FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_stream record;
    l_version integer;
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF in_expected_version < 1 THEN
        RAISE EXCEPTION 'in_expected_version must be NULL (any) or the stream''s version (1 or more), got %', in_expected_version
            USING ERRCODE = 'ZE003';
    END IF;
    SELECT s.current_version, s.deleted_at INTO l_stream
    FROM data.event_streams AS s
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no stream %/%', in_stream_type, in_stream_id USING ERRCODE = 'ZE004';
    END IF;
    IF l_stream.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'stream %/% was deleted at % already', in_stream_type, in_stream_id, l_stream.deleted_at
            USING ERRCODE = 'ZE015';
    END IF;

    -- The tombstone, appended as any event (the expected version guards against a concurrent
    -- append: ZE001), then the stream closes.
    CALL api.append_events(in_stream_type, in_stream_id, COALESCE(in_expected_version, l_stream.current_version),
        pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'event_type', '$StreamDeleted',
            'event_data', '{}'::jsonb,
            'metadata', pg_catalog.jsonb_build_object('deleted_by', private.calling_role()))),
        l_version);
    UPDATE data.event_streams AS s SET deleted_at = pg_catalog.now()
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id;
    DELETE FROM data.snapshots AS n WHERE n.stream_type = in_stream_type AND n.stream_id = in_stream_id;
    RETURN l_version;
END;
$_$;

COMMENT ON FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer) IS 'Deletes a stream (soft): appends its tombstone $StreamDeleted (returns its version) and closes
it. Stream reads return no events from then on; whole-log readers still read every event and
the tombstone; appending fails with ZE015. in_expected_version: the stream''s version, or NULL
(any). Errors: ZE001 wrong expected version, ZE003 bad argument, ZE004 no such stream, ZE015
deleted already.';

CREATE PROCEDURE api.detach_event_partitions(IN in_before date)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $_$
DECLARE
    l_partition record;
BEGIN
    IF in_before IS NULL OR in_before > pg_catalog.date_trunc('month', pg_catalog.now())::date THEN
        RAISE EXCEPTION 'in_before must be a date no later than the start of this month, got %', in_before
            USING ERRCODE = 'ZE003',
                  HINT = 'The current month cannot be detached: events are being written to it.';
    END IF;

    FOR l_partition IN
        SELECT c.relname
        FROM pg_catalog.pg_inherits AS i
        JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'data.events'::pg_catalog.regclass
          AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'
          AND (pg_catalog.to_date(pg_catalog.substr(c.relname, 8), 'YYYY_MM') + interval '1 month') <= in_before
        ORDER BY c.relname
    LOOP
        PERFORM private.run_with_lock_retries(
            pg_catalog.format('SELECT private.retire_event_partition(%L)', l_partition.relname),
            'detaching data.' || l_partition.relname);
        RAISE NOTICE 'detached data.%: archive it, then DROP TABLE it', l_partition.relname;
    END LOOP;
END;
$_$;

COMMENT ON PROCEDURE api.detach_event_partitions(IN in_before date) IS 'Retention: detaches the monthly partitions that end on or before in_before (kept as tables,
recorded in data.retired_event_partitions). Waits at most 200 ms at a time for its lock,
retrying for about a minute (then 55P03). Errors: ZE003 in_before NULL or in this month.';

CREATE FUNCTION api.drop_projection_version(in_projection_name text, in_version integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_name text;
BEGIN
    IF in_version IS NULL THEN
        RAISE EXCEPTION 'in_version must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    PERFORM private.lock_projection_versions(in_projection_name);
    SELECT p.projection_name INTO l_name FROM data.projections AS p
    WHERE p.version_of = in_projection_name AND p.version = in_version;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection_version(in_projection_name, in_version);
    END IF;
    IF l_name = in_projection_name THEN
        RAISE EXCEPTION 'version % of projection % is live: it cannot be dropped', in_version, in_projection_name
            USING ERRCODE = 'ZE011',
                  HINT = 'Promote another version first (api.promote_projection).';
    END IF;
    DELETE FROM data.projections AS p WHERE p.projection_name = l_name;
    PERFORM private.drop_unused_invokers();
END;
$$;

COMMENT ON FUNCTION api.drop_projection_version(in_projection_name text, in_version integer) IS 'Removes a version of a projection that is not live (registration, checkpoint, skips); drop its
read model afterwards. Errors: ZE003 a NULL version, ZE005 unknown projection or version, ZE011 the version is live.';

CREATE FUNCTION api.drop_subscription(in_name text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_subscription data.subscriptions := private.lock_subscription(in_name);
BEGIN
    DELETE FROM data.subscriptions AS s WHERE s.subscription_name = in_name;
    IF l_subscription.read_guard IS NOT NULL THEN
        EXECUTE pg_catalog.format('DROP SEQUENCE %s', l_subscription.read_guard);
    END IF;
END;
$$;

COMMENT ON FUNCTION api.drop_subscription(in_name text) IS 'Drops a subscription with its in-flight and parked events, members and skips.
Errors: ZE013 unknown subscription.';

CREATE PROCEDURE api.ensure_event_partitions(IN in_months_ahead integer DEFAULT 3)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
DECLARE
    l_this_month date := pg_catalog.date_trunc('month', pg_catalog.now())::date;
    l_month date;
BEGIN
    IF in_months_ahead IS NULL OR in_months_ahead < 0 OR in_months_ahead > 120 THEN
        RAISE EXCEPTION 'in_months_ahead must be between 0 and 120, got %', in_months_ahead
            USING ERRCODE = 'ZE003';
    END IF;

    FOR l_i IN 0 .. in_months_ahead LOOP
        l_month := (l_this_month + pg_catalog.make_interval(months => l_i))::date;
        CONTINUE WHEN pg_catalog.to_regclass('data.events_' || pg_catalog.to_char(l_month, 'YYYY_MM')) IS NOT NULL;
        PERFORM private.run_with_lock_retries(
            pg_catalog.format('SELECT private.create_event_partition(%L)', l_month),
            'creating partition data.events_' || pg_catalog.to_char(l_month, 'YYYY_MM'));
        RAISE NOTICE 'created partition data.events_%', pg_catalog.to_char(l_month, 'YYYY_MM');
    END LOOP;
END;
$$;

COMMENT ON PROCEDURE api.ensure_event_partitions(IN in_months_ahead integer) IS 'Creates the monthly partitions of data.events for this month and in_months_ahead more (UTC).
Never blocks the store for more than 200 ms at a time: it retries its short lock waits for
about a minute, then fails with 55P03. Errors: ZE003 in_months_ahead outside 0 to 120.';

CREATE FUNCTION api.error_codes() RETURNS TABLE(sqlstate text, meaning text, raised_by text)
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    VALUES
        ('ZE001', $m$wrong expected version (message: expected N, actual M); a stream's own version taken$m$, $r$`append_events`, `append_events_idempotent`, `append_versioned`$r$),
        ('ZE002', $m$malformed `in_events` (names the event and what is wrong); an event with personal data but no subject id, or with a field that looks sealed already$m$, $r$`append_events`, `append_events_idempotent`$r$),
        ('ZE003', $m$invalid argument (NULL or empty where not allowed, negative version, bad limit, an interval whose effect on `now()` is out of range, a multi-dimensional array)$m$, $r$every `api` function$r$),
        ('ZE004', $m$not found: an `in_after_id` or event id that names no event (an ack of one acknowledges nothing), a customer, an order$m$, $r$readers, subscriptions, the Order example$r$),
        ('ZE005', $m$unknown projection (names it and lists the registered ones), or version of one (lists its versions)$m$, $r$projection functions$r$),
        ('ZE006', $m$an event's `event_data` does not match the schema of its type and version (names event, type, version, path)$m$, $r$`append_events`, `append_events_idempotent`$r$),
        ('ZE007', $m$idempotency key already used for another stream$m$, $r$`append_events_idempotent`$r$),
        ('ZE008', $m$`data.events` is append-only: UPDATE, DELETE, TRUNCATE refused (owner included); so are DROP of a partition, DETACH other than by `api.detach_event_partitions`, and disabling the triggers$m$, $r$triggers and event triggers on `data.events`$r$),
        ('ZE009', $m$a command's rule refuses it (order not open, empty, already cancelled; duplicate)$m$, $r$the Order example's commands and `create_customer` (a domain of yours may use it too)$r$),
        ('ZE010', $m$invalid registration: wrong signature, no reset handler, no reducer; a function that could run with rights its registrant lacks (temporary, owned by another role, in a schema others can create in); a schema version stored events cannot be upcast to; dropping a registered function or its invoker; an invoker no longer SECURITY DEFINER$m$, $r$`register_*`, `rebuild_projection`, `load_aggregate`, readers, `DROP`$r$),
        ('ZE011', $m$projection not in a state for this (resume a running one, pause a failed one, skip where no event failed; promote a failed or paused version, or one more than `eventstore.promotion_max_lag` events behind; drop the live version)$m$, $r$`pause_projection`, `resume_projection`, `promote_projection`, `drop_projection_version`$r$),
        ('ZE012', $m$a rebuild, or a promotion's catch-up, failed on an event (names it and the error; nothing changed)$m$, $r$`rebuild_projection`, `promote_projection`$r$),
        ('ZE013', $m$unknown subscription (names it; the hint lists the existing ones to admins)$m$, $r$subscription functions$r$),
        ('ZE014', $m$subscription not in a state for this (name taken; replay or skip of an event that is not parked there)$m$, $r$`create_subscription`, `replay_parked`, `skip_parked`$r$),
        ('ZE015', $m$the stream is deleted: appending to it, or deleting it again$m$, $r$`append_events`, `append_events_idempotent`, `delete_stream`$r$),
        ('ZE016', $m$the stream is not deleted: purge needs `api.delete_stream` first$m$, $r$`purge_stream`$r$),
        ('ZE017', $m$the subscription is reserved for another consumer role (`api.set_subscription_role`)$m$, $r$`claim_events`$r$),
        ('ZE018', $m$a tracking position not past the one recorded (the event was processed already)$m$, $r$`record_tracking`$r$),
        ('ZE019', $m$the tracker is another role's: reserved for a role the caller is not a member of (`api.set_tracker_role`), or first recorded by another role (an admin may move any)$m$, $r$`record_tracking`$r$),
        ('ZE020', $m$no snapshot saved by hand (`private.save_snapshot` with four arguments) for a stream a key of which was, or is being, destroyed$m$, $r$`private.save_snapshot`$r$),
        ('ZE021', $m$a conditional append's condition failed: an event matching its query was appended after the position it read up to (read again, decide again, append again; retryable)$m$, $r$`append_tagged`$r$),
        ('40001', $m$the stream was appended by a newer transaction after this one took its xid, or a reader read past this transaction's id while it wrote something else before its first append: retry the transaction$m$, $r$`append_events`, and what appends (`forget_subject` in a transaction that wrote before it, the Order example's commands)$r$),
        ('55P03', $m$partition maintenance did not get its lock in about a minute of short tries$m$, $r$`ensure_event_partitions`, `detach_event_partitions`$r$),
        ('42501', $m$permission denied (the role lacks the group role)$m$, $r$PostgreSQL$r$),
        ('2D000', $m$invalid transaction termination: an append through a sharded store's endpoint inside a transaction block (each routed call commits on its shard by itself, so a rollback could not undo it: make the call on its own)$m$, $r$a sharded store's endpoint (docs/sharding.md): `append_events`, `append_events_idempotent`$r$)
$_$;

COMMENT ON FUNCTION api.error_codes() IS 'The SQLSTATEs the store documents: what each means (Markdown) and what raises it. Every error the bundle raises
carries one of class ZE and a message naming the values involved; nothing is written when one is raised.';

CREATE FUNCTION api.forget_subject(in_subject_id text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_key_id uuid;
    l_streams jsonb;
    l_snapshots integer;
    l_version integer;
BEGIN
    IF in_subject_id IS NULL OR in_subject_id = '' OR pg_catalog.char_length(in_subject_id) > 200 THEN
        RAISE EXCEPTION 'in_subject_id must be a text of 1 to 200 characters' USING ERRCODE = 'ZE003';
    END IF;
    -- Read only, no lock yet (a row lock would give this transaction its id before the
    -- append below announced it to readers).
    SELECT k.key_id INTO l_key_id FROM data.subject_keys AS k WHERE k.subject_id = in_subject_id;
    IF NOT FOUND THEN
        RETURN false;  -- no key: nothing of this subject is readable (never known, or forgotten already)
    END IF;

    SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('stream_type', s.stream_type, 'stream_id', s.stream_id)
                                         ORDER BY s.stream_type, s.stream_id), '[]')
    INTO l_streams
    FROM data.subject_streams AS s WHERE s.key_id = l_key_id;

    -- 1. Tell read models and consumers: stream $subject/<key id>, in the log like any event.
    -- First, so that the append announces this transaction before its first write. A
    -- concurrent forget of the same key appended first: this one has nothing left to do.
    BEGIN
        CALL api.append_events('$subject', l_key_id, 0,
            pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                'event_type', '$SubjectForgotten',
                'event_data', pg_catalog.jsonb_build_object('subject_id', in_subject_id, 'streams', l_streams))),
            l_version);
    EXCEPTION WHEN SQLSTATE 'ZE001' THEN
        RETURN false;
    END;

    -- 2. The key, locked: waits for snapshot savers of its streams (they hold it shared) and
    -- makes later ones wait for this transaction, then see the key gone.
    PERFORM FROM data.subject_keys AS k WHERE k.key_id = l_key_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the key of subject % went while it was being forgotten', pg_catalog.left(in_subject_id, 200)
            USING ERRCODE = '40001', HINT = 'Retry: a concurrent erasure committed first.';
    END IF;

    DELETE FROM data.snapshots AS n
    USING data.subject_streams AS s
    WHERE s.key_id = l_key_id AND n.stream_type = s.stream_type AND n.stream_id = s.stream_id;
    GET DIAGNOSTICS l_snapshots = ROW_COUNT;

    DELETE FROM data.subject_keys AS k WHERE k.key_id = l_key_id;
    INSERT INTO data.forgotten_subjects (key_id, forgotten_by, streams, snapshots_removed)
    VALUES (l_key_id, private.calling_role(), pg_catalog.jsonb_array_length(l_streams), l_snapshots);
    RETURN true;
END;
$_$;

COMMENT ON FUNCTION api.forget_subject(in_subject_id text) IS 'Destroys the key of a data subject: every reader then sees its personal data fields as JSON
null. Removes the snapshots of its streams (and no snapshot folded from a read before the
erasure is saved after it), appends $SubjectForgotten (stream type $subject, event_data
{subject_id, streams}) for read models and consumers, records who and when in
data.forgotten_subjects. Returns false when the subject has no key (unknown, or forgotten
already). Call it in a transaction of its own: in a transaction that wrote before it, its
append can meet 40001 (retry the transaction), as any append after another write can.
Errors: ZE003 bad argument; 40001 see above.';

CREATE FUNCTION api.get_aggregate_state(in_stream_type text, in_stream_id uuid) RETURNS TABLE(state jsonb, version integer, pending_events jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_snapshot record;
    l_from_version integer := 0;
    l_state jsonb := '{}';
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;

    IF private.stream_is_deleted(in_stream_type, in_stream_id) THEN
        RETURN QUERY SELECT l_state, 0, '[]'::jsonb;
        RETURN;
    END IF;

    -- Try to load a snapshot (of the current reducer version)
    SELECT s.version, s.state INTO l_snapshot
    FROM data.snapshots AS s
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id
      AND private.snapshot_is_current(in_stream_type, s.reducer_version);

    IF FOUND THEN
        l_from_version := l_snapshot.version;
        l_state := l_snapshot.state;
    END IF;

    -- Get events since snapshot
    RETURN QUERY
    SELECT
        l_state,
        l_from_version,
        COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
            'version', e.version,
            'event_type', e.event_type,
            'event_data', e.event_data
        ) ORDER BY e.version), '[]'::jsonb)
    FROM private.events_as_read AS e
    WHERE e.stream_type = in_stream_type
      AND e.stream_id = in_stream_id
      AND e.version > l_from_version;
END;
$$;

COMMENT ON FUNCTION api.get_aggregate_state(in_stream_type text, in_stream_id uuid) IS 'The latest usable snapshot of an aggregate (state {} and version 0 when there is none) and the
events after it as a JSON array of {version, event_type, event_data}, for the application to
fold. Snapshots of another reducer version than the registered one are not used.';

CREATE FUNCTION api.get_all_events(in_after_id uuid DEFAULT NULL::uuid, in_limit integer DEFAULT 1000) RETURNS TABLE(id uuid, stream_type text, stream_id uuid, version integer, event_type text, event_data jsonb, metadata jsonb, created_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_after record := private.cursor_position(in_after_id);
    l_horizon record;
BEGIN
    -- The horizon, then (a later statement, a later snapshot) the events before it.
    l_horizon := private.read_horizon();
    RETURN QUERY
    SELECT e.id, e.stream_type, e.stream_id, e.version, e.event_type, e.event_data,
           e.metadata, e.created_at
    FROM private.log_events(l_after.generation, l_after.transaction_id, l_after.global_position,
                            private.check_limit(in_limit), NULL, NULL,
                            l_horizon.generation, l_horizon.transaction_id) AS e;
END;
$$;

COMMENT ON FUNCTION api.get_all_events(in_after_id uuid, in_limit integer) IS 'Every committed event after the event in_after_id (NULL = from the start), in log order,
at most in_limit. Gap-free: paging with the last id returned yields every committed event
exactly once, whatever order transactions commit in. An event is returned once every
transaction that appended before it has ended (other transactions never hold it back); a
transaction does not see its own events.
Errors: ZE003 bad in_limit, ZE004 in_after_id names no event.';

CREATE FUNCTION api.get_causation_chain(in_event_id uuid) RETURNS TABLE(id uuid, stream_type text, stream_id uuid, version integer, event_type text, event_data jsonb, metadata jsonb, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET jit TO 'off'
    AS $_$
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
$_$;

COMMENT ON FUNCTION api.get_causation_chain(in_event_id uuid) IS 'The event in_event_id, every event that led to it (its metadata.causation_id, and that event''s,
...) and every event that followed from it (events whose causation_id names it, and theirs, ...),
in log order (the columns of api.get_all_events). Errors: ZE003 NULL, ZE004 no such event.';

CREATE FUNCTION api.get_events(in_stream_type text, in_stream_id uuid, in_from_version integer DEFAULT 0, in_to_version integer DEFAULT NULL::integer) RETURNS TABLE(id uuid, version integer, event_type text, event_data jsonb, metadata jsonb, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL'
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_from_version IS NULL OR in_from_version < 0 THEN
        RAISE EXCEPTION 'in_from_version must be 0 or more, got %', COALESCE(in_from_version::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_to_version < 0 THEN
        RAISE EXCEPTION 'in_to_version must be NULL (to the end) or 0 or more, got %', in_to_version
            USING ERRCODE = 'ZE003';
    END IF;
    IF private.stream_is_deleted(in_stream_type, in_stream_id) THEN
        RETURN;
    END IF;

    RETURN QUERY
    SELECT e.id, e.version, e.event_type, e.event_data, e.metadata, e.created_at
    FROM private.events_as_read AS e
    WHERE e.stream_type = in_stream_type
      AND e.stream_id = in_stream_id
      AND e.version > in_from_version
      AND (in_to_version IS NULL OR e.version <= in_to_version)
    ORDER BY e.version;
END;
$$;

COMMENT ON FUNCTION api.get_events(in_stream_type text, in_stream_id uuid, in_from_version integer, in_to_version integer) IS 'Events of one stream after in_from_version (0 = all) up to in_to_version (NULL = to the end),
in version order; none for a deleted stream. Errors: ZE003 NULL stream, negative versions.';

CREATE FUNCTION api.get_events_by_correlation(in_correlation_id text) RETURNS TABLE(id uuid, stream_type text, stream_id uuid, version integer, event_type text, event_data jsonb, metadata jsonb, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_correlation_id IS NULL OR in_correlation_id = '' THEN
        RAISE EXCEPTION 'in_correlation_id must be a non-empty text' USING ERRCODE = 'ZE003';
    END IF;
    -- The index is over the stored metadata; payloads come upcast, as from every reader.
    RETURN QUERY
    SELECT u.id, u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata, u.created_at
    FROM data.events AS r
    JOIN private.events_as_read AS u ON u.id = r.id AND u.created_at = r.created_at
    WHERE r.metadata ? 'correlation_id'
      AND (r.metadata ->> 'correlation_id') = in_correlation_id
    ORDER BY r.generation, r.transaction_id, r.global_position;
END;
$$;

COMMENT ON FUNCTION api.get_events_by_correlation(in_correlation_id text) IS 'Every committed event whose metadata.correlation_id is in_correlation_id, across streams, in
log order (the columns of api.get_all_events). Errors: ZE003 NULL or empty id.';

CREATE FUNCTION api.get_events_by_type(in_event_types text[], in_after_id uuid DEFAULT NULL::uuid, in_limit integer DEFAULT 1000) RETURNS TABLE(id uuid, stream_type text, stream_id uuid, version integer, event_type text, event_data jsonb, metadata jsonb, created_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_after record := private.cursor_position(in_after_id);
    l_horizon record;
BEGIN
    -- A multi-dimensional array is refused (ZE003), not left to fail with 0A000.
    IF in_event_types IS NULL OR pg_catalog.cardinality(in_event_types) = 0
       OR pg_catalog.array_ndims(in_event_types) > 1
       OR pg_catalog.array_position(in_event_types, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'in_event_types must be a non-empty one-dimensional array of event types without NULLs, got %',
                COALESCE(in_event_types::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;

    -- The horizon, then (a later statement, a later snapshot) the events before it.
    l_horizon := private.read_horizon();
    RETURN QUERY
    SELECT e.id, e.stream_type, e.stream_id, e.version, e.event_type, e.event_data,
           e.metadata, e.created_at
    FROM private.log_events(l_after.generation, l_after.transaction_id, l_after.global_position,
                            private.check_limit(in_limit), in_event_types, NULL,
                            l_horizon.generation, l_horizon.transaction_id) AS e;
END;
$$;

COMMENT ON FUNCTION api.get_events_by_type(in_event_types text[], in_after_id uuid, in_limit integer) IS 'Committed events whose type is in in_event_types, after the event in_after_id (NULL = from
the start), in log order, at most in_limit; gap-free like api.get_all_events.
Errors: ZE003 bad in_event_types or in_limit, ZE004 in_after_id names no event.';

CREATE FUNCTION api.get_stream_version(in_stream_type text, in_stream_id uuid) RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL, got % and %',
                COALESCE(pg_catalog.quote_literal(in_stream_type), 'NULL'), COALESCE(in_stream_id::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN COALESCE((SELECT s.current_version
                     FROM data.event_streams AS s
                     WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id), 0);
END;
$$;

COMMENT ON FUNCTION api.get_stream_version(in_stream_type text, in_stream_id uuid) IS 'Current version of a stream: 0 for a stream with no events. Errors: ZE003 a NULL argument';

CREATE FUNCTION api.last_log_number(in_stream_types text[] DEFAULT NULL::text[]) RETURNS numeric
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_sort TO 'off'
    AS $$
DECLARE
    l_stream_types text[] := private.check_type_filter(in_stream_types, 'in_stream_types');
    l_horizon record;
    l_number numeric;
BEGIN
    l_horizon := private.read_horizon();
    SELECT e.log_number
    INTO l_number
    FROM data.events AS e
    WHERE private.readable_after(e.generation, e.transaction_id, e.global_position, 0, '0'::xid8, 0,
                                 l_horizon.generation, l_horizon.transaction_id)
      AND (l_stream_types IS NULL OR e.stream_type = ANY (l_stream_types))
    ORDER BY e.generation DESC, e.transaction_id DESC, e.global_position DESC
    LIMIT 1;
    RETURN l_number;
END;
$$;

COMMENT ON FUNCTION api.last_log_number(in_stream_types text[]) IS 'The log number of the last event api.read_log can return now (of the given stream types; NULL = any), NULL if none.
Errors: ZE003 bad type filter.';

CREATE FUNCTION api.last_tagged_number() RETURNS numeric
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_horizon record;
    l_last record;
BEGIN
    l_horizon := private.read_horizon();
    SELECT t.generation, t.transaction_id, t.global_position, t.created_at INTO l_last
    FROM data.event_tags AS t
    WHERE (t.generation, t.transaction_id) < (l_horizon.generation, l_horizon.transaction_id)
      AND EXISTS (SELECT FROM data.events AS e
                  WHERE e.created_at = t.created_at AND e.generation = t.generation
                    AND e.transaction_id = t.transaction_id AND e.global_position = t.global_position)
    ORDER BY t.generation DESC, t.transaction_id DESC, t.global_position DESC
    LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN private.log_number(l_last.generation, l_last.transaction_id, l_last.global_position, l_last.created_at);
END;
$$;

COMMENT ON FUNCTION api.last_tagged_number() IS 'The log number of the last event appended with tags that api.read_tagged can return now, NULL if none';

CREATE FUNCTION api.load_aggregate(in_stream_type text, in_stream_id uuid, in_as_of_version integer DEFAULT NULL::integer, in_as_of timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS TABLE(state jsonb, version integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_reducer record;
    l_state jsonb := '{}';
    l_version integer := 0;
    l_to_version integer := in_as_of_version;
    l_events data.events[];
    l_read_snapshot pg_snapshot;
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF in_as_of_version < 0 THEN
        RAISE EXCEPTION 'in_as_of_version must be NULL (now) or 0 or more, got %', in_as_of_version
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_as_of = 'infinity' OR in_as_of = '-infinity' THEN
        RAISE EXCEPTION 'in_as_of must be a time, got %', in_as_of USING ERRCODE = 'ZE003';
    END IF;
    IF private.stream_is_deleted(in_stream_type, in_stream_id) THEN
        RETURN QUERY SELECT l_state, l_version;
        RETURN;
    END IF;
    SELECT r.reducer_invoker AS reducer, r.reducer_version, r.snapshot_interval INTO l_reducer
    FROM data.reducers AS r WHERE r.stream_type = in_stream_type;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no reducer is registered for stream type %', in_stream_type
            USING ERRCODE = 'ZE010',
                  HINT = 'Register one with api.register_reducer, or fold api.get_aggregate_state yourself.';
    END IF;

    -- As of a time: the last version appended by then (an event's created_at is the start of
    -- its appending transaction). Both given: the earlier of the two.
    IF in_as_of IS NOT NULL THEN
        SELECT COALESCE(max(e.version), 0) INTO l_to_version
        FROM data.events AS e
        WHERE e.stream_type = in_stream_type AND e.stream_id = in_stream_id
          AND e.created_at <= in_as_of
          AND (in_as_of_version IS NULL OR e.version <= in_as_of_version);
    END IF;

    SELECT s.state, s.version INTO l_state, l_version
    FROM data.snapshots AS s
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id
      AND s.reducer_version = l_reducer.reducer_version
      AND (l_to_version IS NULL OR s.version <= l_to_version);
    l_state := COALESCE(l_state, '{}');
    l_version := COALESCE(l_version, 0);

    l_read_snapshot := pg_catalog.pg_current_snapshot();  -- before the read (private.save_snapshot)
    SELECT pg_catalog.array_agg(ROW(e.*)::data.events ORDER BY e.version) INTO l_events
    FROM private.events_as_read AS e
    WHERE e.stream_type = in_stream_type AND e.stream_id = in_stream_id AND e.version > l_version
      AND (l_to_version IS NULL OR e.version <= l_to_version);

    IF l_events IS NOT NULL THEN
        l_state := private.fold_events(l_reducer.reducer, l_state, l_events);
        l_version := l_events[pg_catalog.cardinality(l_events)].version;
        -- A load of the current state that had to fold a snapshot interval's worth of events
        -- (no snapshot yet, or one of an older reducer version) leaves a current one behind,
        -- unless this transaction is read-only (a standby). A load of the past never does.
        IF l_to_version IS NULL
           AND pg_catalog.cardinality(l_events) >= l_reducer.snapshot_interval
           AND pg_catalog.current_setting('transaction_read_only') = 'off' THEN
            CALL private.save_snapshot(in_stream_type, in_stream_id, l_version, l_state, l_read_snapshot);
        END IF;
    END IF;

    RETURN QUERY SELECT l_state, l_version;
END;
$$;

COMMENT ON FUNCTION api.load_aggregate(in_stream_type text, in_stream_id uuid, in_as_of_version integer, in_as_of timestamp with time zone) IS 'The state of an aggregate and its version (state {} and version 0 for no events), folded by
the registered reducer from the latest usable snapshot plus the events after it: now, or as of
in_as_of_version (its state after that version; a version past the last is the current state)
or as of in_as_of (after the events appended by transactions that started by then); both
given: the earlier. A snapshot is used only when it is at or below that version. A load of
the current state that folds a snapshot interval''s worth of events saves a snapshot.
Errors: ZE003 NULL stream, negative version, infinite time; ZE010 no reducer registered.';

CREATE FUNCTION api.nack_event(in_subscription text, in_consumer text, in_event_id uuid, in_error text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_now timestamptz := pg_catalog.clock_timestamp();
    l_max_attempts integer;
    l_error text := pg_catalog.left(COALESCE(in_error, '(no error given)'), 2000);
    l_lease record;
    l_event record;
    l_role name := private.calling_role();
    l_admin boolean := private.calling_admin();
BEGIN
    PERFORM private.check_subscription_name(in_subscription, 'in_subscription'),
            private.check_subscription_name(in_consumer, 'in_consumer');
    IF in_event_id IS NULL THEN
        RAISE EXCEPTION 'in_event_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    SELECT s.max_attempts INTO l_max_attempts FROM data.subscriptions AS s WHERE s.subscription_name = in_subscription;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_subscription(in_subscription);
    END IF;

    -- A first delivery: it leaves the consumer's lease with the later events of its stream
    -- there (they cannot go before it), as rows of their own: it a failed attempt, they waiting.
    SELECT l.lease_id, l.events, r.stream_type, r.stream_id, r.version INTO l_lease
    FROM data.subscription_leases AS l
    CROSS JOIN LATERAL pg_catalog.unnest(l.events) AS r
    WHERE l.subscription_name = in_subscription AND l.consumer = in_consumer AND l.leased_until > l_now
      AND r.id = in_event_id
      AND (l.claimed_by = l_role OR l.claimed_by IS NULL OR l_admin)
    FOR UPDATE OF l;
    IF FOUND THEN
        INSERT INTO data.subscription_events
            (subscription_name, event_id, event_created_at, generation, transaction_id, global_position,
             stream_type, stream_id, version, attempts, last_error, parked_at)
        SELECT in_subscription, r.id, r.created_at, r.generation, r.transaction_id, r.global_position,
               r.stream_type, r.stream_id, r.version,
               CASE WHEN r.id = in_event_id THEN 1 ELSE 0 END,
               CASE WHEN r.id = in_event_id THEN l_error END,
               CASE WHEN r.id = in_event_id AND l_max_attempts <= 1 THEN l_now END
        FROM pg_catalog.unnest(l_lease.events) AS r
        WHERE r.stream_type = l_lease.stream_type AND r.stream_id = l_lease.stream_id AND r.version >= l_lease.version;
        UPDATE data.subscription_leases AS l
        SET events = ARRAY(SELECT ROW(r.id, r.created_at, r.generation, r.transaction_id, r.global_position, r.stream_type, r.stream_id, r.version)::private.subscription_event_ref
                    FROM pg_catalog.unnest(l_lease.events) WITH ORDINALITY AS r
                           WHERE NOT (r.stream_type = l_lease.stream_type AND r.stream_id = l_lease.stream_id
                                      AND r.version >= l_lease.version)
                           ORDER BY r.ordinality)
        WHERE l.subscription_name = in_subscription AND l.lease_id = l_lease.lease_id;
        DELETE FROM data.subscription_leases AS l
        WHERE l.subscription_name = in_subscription AND l.lease_id = l_lease.lease_id
          AND pg_catalog.cardinality(l.events) = 0;
        RETURN true;
    END IF;

    -- An event delivered again.
    UPDATE data.subscription_events AS se
    SET consumer = NULL, leased_at = NULL, leased_until = NULL, last_error = l_error,
        parked_at = CASE WHEN se.attempts >= l_max_attempts THEN l_now END
    WHERE se.subscription_name = in_subscription
      AND se.event_id = in_event_id
      AND se.consumer = in_consumer
      AND se.leased_until > l_now
      AND (se.claimed_by = l_role OR se.claimed_by IS NULL OR l_admin)
    RETURNING se.stream_type, se.stream_id, se.version INTO l_event;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT FROM data.subscription_events AS se
                       WHERE se.subscription_name = in_subscription AND se.event_id = in_event_id) THEN
            PERFORM private.check_event_exists(in_event_id);
        END IF;
        RETURN false;
    END IF;
    -- Later events of its stream this consumer holds wait again (not a failed attempt of theirs).
    UPDATE data.subscription_events AS se
    SET consumer = NULL, leased_at = NULL, leased_until = NULL, attempts = se.attempts - 1
    WHERE se.subscription_name = in_subscription
      AND se.stream_type = l_event.stream_type AND se.stream_id = l_event.stream_id
      AND se.version > l_event.version
      AND se.consumer = in_consumer;
    RETURN true;
END;
$$;

COMMENT ON FUNCTION api.nack_event(in_subscription text, in_consumer text, in_event_id uuid, in_error text) IS 'Gives an event leased to in_consumer back now, a failed attempt with in_error (kept, at most
2000 characters): delivered again, or parked once it has failed max_attempts times (its stream
then waits; the others flow on). Later events of its stream leased to in_consumer are given back
too (without counting an attempt): the consumer must not handle them before this one.
Returns false if the event was not leased to in_consumer (any more), or another role claimed
it (unless the caller is an admin). Errors: ZE003 bad
argument, ZE004 an id that names no event, ZE013 unknown subscription.';

CREATE FUNCTION api.pause_projection(in_projection_name text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_status text;
BEGIN
    SELECT c.status INTO l_status FROM data.projection_checkpoints AS c
    WHERE c.projection_name = in_projection_name FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    IF l_status NOT IN ('running', 'rebuilding') THEN
        RAISE EXCEPTION 'projection % is %, not running: nothing to pause', in_projection_name, l_status
            USING ERRCODE = 'ZE011';
    END IF;
    UPDATE data.projection_checkpoints AS c SET status = 'paused' WHERE c.projection_name = in_projection_name;
END;
$$;

COMMENT ON FUNCTION api.pause_projection(in_projection_name text) IS 'Stops running a projection until api.resume_projection. Errors: ZE005 unknown, ZE011 not running';

CREATE FUNCTION api.projection_live_version(in_projection_name text) RETURNS integer
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_version integer;
BEGIN
    SELECT p.version INTO l_version FROM data.projections AS p WHERE p.projection_name = in_projection_name;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    RETURN l_version;
END;
$$;

COMMENT ON FUNCTION api.projection_live_version(in_projection_name text) IS 'The live version of a projection (1 until another is promoted): filter each arm of a view over
its versions'' read models with it (docs/guide/projections.md: Changing a projection without downtime).
Errors: ZE005 unknown projection.';

CREATE FUNCTION api.projection_replaying() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT COALESCE(pg_catalog.current_setting('eventstore.projection_replaying', true), '') = 'on';
$$;

COMMENT ON FUNCTION api.projection_replaying() IS 'True inside a projection handler call that replays events the projection has acted on already
(a version that is not live, a promoted one that was behind, a reset or rebuilt projection):
update the read model, send nothing again. False elsewhere.';

CREATE FUNCTION api.promote_projection(in_projection_name text, in_version integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_bound bigint;
    l_live data.projections;
    l_new data.projections;
    l_c data.projection_checkpoints;
    l_acted record;
    l_lag bigint;
    l_before record;
BEGIN
    l_bound := private.promotion_max_lag();
    IF l_bound IS NULL THEN
        RAISE EXCEPTION 'eventstore.promotion_max_lag must be a number of events (0 or more), got %',
                pg_catalog.quote_literal(pg_catalog.current_setting('eventstore.promotion_max_lag'))
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_version IS NULL THEN
        RAISE EXCEPTION 'in_version must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    PERFORM private.lock_projection_versions(in_projection_name);
    SELECT p.* INTO l_live FROM data.projections AS p WHERE p.projection_name = in_projection_name;
    SELECT p.* INTO l_new FROM data.projections AS p
    WHERE p.version_of = in_projection_name AND p.version = in_version;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection_version(in_projection_name, in_version);
    END IF;
    IF l_new.projection_name = in_projection_name THEN
        RETURN;  -- live already
    END IF;
    SELECT c.* INTO l_c FROM data.projection_checkpoints AS c WHERE c.projection_name = l_new.projection_name;
    IF l_c.status = 'paused' THEN
        -- A version that was live before (a rollback is one call): it runs again from where it
        -- stopped, caught up below like any other (all undone if the promotion fails).
        UPDATE data.projection_checkpoints AS c SET status = 'running'
        WHERE c.projection_name = l_new.projection_name;
        l_c.status := 'running';
    END IF;
    IF l_c.status NOT IN ('running', 'rebuilding') THEN
        RAISE EXCEPTION 'version % of projection % is %: it cannot be promoted', in_version, in_projection_name,
                l_c.status
            USING ERRCODE = 'ZE011',
                  DETAIL = COALESCE('It failed on event ' || l_c.failed_event_id::text || ': ' || l_c.error_message, ''),
                  HINT = pg_catalog.format('Fix its handler, resume it (api.resume_projection(%L)) and let it catch up first.',
                                           l_new.projection_name);
    END IF;

    -- How far behind the live version it is, counted up to the bound.
    SELECT a.* INTO l_acted FROM private.projection_acted_until(in_projection_name) AS a;
    SELECT count(*) INTO l_lag
    FROM (SELECT FROM data.events AS e
          WHERE (e.generation, e.transaction_id, e.global_position) > (l_c.generation, l_c.transaction_id, l_c.global_position)
            AND (e.generation, e.transaction_id, e.global_position)
                <= (l_acted.generation, l_acted.transaction_id, l_acted.global_position)
            AND (l_new.event_types IS NULL OR e.event_type = ANY (l_new.event_types))
            AND (l_new.stream_types IS NULL OR e.stream_type = ANY (l_new.stream_types))
          LIMIT l_bound + 1) AS behind;
    IF l_lag > l_bound THEN
        RAISE EXCEPTION 'version % of projection % is more than % events behind the live version: it cannot be promoted yet',
                in_version, in_projection_name, l_bound
            USING ERRCODE = 'ZE011',
                  HINT = 'Let the projection runner catch it up (api.projection_status: ready_to_promote), or raise eventstore.promotion_max_lag.';
    END IF;

    -- The rest of the catch-up, here: the live version's checkpoint is locked, so it stays put.
    LOOP
        SELECT c.generation, c.transaction_id, c.global_position INTO l_before
        FROM data.projection_checkpoints AS c WHERE c.projection_name = l_new.projection_name;
        PERFORM private.run_projection_batch(l_new.projection_name, NULL);
        SELECT c.* INTO l_c FROM data.projection_checkpoints AS c WHERE c.projection_name = l_new.projection_name;
        IF l_c.status = 'failed' THEN
            RAISE EXCEPTION 'version % of projection % failed on event % while catching up: %', in_version,
                    in_projection_name, l_c.failed_event_id, l_c.error_message
                USING ERRCODE = 'ZE012',
                      HINT = 'Nothing was changed. Fix its handler, resume it and promote again.';
        END IF;
        EXIT WHEN (l_c.generation, l_c.transaction_id, l_c.global_position)
                  >= (l_acted.generation, l_acted.transaction_id, l_acted.global_position)
               OR (l_c.generation, l_c.transaction_id, l_c.global_position)
                  = (l_before.generation, l_before.transaction_id, l_before.global_position);
    END LOOP;
    IF (l_c.generation, l_c.transaction_id, l_c.global_position)
       < (l_acted.generation, l_acted.transaction_id, l_acted.global_position) THEN
        RAISE EXCEPTION 'version % of projection % could not catch up with the live version', in_version,
                in_projection_name
            USING ERRCODE = 'ZE011',
                  HINT = 'An appending transaction may hold the log back (api.projection_status): try again.';
    END IF;

    -- The swap: the old live version takes its versioned name and stops, the new one takes the
    -- name and knows what the old one acted on (it replays nothing of it with side effects).
    UPDATE data.projections AS p
    SET projection_name = in_projection_name || '@' || p.version::text
    WHERE p.projection_name = in_projection_name;
    UPDATE data.projections AS p
    SET projection_name = in_projection_name,
        replay_generation = l_acted.generation,
        replay_transaction_id = l_acted.transaction_id,
        replay_global_position = l_acted.global_position
    WHERE p.projection_name = l_new.projection_name;
    UPDATE data.projection_checkpoints AS c
    SET status = 'paused'
    WHERE c.projection_name = l_live.version_of || '@' || l_live.version::text
      AND c.status IN ('running', 'rebuilding');
    UPDATE data.projection_checkpoints AS c
    SET status = 'running'
    WHERE c.projection_name = in_projection_name;
END;
$$;

COMMENT ON FUNCTION api.promote_projection(in_projection_name text, in_version integer) IS 'Makes version in_version of a projection the live one, in one transaction: it catches up the
rest (at most eventstore.promotion_max_lag events behind the live version, 1000 when unset)
and takes the projection''s name; the version that was live stops (paused, as name@version,
its read model kept until the application drops it) and can be promoted back in one call.
Readers choosing their read model by api.projection_live_version switch at their next
snapshot. Promoting the live version does nothing. Errors: ZE003 a NULL version or
a bad eventstore.promotion_max_lag, ZE005 unknown projection or version, ZE011 the version is
failed, or too far behind, ZE012 it failed while catching up (nothing changed).';

CREATE FUNCTION api.purge_idempotency_keys(in_older_than interval DEFAULT '30 days'::interval) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_deleted bigint;
BEGIN
    -- Checked by its effect (a mixed-sign interval could reach into the future and purge
    -- every key); under 1 hour would let a client's ordinary retry append twice.
    PERFORM private.check_interval(in_older_than, 'in_older_than', interval '1 hour', interval '1000 years');
    DELETE FROM data.idempotency_keys AS k WHERE k.created_at < pg_catalog.now() - in_older_than;
    GET DIAGNOSTICS l_deleted = ROW_COUNT;
    RETURN l_deleted;
END;
$$;

COMMENT ON FUNCTION api.purge_idempotency_keys(in_older_than interval) IS 'Deletes idempotency keys older than in_older_than (default 30 days; from 1 hour to 1000 years): a retry
with such a key appends again. Returns the number of keys deleted. Scheduled daily by pg_cron
(job eventstore-idempotency-keys). Errors: ZE003 a window under 1 hour.';

CREATE FUNCTION api.purge_stream(in_stream_type text, in_stream_id uuid) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_deleted_at timestamptz;
    l_removal bigint;
    l_removed integer;
    l_ids uuid[];
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL THEN
        RAISE EXCEPTION 'in_stream_type and in_stream_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    SELECT s.deleted_at INTO l_deleted_at
    FROM data.event_streams AS s
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no stream %/%', in_stream_type, in_stream_id USING ERRCODE = 'ZE004';
    END IF;
    IF l_deleted_at IS NULL THEN
        RAISE EXCEPTION 'stream %/% is not deleted: only a deleted stream can be purged', in_stream_type, in_stream_id
            USING ERRCODE = 'ZE016', HINT = 'Delete it first (api.delete_stream).';
    END IF;

    INSERT INTO data.event_removals (kind, stream_type, stream_id, removed_by)
    VALUES ('purge', in_stream_type, in_stream_id, private.calling_role())
    RETURNING removal_id INTO l_removal;
    INSERT INTO data.removed_events (id, generation, transaction_id, global_position, removal_id)
    SELECT e.id, e.generation, e.transaction_id, e.global_position, l_removal
    FROM data.events AS e
    WHERE e.stream_type = in_stream_type AND e.stream_id = in_stream_id;
    SELECT pg_catalog.array_agg(r.id) INTO l_ids FROM data.removed_events AS r WHERE r.removal_id = l_removal;
    DELETE FROM data.events AS e WHERE e.stream_type = in_stream_type AND e.stream_id = in_stream_id;
    GET DIAGNOSTICS l_removed = ROW_COUNT;
    UPDATE data.event_removals AS r SET events_removed = l_removed WHERE r.removal_id = l_removal;

    DELETE FROM data.snapshots AS n WHERE n.stream_type = in_stream_type AND n.stream_id = in_stream_id;
    DELETE FROM data.idempotency_keys AS k WHERE k.stream_type = in_stream_type AND k.stream_id = in_stream_id;
    DELETE FROM data.subject_streams AS p WHERE p.stream_type = in_stream_type AND p.stream_id = in_stream_id;
    PERFORM private.forget_removed_deliveries(l_ids);
    DELETE FROM data.event_streams AS s WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id;
    RETURN l_removed;
END;
$$;

COMMENT ON FUNCTION api.purge_stream(in_stream_type text, in_stream_id uuid) IS 'Removes a deleted stream for good: its events (the only removal the append-only guard lets
through), snapshot, idempotency keys and subscription state, with an audit row in
data.event_removals. Returns the number of events removed. A reader whose cursor is one of
them continues from where it was. Errors: ZE003 NULL argument, ZE004 no such stream, ZE016
the stream is not deleted (api.delete_stream first).';

CREATE FUNCTION api.read_log(in_after numeric DEFAULT NULL::numeric, in_limit integer DEFAULT 1000, in_stream_types text[] DEFAULT NULL::text[], in_event_types text[] DEFAULT NULL::text[], in_up_to numeric DEFAULT NULL::numeric) RETURNS TABLE(log_number numeric, id uuid, stream_type text, stream_id uuid, version integer, event_type text, event_data jsonb, metadata jsonb, created_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_sort TO 'off'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
DECLARE
    l_after record := private.log_number_position(in_after);
    l_limit integer := private.check_limit(in_limit);
    l_stream_types text[] := private.check_type_filter(in_stream_types, 'in_stream_types');
    l_event_types text[] := private.check_type_filter(in_event_types, 'in_event_types');
    l_horizon record;
BEGIN
    IF in_up_to < 0 OR in_up_to <> pg_catalog.trunc(in_up_to) THEN
        RAISE EXCEPTION 'in_up_to must be NULL (no bound) or a log number, got %', pg_catalog.left(in_up_to::text, 60)
            USING ERRCODE = 'ZE003';
    END IF;
    -- The horizon, then (a later statement, a later snapshot) the events before it.
    l_horizon := private.read_horizon();
    -- The query of private.log_events, inline (measured: a third of the page's time in the
    -- store went to passing the rows through that function); see its SET clauses, here too.
    -- Numbers follow log order: those past in_up_to end the page.
    RETURN QUERY
    SELECT p.log_number, p.id, p.stream_type, p.stream_id, p.version, p.event_type, p.event_data,
           p.metadata, p.created_at
    FROM (SELECT e.log_number, e.id, e.stream_type, e.stream_id, e.version, e.event_type, e.event_data,
                 e.metadata, e.created_at
          FROM private.events_as_read AS e
          WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                       l_after.generation, l_after.transaction_id, l_after.global_position,
                                       l_horizon.generation, l_horizon.transaction_id)
            AND (l_event_types IS NULL OR e.event_type = ANY (l_event_types))
            AND (l_stream_types IS NULL OR e.stream_type = ANY (l_stream_types))
          ORDER BY e.generation, e.transaction_id, e.global_position
          LIMIT l_limit) AS p
    WHERE in_up_to IS NULL OR p.log_number <= in_up_to;
END;
$$;

COMMENT ON FUNCTION api.read_log(in_after numeric, in_limit integer, in_stream_types text[], in_event_types text[], in_up_to numeric) IS 'Every committed event whose log number is greater than in_after (NULL = from the start) and at most
in_up_to (NULL = no bound), in log order, at most in_limit, optionally of some stream and event
types only. Gap-free, as api.get_all_events: paging with the last number returned yields every
committed event exactly once. Log numbers grow strictly in log order, one transaction''s events
forming one block; api.append_versioned returns them at append time.
Errors: ZE003 bad in_limit, type filter or number.';

CREATE FUNCTION api.read_log_split(in_shards integer[], in_after numeric[], in_shard_count integer, in_limit integer DEFAULT 1000, in_stream_types text[] DEFAULT NULL::text[], in_event_types text[] DEFAULT NULL::text[]) RETURNS TABLE(shard integer, log_number numeric, id uuid, stream_type text, stream_id uuid, version integer, event_type text, event_data jsonb, metadata jsonb, created_at timestamp with time zone)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_shard integer;
    l_after numeric;
    l_read integer;
    l_kept integer := 0;
    r record;
BEGIN
    IF pg_catalog.cardinality(in_shards) IS DISTINCT FROM 1
       OR pg_catalog.cardinality(in_after) IS DISTINCT FROM 1 OR in_shards[1] IS NULL THEN
        RAISE EXCEPTION 'in_shards and in_after must hold one element each (this shard''s), got % and %',
                COALESCE(in_shards::text, 'NULL'), COALESCE(in_after::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_shard_count IS NULL OR in_shard_count < 1 OR in_shard_count & (in_shard_count - 1) <> 0
       OR in_shards[1] NOT BETWEEN 0 AND in_shard_count - 1 THEN
        RAISE EXCEPTION 'in_shard_count must be a power of two above shard %, got %', in_shards[1],
                COALESCE(in_shard_count::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    l_shard := in_shards[1];
    l_after := in_after[1];
    -- A shard copied from another at a reshard holds that shard's streams too, up to the copy:
    -- only the streams that hash here are this shard's. Pages of other streams are passed over
    -- until this shard's come, or the log ends.
    LOOP
        l_read := 0;
        FOR r IN SELECT * FROM api.read_log(l_after, in_limit, in_stream_types, in_event_types) LOOP
            l_read := l_read + 1;
            l_after := r.log_number;
            IF pg_catalog.hashtext(r.stream_id::text) & (in_shard_count - 1) = l_shard THEN
                l_kept := l_kept + 1;
                shard := l_shard;
                log_number := r.log_number;
                id := r.id;
                stream_type := r.stream_type;
                stream_id := r.stream_id;
                version := r.version;
                event_type := r.event_type;
                event_data := r.event_data;
                metadata := r.metadata;
                created_at := r.created_at;
                RETURN NEXT;
            END IF;
        END LOOP;
        EXIT WHEN l_kept > 0 OR l_read < in_limit;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION api.read_log_split(in_shards integer[], in_after numeric[], in_shard_count integer, in_limit integer, in_stream_types text[], in_event_types text[]) IS 'api.read_log for one shard of a sharded store (docs/sharding.md): a PL/Proxy endpoint splits its cursor, one log number per shard, and sends each shard its element (in_shards: the shard''s number, in_after: its position) and the number of shards; each row carries the shard''s number. Only the streams that hash to this shard (hashtext(stream id) & (in_shard_count - 1)): a shard copied at a reshard keeps the other''s streams up to the copy. Gap-free as api.read_log. Errors: those of api.read_log, ZE003 not one element each, or a shard count that is not a power of two above the shard.';

CREATE FUNCTION api.read_tagged(in_query jsonb DEFAULT NULL::jsonb, in_after numeric DEFAULT NULL::numeric, in_limit integer DEFAULT 1000, in_up_to numeric DEFAULT NULL::numeric) RETURNS TABLE(log_number numeric, id uuid, event_type text, event_data jsonb, metadata jsonb, tags text[], created_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION api.read_versioned(in_stream_type text, in_stream_id uuid, in_after_version integer DEFAULT NULL::integer, in_up_to_version integer DEFAULT NULL::integer, in_descending boolean DEFAULT false, in_limit integer DEFAULT NULL::integer, in_gaps boolean DEFAULT false) RETURNS TABLE(version integer, event_type text, event_data jsonb, metadata jsonb, id uuid, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_shift integer := 0;  -- own version - store version (without gaps)
    l_from integer := 1;
    l_to integer := 2147483647;
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL OR in_descending IS NULL OR in_gaps IS NULL THEN
        RAISE EXCEPTION 'in_stream_type, in_stream_id, in_descending and in_gaps must not be NULL'
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_limit IS NOT NULL THEN
        PERFORM private.check_limit(in_limit);
    END IF;
    IF private.stream_is_deleted(in_stream_type, in_stream_id) THEN
        RETURN;
    END IF;
    IF NOT in_gaps THEN
        SELECT private.own_version(e.metadata, e.version) - e.version INTO l_shift
        FROM data.events AS e
        WHERE e.stream_type = in_stream_type AND e.stream_id = in_stream_id
        ORDER BY e.version
        LIMIT 1;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        -- Bounds outside the integer range read everything or nothing (never 22003).
        l_from := LEAST(GREATEST(COALESCE(in_after_version::bigint - l_shift + 1, 1), 1), 2147483647)::integer;
        l_to := GREATEST(LEAST(COALESCE(in_up_to_version::bigint - l_shift, 2147483647), 2147483647), 0)::integer;
    END IF;

    -- One query both ways: the rows come from the stream index in version order, so the sort
    -- forwards finds them sorted, and backwards with a limit keeps the top few.
    RETURN QUERY
    SELECT private.own_version(u.metadata, u.version), u.event_type, u.event_data,
           u.metadata, u.id, u.created_at
    FROM private.events_as_read AS u
    WHERE u.stream_type = in_stream_type AND u.stream_id = in_stream_id
      AND u.version >= l_from AND u.version <= l_to
      AND (NOT in_gaps OR in_after_version IS NULL OR private.own_version(u.metadata, u.version) > in_after_version)
      AND (NOT in_gaps OR in_up_to_version IS NULL OR private.own_version(u.metadata, u.version) <= in_up_to_version)
    ORDER BY CASE WHEN in_descending THEN -u.version ELSE u.version END
    LIMIT in_limit;
END;
$$;

COMMENT ON FUNCTION api.read_versioned(in_stream_type text, in_stream_id uuid, in_after_version integer, in_up_to_version integer, in_descending boolean, in_limit integer, in_gaps boolean) IS 'Events of a stream appended with api.append_versioned whose own version is after in_after_version and
at most in_up_to_version (NULL = no bound), in version order (in_descending: backwards), at most
in_limit (NULL = all); version is the event''s own version. None for a deleted stream.
Errors: ZE003 NULL arguments or a bad limit.';

CREATE PROCEDURE api.rebuild_projection(IN in_projection_name text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_c data.projection_checkpoints;
BEGIN
    PERFORM private.reset_projection_state(in_projection_name, 'rebuilding');

    -- Reprocess all events, in this transaction: readers of the read model see the old
    -- state until the rebuilt one commits, never a half-built one.
    LOOP
        PERFORM private.run_projection_batch(in_projection_name, 10000);
        SELECT c.* INTO l_c FROM data.projection_checkpoints AS c WHERE c.projection_name = in_projection_name;
        EXIT WHEN l_c.status <> 'rebuilding';
    END LOOP;

    IF l_c.status = 'failed' THEN
        RAISE EXCEPTION 'rebuild of projection % failed on event %: %', in_projection_name,
                l_c.failed_event_id, l_c.error_message
            USING ERRCODE = 'ZE012',
                  HINT = 'Nothing was changed. Fix the handler (or the event''s upcaster) and rebuild again.';
    END IF;
END;
$$;

COMMENT ON PROCEDURE api.rebuild_projection(IN in_projection_name text) IS 'Rebuilds a projection from the first event, in one transaction: the read model switches from
the old state to the rebuilt one at commit. Waits for a batch in progress; scheduled runs
that start meanwhile do nothing. Errors: ZE005 unknown projection, ZE010 no reset handler,
ZE012 the handler failed (nothing changed). For very large logs see api.reset_projection.';

CREATE FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_role name := private.calling_role();
    l_reserved name;
    l_recorded data.tracking;
    l_ceiling numeric;
BEGIN
    IF in_tracker IS NULL OR in_tracker = '' OR pg_catalog.char_length(in_tracker) > 200
       OR in_upstream IS NULL OR in_upstream = '' OR pg_catalog.char_length(in_upstream) > 200 THEN
        RAISE EXCEPTION 'in_tracker and in_upstream must be non-empty texts of at most 200 characters'
            USING ERRCODE = 'ZE003';
    END IF;
    SELECT (COALESCE(pg_catalog.max(g.generation), 1) + 1)::numeric * 79228162514264337593543950336  -- 2^96
    INTO l_ceiling
    FROM data.store_generations AS g;
    IF in_position IS NULL OR in_position = 'NaN'::numeric OR in_position < 0 OR in_position >= l_ceiling
       OR in_position <> pg_catalog.trunc(in_position) THEN
        RAISE EXCEPTION 'in_position must be an integer from 0 that a log of this store can reach (below %), got %',
                l_ceiling, COALESCE(pg_catalog.left(in_position::text, 60), 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;

    SELECT r.consumer_role INTO l_reserved FROM data.tracker_roles AS r WHERE r.tracker = in_tracker;
    IF l_reserved IS NOT NULL AND NOT private.calling_admin()
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r  -- a role dropped since: nobody's
                       WHERE r.rolname = l_reserved AND pg_catalog.pg_has_role(l_role, r.oid, 'MEMBER')) THEN
        RAISE EXCEPTION 'tracker % is reserved for role %', in_tracker, l_reserved
            USING ERRCODE = 'ZE019',
                  HINT = 'An admin reserves a tracker for a role with api.set_tracker_role.';
    END IF;

    INSERT INTO data.tracking AS t (tracker, upstream, position, owner)
    VALUES (in_tracker, in_upstream, in_position, COALESCE(l_reserved, l_role))
    ON CONFLICT (tracker, upstream) DO UPDATE
        SET position = excluded.position, recorded_at = pg_catalog.now()
        WHERE t.position < excluded.position
          AND (l_reserved IS NOT NULL OR t.owner = excluded.owner OR private.calling_admin())
    RETURNING t.* INTO l_recorded;
    IF l_recorded.tracker IS NOT NULL THEN
        RETURN;
    END IF;
    -- The row is there and locked by the statement above: why it stayed.
    SELECT t.* INTO l_recorded FROM data.tracking AS t WHERE t.tracker = in_tracker AND t.upstream = in_upstream;
    IF l_reserved IS NULL AND l_recorded.owner <> l_role AND NOT private.calling_admin() THEN
        RAISE EXCEPTION 'tracker % of % is recorded by another role', in_tracker, in_upstream
            USING ERRCODE = 'ZE019',
                  HINT = 'A tracker is moved by the role an admin reserved it for (api.set_tracker_role), else by the role that first recorded it.';
    END IF;
    RAISE EXCEPTION 'tracker % has processed % up to %: position % is not past it', in_tracker, in_upstream,
            l_recorded.position, in_position
        USING ERRCODE = 'ZE018',
              DETAIL = pg_catalog.jsonb_build_object('tracker', in_tracker, 'upstream', in_upstream,
                                                     'position', l_recorded.position, 'given', in_position)::text;
END;
$$;

COMMENT ON FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric) IS 'Records, in the caller''s transaction, that in_tracker has processed in_upstream up to in_position
(an integer from 0 that a log of this store can reach). The tracker is moved by members of the
role an admin reserved it for (api.set_tracker_role), else by the role that first recorded it,
and by admins. Errors: ZE003 bad argument, ZE018 the position is not past the recorded one,
ZE019 the tracker is another role''s.';

CREATE FUNCTION api.register_event_schema(in_event_type text, in_version integer, in_schema jsonb) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_problem text;
    l_current integer;
    l_gap integer;
BEGIN
    IF in_event_type IS NULL OR in_event_type = '' OR pg_catalog.char_length(in_event_type) > 200 THEN
        RAISE EXCEPTION 'in_event_type must be a non-empty text of at most 200 characters' USING ERRCODE = 'ZE003';
    END IF;
    IF in_version IS NULL OR in_version < 1 THEN
        RAISE EXCEPTION 'in_version must be a positive integer, got %', COALESCE(in_version::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    l_problem := COALESCE(private.json_schema_problem(in_schema),
                          CASE WHEN in_schema IS NULL THEN 'the schema is NULL' END);
    IF l_problem IS NOT NULL THEN
        RAISE EXCEPTION 'schema of % version %: %', in_event_type, in_version, l_problem
            USING ERRCODE = 'ZE010',
                  HINT = 'Supported: type, enum, const, required, properties, additionalProperties, items, minimum, '
                         'maximum, minLength, maxLength, minItems, maxItems, pattern (docs/guide/event-versioning.md).';
    END IF;

    INSERT INTO data.event_schemas AS s (event_type, version, schema)
    VALUES (in_event_type, in_version, in_schema)
    ON CONFLICT (event_type, version) DO UPDATE SET schema = excluded.schema, created_at = pg_catalog.now();
    PERFORM private.refresh_event_type(in_event_type);

    -- Readers upcast every event to the current version: refuse a current version that
    -- stored events cannot reach. l_gap: the highest version below it without a step.
    SELECT t.current_version INTO l_current FROM data.event_types AS t WHERE t.event_type = in_event_type;
    SELECT max(v.version) INTO l_gap
    FROM pg_catalog.generate_series(1, l_current - 1) AS v(version)
    WHERE NOT EXISTS (SELECT FROM data.event_upcasters AS u
                      WHERE u.event_type = in_event_type AND u.from_version = v.version);
    IF l_gap IS NOT NULL AND EXISTS (SELECT FROM data.events AS e
                                     WHERE e.event_type = in_event_type AND e.schema_version <= l_gap) THEN
        RAISE EXCEPTION 'schema of % version % would make % the current version, but events of the type are stored at version % or older and no upcaster leads from version % to %',
                in_event_type, in_version, l_current, l_gap, l_gap, l_gap + 1
            USING ERRCODE = 'ZE010',
                  HINT = 'Register the upcasters up to version ' || l_current || ' first (api.register_upcaster).';
    END IF;
END;
$$;

COMMENT ON FUNCTION api.register_event_schema(in_event_type text, in_version integer, in_schema jsonb) IS 'Registers (or replaces) the JSON schema of a version of an event type. Appends of that type
are then validated: events are written at the type''s latest version unless metadata.version
says otherwise, and refused (ZE006) when their event_data does not match. Types without a
schema are not checked. Errors: ZE003 bad argument, ZE010 a schema outside the supported
subset, or a new version that stored events of the type could not be upcast to.';

CREATE FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_path jsonpath;
BEGIN
    IF in_event_type IS NULL OR in_event_type = '' OR pg_catalog.char_length(in_event_type) > 200 THEN
        RAISE EXCEPTION 'in_event_type must be a text of 1 to 200 characters' USING ERRCODE = 'ZE003';
    END IF;
    BEGIN
        l_path := in_subject_path::jsonpath;
    EXCEPTION
        WHEN syntax_error OR invalid_text_representation THEN
            l_path := NULL;
    END;
    IF l_path IS NULL THEN
        RAISE EXCEPTION 'in_subject_path must be a JSON path such as $.customer_id, got %', COALESCE(in_subject_path, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_fields IS NULL OR pg_catalog.cardinality(in_fields) = 0 OR pg_catalog.array_ndims(in_fields) <> 1
       OR EXISTS (SELECT FROM pg_catalog.unnest(in_fields) AS f(name) WHERE f.name IS NULL OR f.name = '' OR pg_catalog.char_length(f.name) > 200)
       OR (SELECT count(DISTINCT f.name) FROM pg_catalog.unnest(in_fields) AS f(name)) <> pg_catalog.cardinality(in_fields) THEN
        RAISE EXCEPTION 'in_fields must name one or more distinct top-level fields of event_data (1 to 200 characters each)'
            USING ERRCODE = 'ZE003';
    END IF;

    INSERT INTO data.personal_data AS p (event_type, subject_path, fields, registered_by)
    VALUES (in_event_type, l_path, in_fields, private.calling_role())
    ON CONFLICT (event_type) DO UPDATE
        SET subject_path = excluded.subject_path, fields = excluded.fields,
            registered_by = excluded.registered_by, registered_at = pg_catalog.now();
END;
$_$;

COMMENT ON FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[]) IS 'Marks top-level fields of in_event_type''s event_data as personal data of the subject whose id
is at in_subject_path (a JSON path, e.g. $.customer_id). Events appended from then on store
them encrypted with the subject''s key. Registering again replaces (events keep the fields
they were encrypted with). Events appended before are not encrypted: crypto-shredding cannot
reach them. Errors: ZE003 bad argument.';

CREATE FUNCTION api.register_projection(in_projection_name text, in_handler regprocedure, in_reset_handler regprocedure DEFAULT NULL::regprocedure, in_event_types text[] DEFAULT NULL::text[], in_stream_types text[] DEFAULT NULL::text[], in_batch_size integer DEFAULT 500) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_registrant name := private.calling_role();
    l_handler_invoker regprocedure;
    l_reset_invoker regprocedure;
BEGIN
    IF in_projection_name IS NULL OR in_projection_name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'in_projection_name must be lowercase letters, digits and _ starting with a letter, got %',
                COALESCE(pg_catalog.quote_literal(in_projection_name), 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_batch_size IS NULL OR in_batch_size NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'in_batch_size must be between 1 and 100000, got %', COALESCE(in_batch_size::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    PERFORM private.check_projection_handlers(in_handler, in_reset_handler);
    IF pg_catalog.array_ndims(in_event_types) > 1 OR pg_catalog.array_ndims(in_stream_types) > 1
       OR pg_catalog.array_position(in_event_types, NULL) IS NOT NULL
       OR pg_catalog.array_position(in_stream_types, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'in_event_types and in_stream_types must be one-dimensional arrays without NULLs'
            USING ERRCODE = 'ZE003';
    END IF;
    IF EXISTS (SELECT FROM data.projections AS p WHERE p.version_of = in_projection_name) THEN
        -- Redefining: not while a promotion moves the name to another version.
        PERFORM private.lock_projection_versions(in_projection_name);
    END IF;
    l_handler_invoker := private.make_invoker(in_handler, 'handler', l_registrant);
    IF in_reset_handler IS NOT NULL THEN
        l_reset_invoker := private.make_invoker(in_reset_handler, 'reset', l_registrant);
    END IF;

    INSERT INTO data.projections AS p
        (projection_name, version_of, handler, reset_handler, event_types, stream_types, batch_size,
         handler_invoker, reset_handler_invoker, registered_by)
    VALUES (in_projection_name, in_projection_name, in_handler, in_reset_handler, in_event_types, in_stream_types,
            in_batch_size, l_handler_invoker, l_reset_invoker, l_registrant)
    ON CONFLICT (projection_name) DO UPDATE
        SET handler = excluded.handler,
            reset_handler = excluded.reset_handler,
            event_types = excluded.event_types,
            stream_types = excluded.stream_types,
            batch_size = excluded.batch_size,
            handler_invoker = excluded.handler_invoker,
            reset_handler_invoker = excluded.reset_handler_invoker,
            registered_by = excluded.registered_by;
    -- Its other versions follow the same events.
    UPDATE data.projections AS p
    SET event_types = in_event_types, stream_types = in_stream_types, batch_size = in_batch_size
    WHERE p.version_of = in_projection_name AND p.projection_name <> in_projection_name;
    PERFORM private.drop_unused_invokers();

    INSERT INTO data.projection_checkpoints (projection_name)
    VALUES (in_projection_name)
    ON CONFLICT (projection_name) DO NOTHING;
END;
$_$;

COMMENT ON FUNCTION api.register_projection(in_projection_name text, in_handler regprocedure, in_reset_handler regprocedure, in_event_types text[], in_stream_types text[], in_batch_size integer) IS 'Registers (or redefines, keeping its position) a projection: in_handler(data.events[]) applies
a batch of events in log order; in_reset_handler() empties the read model for rebuilds;
in_event_types / in_stream_types restrict what it is given (NULL: everything). A new
projection starts at the beginning of the log and is its version 1; redefining one redefines
its live version, and its other versions follow the new filters. The handlers run with the rights of the
role that registers them. Errors: ZE003 bad name, batch size or filter, ZE010 handler of
the wrong shape, or one that could run with rights its registrant does not have (a
temporary function, one owned by another role, or in a schema others can create in).';

CREATE FUNCTION api.register_projection_version(in_projection_name text, in_version integer, in_handler regprocedure, in_reset_handler regprocedure DEFAULT NULL::regprocedure) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_registrant name := private.calling_role();
    l_live data.projections;
    l_name text;
    l_handler_invoker regprocedure;
    l_reset_invoker regprocedure;
BEGIN
    IF in_version IS NULL OR in_version NOT BETWEEN 1 AND 999999999 THEN
        RAISE EXCEPTION 'in_version must be between 1 and 999999999, got %', COALESCE(in_version::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    PERFORM private.check_projection_handlers(in_handler, in_reset_handler);
    PERFORM private.lock_projection_versions(in_projection_name);
    SELECT p.* INTO l_live FROM data.projections AS p WHERE p.projection_name = in_projection_name;

    l_handler_invoker := private.make_invoker(in_handler, 'handler', l_registrant);
    IF in_reset_handler IS NOT NULL THEN
        l_reset_invoker := private.make_invoker(in_reset_handler, 'reset', l_registrant);
    END IF;
    -- A version registered already is redefined, keeping its position (as register_projection).
    l_name := CASE WHEN in_version = l_live.version THEN in_projection_name
                   ELSE in_projection_name || '@' || in_version::text END;
    INSERT INTO data.projections AS p
        (projection_name, version_of, version, handler, reset_handler, event_types, stream_types, batch_size,
         handler_invoker, reset_handler_invoker, registered_by)
    VALUES (l_name, in_projection_name, in_version, in_handler, in_reset_handler, l_live.event_types,
            l_live.stream_types, l_live.batch_size, l_handler_invoker, l_reset_invoker, l_registrant)
    ON CONFLICT (projection_name) DO UPDATE
        SET handler = excluded.handler,
            reset_handler = excluded.reset_handler,
            handler_invoker = excluded.handler_invoker,
            reset_handler_invoker = excluded.reset_handler_invoker,
            registered_by = excluded.registered_by;
    PERFORM private.drop_unused_invokers();

    -- From the beginning of the log, status rebuilding until it has caught up with the live one.
    INSERT INTO data.projection_checkpoints (projection_name, status)
    VALUES (l_name, 'rebuilding')
    ON CONFLICT (projection_name) DO NOTHING;
END;
$$;

COMMENT ON FUNCTION api.register_projection_version(in_projection_name text, in_version integer, in_handler regprocedure, in_reset_handler regprocedure) IS 'Registers version in_version of a projection (or redefines it, keeping its position): in_handler
applies events to a read model of its own, from the beginning of the log, caught up by the
projection runner while the live version goes on serving; it runs as name@version (pause,
resume, reset take that name) and never goes past what the live version has acted on. Its
handler runs with api.projection_replaying() true. Same event and stream types and batch size
as the live version. api.promote_projection makes it live. Errors: ZE003 bad version, ZE005
unknown projection, ZE010 handler of the wrong shape or rights (as api.register_projection).';

CREATE FUNCTION api.register_reducer(in_stream_type text, in_reducer regprocedure, in_reducer_version integer, in_snapshot_interval integer DEFAULT 100) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_registrant name := private.calling_role();
    l_invoker regprocedure;
BEGIN
    IF in_stream_type IS NULL OR in_stream_type = '' THEN
        RAISE EXCEPTION 'in_stream_type must be a non-empty text' USING ERRCODE = 'ZE003';
    END IF;
    IF in_reducer_version IS NULL OR in_reducer_version < 1 THEN
        RAISE EXCEPTION 'in_reducer_version must be a positive integer, got %', COALESCE(in_reducer_version::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_snapshot_interval < 1 THEN
        RAISE EXCEPTION 'in_snapshot_interval must be positive or NULL (no automatic snapshots), got %', in_snapshot_interval
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_reducer IS NULL OR NOT EXISTS (
        SELECT FROM pg_catalog.pg_proc AS f
        WHERE f.oid = in_reducer AND f.prokind = 'f' AND f.pronargs = 2
          AND f.proargtypes[0] = 'jsonb'::pg_catalog.regtype
          AND f.proargtypes[1] = 'data.events'::pg_catalog.regtype
          AND f.prorettype = 'jsonb'::pg_catalog.regtype) THEN
        RAISE EXCEPTION 'reducer % must be a function (jsonb, data.events) returning jsonb', COALESCE(in_reducer::text, 'NULL')
            USING ERRCODE = 'ZE010',
                  HINT = 'CREATE FUNCTION my_reducer(in_state jsonb, in_event data.events) RETURNS jsonb ...';
    END IF;

    IF pg_catalog.char_length(in_stream_type) > 200 THEN
        RAISE EXCEPTION 'in_stream_type must be at most 200 characters, got %', pg_catalog.char_length(in_stream_type)
            USING ERRCODE = 'ZE003';
    END IF;
    l_invoker := private.make_invoker(in_reducer, 'reducer', l_registrant);

    INSERT INTO data.reducers AS r (stream_type, reducer, reducer_version, snapshot_interval,
                                    reducer_invoker, registered_by)
    VALUES (in_stream_type, in_reducer, in_reducer_version, in_snapshot_interval, l_invoker, l_registrant)
    ON CONFLICT (stream_type) DO UPDATE
        SET reducer = excluded.reducer,
            reducer_version = excluded.reducer_version,
            snapshot_interval = excluded.snapshot_interval,
            registered_at = pg_catalog.now(),
            reducer_invoker = excluded.reducer_invoker,
            registered_by = excluded.registered_by;
    PERFORM private.drop_unused_invokers();
END;
$$;

COMMENT ON FUNCTION api.register_reducer(in_stream_type text, in_reducer regprocedure, in_reducer_version integer, in_snapshot_interval integer) IS 'Registers the reducer of a stream type: in_reducer(state jsonb, event data.events) returns the
state after the event (unknown event types: the state unchanged). Bump in_reducer_version
when its results change: snapshots of other versions are then ignored. in_snapshot_interval:
an automatic snapshot every N events (NULL: none). It runs with the rights of the role that
registers it. Errors: ZE003, ZE010 wrong signature, or a function that could run with rights
its registrant does not have.';

CREATE FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_low integer;
    l_high integer;
    l_registrant name := private.calling_role();
    l_invoker regprocedure;
BEGIN
    IF in_event_type IS NULL OR in_event_type = '' THEN
        RAISE EXCEPTION 'in_event_type must be a non-empty text' USING ERRCODE = 'ZE003';
    END IF;
    IF in_from_version IS NULL OR in_from_version < 1 OR in_from_version >= 2147483647 THEN
        RAISE EXCEPTION 'in_from_version must be an integer from 1 to 2147483646, got %', COALESCE(in_from_version::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF pg_catalog.char_length(in_event_type) > 200 THEN
        RAISE EXCEPTION 'in_event_type must be at most 200 characters, got %', pg_catalog.char_length(in_event_type)
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_upcaster IS NULL OR NOT EXISTS (
        SELECT FROM pg_catalog.pg_proc AS f
        WHERE f.oid = in_upcaster AND f.prokind = 'f' AND f.pronargs = 1
          AND f.proargtypes[0] = 'jsonb'::pg_catalog.regtype AND f.prorettype = 'jsonb'::pg_catalog.regtype) THEN
        RAISE EXCEPTION 'upcaster % must be a function (jsonb) returning jsonb', COALESCE(in_upcaster::text, 'NULL')
            USING ERRCODE = 'ZE010',
                  HINT = 'CREATE FUNCTION my_upcaster(in_event_data jsonb) RETURNS jsonb ...';
    END IF;

    -- The chain of a type has no gap: a new step extends it at either end (or replaces one).
    SELECT min(u.from_version), max(u.from_version) INTO l_low, l_high
    FROM data.event_upcasters AS u WHERE u.event_type = in_event_type;
    IF l_low IS NOT NULL AND in_from_version NOT BETWEEN l_low - 1 AND l_high + 1 THEN
        RAISE EXCEPTION 'upcaster chain of % would have a gap: it upcasts versions % to %, a step from version % leaves % missing',
                in_event_type, l_low, l_high + 1, in_from_version,
                CASE WHEN in_from_version > l_high
                     THEN pg_catalog.format('%s -> %s', l_high + 1, in_from_version)
                     ELSE pg_catalog.format('%s -> %s', in_from_version + 1, l_low) END
            USING ERRCODE = 'ZE010',
                  HINT = 'Register the steps in between first.';
    END IF;

    l_invoker := private.make_invoker(in_upcaster, 'upcaster', l_registrant);
    INSERT INTO data.event_upcasters AS u (event_type, from_version, upcaster, upcaster_invoker, registered_by)
    VALUES (in_event_type, in_from_version, in_upcaster, l_invoker, l_registrant)
    ON CONFLICT (event_type, from_version) DO UPDATE
        SET upcaster = excluded.upcaster, registered_at = pg_catalog.now(),
            upcaster_invoker = excluded.upcaster_invoker, registered_by = excluded.registered_by;
    PERFORM private.refresh_event_type(in_event_type);
    PERFORM private.drop_unused_invokers();
END;
$$;

COMMENT ON FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure) IS 'Registers the step of an event type''s payload from in_from_version to in_from_version + 1:
in_upcaster(event_data jsonb) returns the newer payload. Readers then see every event of the
type at the end of its chain. It runs with the rights of the role that registers it.
Errors: ZE003 bad argument, ZE010 wrong signature, a step that would leave a gap in the
chain, or a function that could run with rights its registrant does not have.';

CREATE FUNCTION api.replay_parked(in_subscription text, in_event_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM private.lock_subscription(in_subscription);
    PERFORM private.parked_event(in_subscription, in_event_id);
    UPDATE data.subscription_events AS se
    SET parked_at = NULL, attempts = 0
    WHERE se.subscription_name = in_subscription AND se.event_id = in_event_id;
END;
$$;

COMMENT ON FUNCTION api.replay_parked(in_subscription text, in_event_id uuid) IS 'Delivers a parked event again, with in_max_attempts fresh attempts; its stream flows on
once it is acknowledged. Errors: ZE003 NULL argument, ZE004 no such event, ZE013 unknown
subscription, ZE014 the event is not parked there.';

CREATE FUNCTION api.reset_projection(in_projection_name text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM private.reset_projection_state(in_projection_name, 'rebuilding');
END;
$$;

COMMENT ON FUNCTION api.reset_projection(in_projection_name text) IS 'Online rebuild: empties the read model and restarts the projection from the first event with
status rebuilding; the scheduled runner catches it up batch by batch (short transactions)
and sets it running. The read model is partial meanwhile. Errors: ZE005, ZE010.';

CREATE FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_subscription data.subscriptions := private.lock_subscription(in_subscription);
    l_position record;
BEGIN
    l_position := private.cursor_position(in_after_id);
    -- Claims cut off at the old position say nothing about the new one.
    PERFORM pg_catalog.setval(l_subscription.read_guard, 0);
    -- What is in flight, waiting or parked goes: the cursor decides what comes next. A
    -- consumer still holding a lease acknowledges nothing any more.
    DELETE FROM data.subscription_events AS se WHERE se.subscription_name = in_subscription;
    DELETE FROM data.subscription_leases AS l WHERE l.subscription_name = in_subscription;
    UPDATE data.subscriptions AS s
    SET generation = l_position.generation,
        transaction_id = l_position.transaction_id,
        global_position = l_position.global_position,
        reset_at = pg_catalog.now(),
        reset_by = private.calling_role()
    WHERE s.subscription_name = in_subscription;
END;
$$;

COMMENT ON FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid) IS 'Moves a subscription to just after the event in_after_id (NULL: the beginning of the log),
back or forward. Everything it had in flight, waiting or parked is dropped; events after the
new position are delivered (again), except skipped ones.
Errors: ZE003 NULL name, ZE004 in_after_id names no event, ZE013 unknown subscription.';

CREATE FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_c data.projection_checkpoints;
    l_failed record;
BEGIN
    SELECT c.* INTO l_c FROM data.projection_checkpoints AS c
    WHERE c.projection_name = in_projection_name FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    IF l_c.status NOT IN ('failed', 'paused') THEN
        RAISE EXCEPTION 'projection % is %, not failed or paused: nothing to resume', in_projection_name, l_c.status
            USING ERRCODE = 'ZE011';
    END IF;
    IF in_skip_failed_event AND l_c.status <> 'failed' THEN
        RAISE EXCEPTION 'projection % is paused, not failed: there is no failed event to skip', in_projection_name
            USING ERRCODE = 'ZE011';
    END IF;

    IF in_skip_failed_event THEN
        -- Deliberately past the failed event, and on record.
        SELECT e.id, e.generation, e.transaction_id, e.global_position INTO l_failed
        FROM data.events AS e WHERE e.id = l_c.failed_event_id;
        IF l_c.failed_event_id IS NULL THEN
            RAISE EXCEPTION 'projection % failed on no particular event (%): there is nothing to skip',
                    in_projection_name, l_c.error_message
                USING ERRCODE = 'ZE011',
                      HINT = 'Fix the cause and resume without skipping.';
        END IF;
        -- The runner leaves out every recorded skip, rebuilds included. A skip recorded
        -- before (the same event failing again after a rebuild) is kept as it was.
        INSERT INTO data.projection_skips (projection_name, event_id, error_message)
        VALUES (in_projection_name, l_c.failed_event_id, l_c.error_message)
        ON CONFLICT (projection_name, event_id) DO NOTHING;
        UPDATE data.projection_checkpoints AS c
        SET last_event_id = l_failed.id,
            generation = l_failed.generation,
            transaction_id = l_failed.transaction_id,
            global_position = l_failed.global_position
        WHERE c.projection_name = in_projection_name
          AND l_failed.id IS NOT NULL;  -- an event gone with its month: the runner skips it
    END IF;

    UPDATE data.projection_checkpoints AS c
    SET status = 'running', error_message = NULL, failed_event_id = NULL, failed_at = NULL
    WHERE c.projection_name = in_projection_name;
END;
$$;

COMMENT ON FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean) IS 'Runs a failed or paused projection again. A failed one retries its failed event, or with
in_skip_failed_event steps past it, recording the skip in data.projection_skips.
Errors: ZE005 unknown projection, ZE011 not failed or paused.';

CREATE FUNCTION api.run_projection(in_projection_name text, in_batch_size integer DEFAULT NULL::integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_batch_size < 1 THEN
        RAISE EXCEPTION 'in_batch_size must be positive or NULL (the registered size), got %', in_batch_size
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN private.run_projection_batch(in_projection_name, in_batch_size);
END;
$$;

COMMENT ON FUNCTION api.run_projection(in_projection_name text, in_batch_size integer) IS 'Applies the next batch of one projection (read model and checkpoint in this transaction);
returns the number of events applied, 0 when caught up, paused, failed or busy elsewhere.
Errors: ZE003 a batch size below 1, ZE005 unknown projection.';

CREATE FUNCTION api.run_projections(in_batch_size integer DEFAULT NULL::integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_name text;
    l_total integer := 0;
BEGIN
    IF in_batch_size < 1 THEN
        RAISE EXCEPTION 'in_batch_size must be positive or NULL (each projection''s registered size), got %',
                in_batch_size
            USING ERRCODE = 'ZE003';
    END IF;
    FOR l_name IN
        SELECT c.projection_name FROM data.projection_checkpoints AS c
        WHERE c.status IN ('running', 'rebuilding') ORDER BY c.projection_name
    LOOP
        l_total := l_total + private.run_projection_guarded(l_name, in_batch_size);
    END LOOP;
    RETURN l_total;
END;
$$;

COMMENT ON FUNCTION api.run_projections(in_batch_size integer) IS 'Applies one batch of every running projection; returns the events applied. Call it in a loop
(each call its own transaction) to drive projections without pg_cron. Errors: ZE003 a batch
size below 1.';

CREATE FUNCTION api.set_retention(in_stream_type text, in_keep interval) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_stream_type IS NULL OR in_stream_type = '' OR pg_catalog.char_length(in_stream_type) > 200 THEN
        RAISE EXCEPTION 'in_stream_type must be a text of 1 to 200 characters' USING ERRCODE = 'ZE003';
    END IF;
    IF in_keep IS NULL THEN
        DELETE FROM data.retention_policies AS p WHERE p.stream_type = in_stream_type;
        RETURN;
    END IF;
    PERFORM private.check_interval(in_keep, 'in_keep (NULL: for ever)', interval '1 day', interval '1000 years');
    INSERT INTO data.retention_policies AS p (stream_type, keep, set_by)
    VALUES (in_stream_type, in_keep, private.calling_role())
    ON CONFLICT (stream_type) DO UPDATE SET keep = excluded.keep, set_by = excluded.set_by, set_at = pg_catalog.now();
END;
$$;

COMMENT ON FUNCTION api.set_retention(in_stream_type text, in_keep interval) IS 'Keeps events of in_stream_type for in_keep (1 day to 1000 years; NULL: for ever, the default).
api.apply_retention removes older ones. Errors: ZE003 bad argument.';

CREATE FUNCTION api.set_subscription_role(in_subscription text, in_role name) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM private.lock_subscription(in_subscription);
    IF in_role IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r
                       WHERE r.rolname = in_role AND pg_catalog.pg_has_role(r.oid, 'eventstore_projector', 'MEMBER')) THEN
        RAISE EXCEPTION 'in_role must be NULL (any consumer) or a role that is a member of eventstore_projector, got %',
                pg_catalog.quote_literal(in_role)
            USING ERRCODE = 'ZE003';
    END IF;
    UPDATE data.subscriptions AS s SET consumer_role = in_role WHERE s.subscription_name = in_subscription;
END;
$$;

COMMENT ON FUNCTION api.set_subscription_role(in_subscription text, in_role name) IS 'Reserves a subscription for one consumer role (members of it and admins may claim from it;
any other role gets ZE017), or opens it to every eventstore_projector again (NULL, the default).
Acknowledgements and nacks always come from the role that claimed, whatever the reservation.
Errors: ZE003 a role that is not a consumer, ZE013 unknown subscription.';

CREATE FUNCTION api.set_tracker_role(in_tracker text, in_role name) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_tracker IS NULL OR in_tracker = '' OR pg_catalog.char_length(in_tracker) > 200 THEN
        RAISE EXCEPTION 'in_tracker must be a non-empty text of at most 200 characters'
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_role IS NULL THEN
        DELETE FROM data.tracker_roles AS r WHERE r.tracker = in_tracker;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r
                   WHERE r.rolname = in_role
                     AND (pg_catalog.pg_has_role(r.oid, 'eventstore_writer', 'MEMBER')
                          OR pg_catalog.pg_has_role(r.oid, 'eventstore_projector', 'MEMBER'))) THEN
        RAISE EXCEPTION 'in_role must be NULL or a role that may record tracking (a member of eventstore_writer or eventstore_projector), got %',
                pg_catalog.quote_literal(in_role)
            USING ERRCODE = 'ZE003';
    END IF;
    INSERT INTO data.tracker_roles AS r (tracker, consumer_role) VALUES (in_tracker, in_role)
    ON CONFLICT (tracker) DO UPDATE SET consumer_role = excluded.consumer_role;
    DELETE FROM data.tracking AS t
    WHERE t.tracker = in_tracker AND t.owner <> in_role
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r  -- an owner dropped since: not a member
                      WHERE r.rolname = t.owner AND pg_catalog.pg_has_role(r.oid, in_role, 'MEMBER'));
    UPDATE data.tracking AS t SET owner = in_role WHERE t.tracker = in_tracker AND t.owner <> in_role;
END;
$$;

COMMENT ON FUNCTION api.set_tracker_role(in_tracker text, in_role name) IS 'Reserves a tracker for one role (members of it and admins record it; any other role gets ZE019),
deleting what roles outside it recorded under that name; NULL lifts the reservation.
Errors: ZE003 a bad name or a role that cannot record tracking.';

CREATE FUNCTION api.skip_parked(in_subscription text, in_event_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_event data.subscription_events;
BEGIN
    PERFORM private.lock_subscription(in_subscription);
    l_event := private.parked_event(in_subscription, in_event_id);
    INSERT INTO data.subscription_skips
        (subscription_name, event_id, stream_type, stream_id, version, attempts, last_error, skipped_by)
    VALUES (in_subscription, in_event_id, l_event.stream_type, l_event.stream_id, l_event.version,
            l_event.attempts, l_event.last_error, private.calling_role());
    DELETE FROM data.subscription_events AS se
    WHERE se.subscription_name = in_subscription AND se.event_id = in_event_id;
END;
$$;

COMMENT ON FUNCTION api.skip_parked(in_subscription text, in_event_id uuid) IS 'Steps past a parked event: it is recorded in data.subscription_skips, never delivered again
(resets included), and the later events of its stream flow on. Errors: as api.replay_parked.';

CREATE FUNCTION api.tracking_position(in_tracker text, in_upstream text) RETURNS numeric
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT t.position FROM data.tracking AS t WHERE t.tracker = in_tracker AND t.upstream = in_upstream;
$$;

COMMENT ON FUNCTION api.tracking_position(in_tracker text, in_upstream text) IS 'The position in_tracker has recorded for in_upstream (api.record_tracking), NULL if none';

CREATE FUNCTION api.uuidv7() RETURNS uuid
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT private.uuidv7() $$;

COMMENT ON FUNCTION api.uuidv7() IS 'A new time-ordered UUID (version 7, RFC 9562), as the store makes event ids';

CREATE FUNCTION private.acts_for(in_registrant name, in_role oid) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT r.role <> 0
       AND (pg_catalog.pg_has_role(in_registrant, r.role, 'MEMBER')
            OR r.role = (SELECT x.oid FROM pg_catalog.pg_roles AS x WHERE x.rolname = current_user)
            OR EXISTS (SELECT FROM pg_catalog.pg_roles AS x WHERE x.oid = r.role AND x.rolsuper))
    FROM (SELECT CASE WHEN in_role = 'pg_database_owner'::pg_catalog.regrole
                      THEN (SELECT d.datdba FROM pg_catalog.pg_database AS d
                            WHERE d.datname = pg_catalog.current_database())
                      ELSE in_role END AS role) AS r;
$$;

CREATE FUNCTION private.announced_before_xid() RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_key text := pg_catalog.current_setting('eventstore.idempotency_key', true);
BEGIN
    IF EXISTS (SELECT FROM data.events AS e
               JOIN private.current_generation AS g ON g.generation = e.generation
               WHERE e.transaction_id = pg_catalog.pg_current_xact_id()) THEN
        RETURN true;
    END IF;
    IF l_key ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN EXISTS (SELECT FROM data.idempotency_keys AS k
                       WHERE k.idempotency_key = l_key::uuid
                         AND k.xmin::text = (pg_catalog.pg_current_xact_id()::xid)::text);
    END IF;
    RETURN false;
END;
$_$;

COMMENT ON FUNCTION private.announced_before_xid() IS 'Was this transaction announced to whole-log readers before it had its id? (its events, or its idempotency key)';

CREATE FUNCTION private.calling_admin() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT pg_catalog.pg_has_role(private.calling_role(), 'eventstore_admin', 'MEMBER');
$$;

COMMENT ON FUNCTION private.calling_admin() IS 'Is the calling role a member of eventstore_admin?';

CREATE FUNCTION private.calling_role() RETURNS name
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') = 'none' THEN session_user
                ELSE pg_catalog.current_setting('role')::name END;
$$;

COMMENT ON FUNCTION private.calling_role() IS 'The role that called the SECURITY DEFINER function this runs in (its SET ROLE, else the session user)';

CREATE FUNCTION private.check_event_batch(in_events jsonb) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE
    AS $_$
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
              DETAIL = pg_catalog.jsonb_build_object(
                           'index', l_bad.ord,
                           'event', CASE WHEN pg_catalog.length(l_bad.element::text) <= 500 THEN l_bad.element
                                         ELSE pg_catalog.to_jsonb(pg_catalog.left(l_bad.element::text, 500)) END)::text,
              HINT = 'Each event is {"event_type": text, "event_data": object, "metadata": object (optional)}.';
END;
$_$;

COMMENT ON FUNCTION private.check_event_batch(in_events jsonb) IS 'Checks the shape of an in_events batch (ZE002 names the first bad event); returns its size';

CREATE FUNCTION private.check_event_exists(in_event_id uuid) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_event_id IS NULL THEN
        RAISE EXCEPTION 'in_event_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF NOT EXISTS (SELECT FROM data.events AS e WHERE e.id = in_event_id) THEN
        RAISE EXCEPTION 'no event has id %', in_event_id USING ERRCODE = 'ZE004';
    END IF;
END;
$$;

CREATE FUNCTION private.check_event_schema(in_event_type text, in_version integer, in_event_data jsonb, in_position bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_schema jsonb;
    l_error text;
BEGIN
    SELECT s.schema INTO l_schema FROM data.event_schemas AS s
    WHERE s.event_type = in_event_type AND s.version = in_version;

    IF NOT FOUND THEN
        IF EXISTS (SELECT FROM data.event_schemas AS s WHERE s.event_type = in_event_type) THEN
            RAISE EXCEPTION 'event % of in_events: % has no schema for version % (registered: %)',
                    in_position, in_event_type, in_version,
                    (SELECT pg_catalog.string_agg(s.version::text, ', ' ORDER BY s.version)
                     FROM data.event_schemas AS s WHERE s.event_type = in_event_type)
                USING ERRCODE = 'ZE006';
        END IF;
        IF in_version > (SELECT t.current_version FROM data.event_types AS t WHERE t.event_type = in_event_type) THEN
            RAISE EXCEPTION 'event % of in_events: % version % is newer than its latest known version %',
                    in_position, in_event_type, in_version,
                    (SELECT t.current_version FROM data.event_types AS t WHERE t.event_type = in_event_type)
                USING ERRCODE = 'ZE006';
        END IF;
        RETURN true;
    END IF;

    l_error := private.json_schema_error(l_schema, in_event_data);
    IF l_error IS NOT NULL THEN
        RAISE EXCEPTION 'event % of in_events (% version %) does not match its schema %',
                in_position, in_event_type, in_version, l_error
            USING ERRCODE = 'ZE006',
                  DETAIL = 'event_data: ' || pg_catalog.left(in_event_data::text, 500);
    END IF;
    RETURN true;
END;
$$;

CREATE FUNCTION private.check_interval(in_value interval, in_argument text, in_min interval, in_max interval) RETURNS interval
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_now timestamptz := pg_catalog.now();
    l_ok boolean;
BEGIN
    BEGIN
        l_ok := in_value IS NOT NULL
                AND l_now + in_value BETWEEN l_now + in_min AND l_now + in_max
                AND l_now - in_value BETWEEN l_now - in_max AND l_now - in_min;
    EXCEPTION WHEN datetime_field_overflow THEN
        l_ok := false;  -- now() +/- the value is past the range of timestamps
    END;
    IF NOT l_ok THEN
        RAISE EXCEPTION '% must be from % to % (its effect on now(), both ways), got %',
                in_argument, in_min, in_max, COALESCE(in_value::text, 'NULL')
            USING ERRCODE = 'ZE003',
                  HINT = 'Checked on the calendar, both ways: mixed signs such as ''-1 year 361 days'' are refused.';
    END IF;
    RETURN in_value;
END;
$$;

COMMENT ON FUNCTION private.check_interval(in_value interval, in_argument text, in_min interval, in_max interval) IS 'Returns in_value if now() + it and now() - it lie within the bounds, else ZE003 naming in_argument';

CREATE FUNCTION private.check_limit(in_limit integer) RETURNS integer
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_limit IS NULL OR in_limit < 1 THEN
        RAISE EXCEPTION 'in_limit must be a positive integer, got %', COALESCE(in_limit::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN in_limit;
END;
$$;

COMMENT ON FUNCTION private.check_limit(in_limit integer) IS 'Returns in_limit if positive, else raises ZE003';

CREATE FUNCTION private.check_projection_handlers(in_handler regprocedure, in_reset_handler regprocedure) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_handler IS NULL OR NOT EXISTS (
        SELECT FROM pg_catalog.pg_proc AS f
        WHERE f.oid = in_handler AND f.prokind = 'f' AND f.pronargs = 1
          AND f.proargtypes[0] = 'data.events[]'::pg_catalog.regtype) THEN
        RAISE EXCEPTION 'projection handler % must be a function taking (data.events[])', COALESCE(in_handler::text, 'NULL')
            USING ERRCODE = 'ZE010',
                  HINT = 'CREATE FUNCTION my_handler(in_events data.events[]) RETURNS void ...';
    END IF;
    IF in_reset_handler IS NOT NULL AND NOT EXISTS (
        SELECT FROM pg_catalog.pg_proc AS f
        WHERE f.oid = in_reset_handler AND f.prokind = 'f' AND f.pronargs = 0) THEN
        RAISE EXCEPTION 'reset handler % must be a function without arguments', in_reset_handler
            USING ERRCODE = 'ZE010';
    END IF;
END;
$$;

CREATE FUNCTION private.check_subscription_name(in_name text, in_argument text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_name IS NULL OR in_name = '' OR pg_catalog.char_length(in_name) > 200 THEN
        RAISE EXCEPTION '% must be a non-empty text of at most 200 characters, got %', in_argument,
                COALESCE(pg_catalog.quote_literal(pg_catalog.left(in_name, 50)), 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN in_name;
END;
$$;

CREATE FUNCTION private.check_type_filter(in_types text[], in_argument text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_types IS NOT NULL
       AND (pg_catalog.array_ndims(in_types) IS DISTINCT FROM 1
            OR EXISTS (SELECT FROM pg_catalog.unnest(in_types) AS t(name)
                       WHERE t.name IS NULL OR t.name = '' OR pg_catalog.char_length(t.name) > 200)) THEN
        RAISE EXCEPTION '% must be NULL (every type) or a non-empty list of type names, got %',
                in_argument, pg_catalog.left(in_types::text, 200)
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN in_types;
END;
$$;

CREATE FUNCTION private.confirm_generation(in_generation integer, in_system_identifier bigint) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF in_system_identifier IS DISTINCT FROM (SELECT c.system_identifier FROM pg_catalog.pg_control_system() AS c) THEN
        RETURN false;
    END IF;
    -- Only in READ COMMITTED: a REPEATABLE READ appender would get 40001 updating a row that
    -- another appender stamped since its snapshot. It reads the identifier; the next one stamps.
    IF pg_catalog.current_setting('transaction_isolation') = 'read committed' THEN
        UPDATE data.store_generations AS g
        SET server_started_at = pg_catalog.pg_postmaster_start_time()
        WHERE g.generation = (SELECT x.generation FROM data.store_generations AS x
                              WHERE x.generation = in_generation
                              FOR UPDATE SKIP LOCKED);
    END IF;
    RETURN true;
END;
$$;

COMMENT ON FUNCTION private.confirm_generation(in_generation integer, in_system_identifier bigint) IS 'Is this generation this cluster''s (by its system identifier)? Stamps it with the server''s start time if so';

CREATE FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- The newest generation is this cluster's if the server that runs now stamped it
    -- (private.confirm_generation), else if it names this cluster's system identifier: the
    -- control file is read only when the stamp does not answer (on a standby, after a restart
    -- before the first append).
    SELECT CASE WHEN g.mine THEN g.generation ELSE COALESCE(g.generation, 0) + 1 END,
           CASE WHEN g.mine THEN pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) ELSE '0'::xid8 END
    INTO generation, transaction_id
    FROM (SELECT) AS one
    LEFT JOIN LATERAL (
        SELECT x.generation,
               CASE WHEN x.server_started_at = pg_catalog.pg_postmaster_start_time() THEN true
                    ELSE x.system_identifier = (SELECT s.system_identifier FROM pg_catalog.pg_control_system() AS s)
               END AS mine
        FROM data.store_generations AS x
        ORDER BY x.generation DESC
        LIMIT 1) AS g ON true;
END;
$$;

COMMENT ON FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8) IS 'The conservative horizon: every transaction of the cluster before it has ended (what readers fall back to where private.read_horizon cannot be computed)';

CREATE FUNCTION private.count_events_after(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8, OUT behind bigint, OUT held_back bigint, OUT exact boolean) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_sort TO 'off'
    AS $$
DECLARE
    c_sample CONSTANT integer := 10000;
    l_read bigint;
    l_held_read bigint;
    l_span numeric;
BEGIN
    SELECT count(*), count(*) FILTER (WHERE (in_event_types IS NULL OR s.event_type = ANY (in_event_types))
                                        AND (in_stream_types IS NULL OR s.stream_type = ANY (in_stream_types)))
    INTO l_read, behind
    FROM (SELECT e.event_type, e.stream_type
          FROM data.events AS e
          WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                       in_generation, in_transaction_id, in_global_position,
                                       in_horizon_generation, in_horizon_transaction_id)
          ORDER BY e.generation, e.transaction_id, e.global_position
          LIMIT c_sample + 1) AS s;

    SELECT count(*), count(*) FILTER (WHERE (in_event_types IS NULL OR s.event_type = ANY (in_event_types))
                                        AND (in_stream_types IS NULL OR s.stream_type = ANY (in_stream_types)))
    INTO l_held_read, held_back
    FROM (SELECT e.event_type, e.stream_type
          FROM data.events AS e
          WHERE (e.generation, e.transaction_id) >= (in_horizon_generation, in_horizon_transaction_id)
            AND (e.generation, e.transaction_id, e.global_position)
                > (in_generation, in_transaction_id, in_global_position)
          ORDER BY e.generation, e.transaction_id, e.global_position
          LIMIT c_sample + 1) AS s;

    exact := l_read <= c_sample AND l_held_read <= c_sample;
    IF l_read > c_sample THEN
        l_span := COALESCE(pg_catalog.pg_sequence_last_value('data.events_global_position_seq'::pg_catalog.regclass), 0)
                  - GREATEST(in_global_position, 0) - l_held_read;
        behind := GREATEST(behind, pg_catalog.round(GREATEST(l_span, l_read) * behind / l_read)::bigint);
    END IF;
END;
$$;

COMMENT ON FUNCTION private.count_events_after(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8, OUT behind bigint, OUT held_back bigint, OUT exact boolean) IS 'Matching events after a log position, before and past the horizon: exact up to 10,000, estimated beyond';

CREATE FUNCTION private.create_event_partition(in_month date) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET lock_timeout TO '200ms'
    AS $$
DECLARE
    l_name text := 'events_' || pg_catalog.to_char(in_month, 'YYYY_MM');
    l_from timestamptz := in_month::timestamp AT TIME ZONE 'UTC';
    l_to timestamptz := (in_month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF in_month IS NULL OR in_month <> pg_catalog.date_trunc('month', in_month)::date THEN
        RAISE EXCEPTION 'in_month must be the first day of a month, got %', in_month
            USING ERRCODE = 'ZE003';
    END IF;

    IF pg_catalog.to_regclass('data.' || pg_catalog.quote_ident(l_name)) IS NOT NULL THEN
        RETURN false;
    END IF;

    -- The locks first: LOCK takes no transaction id, so a try that times out leaves none
    -- holding every whole-log reader back while it waits for the next try.
    LOCK TABLE data.events IN SHARE UPDATE EXCLUSIVE MODE;
    PERFORM private.raise_if_locked('data.events_default');
    LOCK TABLE data.events_default IN ACCESS EXCLUSIVE MODE;

    -- Sanctioned changes of data.events' partitions (change event_guards refuses others).
    PERFORM pg_catalog.set_config('eventstore.partition_maintenance', 'on', true);
    EXECUTE pg_catalog.format(
        'CREATE TABLE data.%I (LIKE data.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)',
        l_name);
    -- The partition's bound as a constraint: ATTACH need not scan the table to prove it.
    EXECUTE pg_catalog.format(
        'ALTER TABLE data.%I ADD CONSTRAINT %I CHECK (created_at >= %L AND created_at < %L)',
        l_name, l_name || '_bound', l_from, l_to);

    IF EXISTS (SELECT FROM data.events_default AS d
               WHERE d.created_at >= l_from AND d.created_at < l_to) THEN
        ALTER TABLE data.events DETACH PARTITION data.events_default;
        EXECUTE pg_catalog.format(
            'INSERT INTO data.%I SELECT * FROM data.events_default
             WHERE created_at >= %L AND created_at < %L', l_name, l_from, l_to);
        DELETE FROM data.events_default AS d WHERE d.created_at >= l_from AND d.created_at < l_to;
        EXECUTE pg_catalog.format(
            'ALTER TABLE data.events ATTACH PARTITION data.%I FOR VALUES FROM (%L) TO (%L)', l_name, l_from, l_to);
        ALTER TABLE data.events ATTACH PARTITION data.events_default DEFAULT;
    ELSE
        EXECUTE pg_catalog.format(
            'ALTER TABLE data.events ATTACH PARTITION data.%I FOR VALUES FROM (%L) TO (%L)', l_name, l_from, l_to);
    END IF;

    EXECUTE pg_catalog.format(
        'CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON data.%I
         FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change()', l_name);
    EXECUTE pg_catalog.format(
        'ALTER TABLE data.%I ENABLE ALWAYS TRIGGER events_refuse_truncate', l_name);
    EXECUTE pg_catalog.format(
        'COMMENT ON TABLE data.%I IS %L', l_name,
        'Events created in ' || pg_catalog.to_char(in_month, 'YYYY-MM') || ' (UTC)');
    PERFORM pg_catalog.set_config('eventstore.partition_maintenance', 'off', true);
    RETURN true;
END;
$$;

COMMENT ON FUNCTION private.create_event_partition(in_month date) IS 'Creates data.events_YYYY_MM for the month starting in_month (UTC) unless it exists; 200 ms lock waits';

CREATE FUNCTION private.cron_jobs(in_version integer[]) RETURNS TABLE(job_name text, schedule text, command text)
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    VALUES ('eventstore-projections',
            CASE WHEN in_version >= ARRAY[1, 5] THEN '5 seconds' ELSE '* * * * *' END,
            CASE WHEN in_version >= ARRAY[1, 5] THEN 'CALL private.projection_worker(4)'
                 ELSE 'CALL private.projection_worker(59)' END),
           ('eventstore-partitions', '17 3 * * *', 'CALL api.ensure_event_partitions(3)'),
           ('eventstore-cron-history', '47 3 * * *',
            $job$DELETE FROM cron.job_run_details WHERE end_time < now() - interval '7 days' AND jobid IN (SELECT jobid FROM cron.job WHERE jobname LIKE 'eventstore-%')$job$),
           ('eventstore-idempotency-keys', '27 4 * * *', $job$SELECT api.purge_idempotency_keys('30 days')$job$),
           ('eventstore-retention', '37 4 * * *', 'CALL api.apply_retention()');
$_$;

COMMENT ON FUNCTION private.cron_jobs(in_version integer[]) IS 'The bundle''s pg_cron jobs (name, schedule, command) for a pg_cron version: what cron_jobs schedules';

CREATE FUNCTION private.cursor_position(in_event_id uuid, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_event_id IS NULL THEN
        generation := 0;
        transaction_id := '0'::xid8;
        global_position := 0;
        RETURN;
    END IF;

    SELECT e.generation, e.transaction_id, e.global_position
    INTO generation, transaction_id, global_position
    FROM data.events AS e
    WHERE e.id = in_event_id;

    IF NOT FOUND THEN
        SELECT r.first_generation, r.first_transaction_id, r.first_global_position - 1
        INTO generation, transaction_id, global_position
        FROM data.retired_event_partitions AS r
        WHERE r.first_generation IS NOT NULL
          AND private.uuidv7_time(in_event_id) >= r.range_from
          AND private.uuidv7_time(in_event_id) < r.range_to + interval '1 day'
        ORDER BY r.range_from  -- the earlier of two: read again rather than skip
        LIMIT 1;
        IF FOUND THEN
            RETURN;
        END IF;
        -- A removed event (api.purge_stream): where it was.
        SELECT r.generation, r.transaction_id, r.global_position
        INTO generation, transaction_id, global_position
        FROM data.removed_events AS r
        WHERE r.id = in_event_id;
        IF FOUND THEN
            RETURN;
        END IF;
        RAISE EXCEPTION 'no event has id %', in_event_id
            USING ERRCODE = 'ZE004',
                  HINT = 'Pass the id of the last event you read, or NULL to read from the start.';
    END IF;
END;
$$;

COMMENT ON FUNCTION private.cursor_position(in_event_id uuid, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) IS 'Cursor position of an event id (the start of the log for NULL); ZE004 for an unknown id';

CREATE FUNCTION private.drop_unused_invokers() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_invoker regprocedure;
BEGIN
    FOR l_invoker IN
        SELECT f.oid::regprocedure FROM pg_catalog.pg_proc AS f
        WHERE f.pronamespace = 'registered'::pg_catalog.regnamespace
          AND NOT EXISTS (SELECT FROM data.projections AS p
                          WHERE f.oid IN (p.handler_invoker, p.reset_handler_invoker))
          AND NOT EXISTS (SELECT FROM data.event_upcasters AS u WHERE u.upcaster_invoker = f.oid)
          AND NOT EXISTS (SELECT FROM data.reducers AS r WHERE r.reducer_invoker = f.oid)
    LOOP
        PERFORM pg_catalog.set_config('eventstore.dropping_invoker', 'on', true);
        EXECUTE pg_catalog.format('DROP FUNCTION %s', l_invoker);
        PERFORM pg_catalog.set_config('eventstore.dropping_invoker', 'off', true);
    END LOOP;
END;
$$;

CREATE FUNCTION private.expired_event_partition() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $_$
DECLARE
    l_partition record;
    l_types text[];
BEGIN
    FOR l_partition IN
        SELECT c.relname, (pg_catalog.to_date(pg_catalog.substr(c.relname, 8), 'YYYY_MM') + interval '1 month')::timestamp
                              AT TIME ZONE 'UTC' AS range_end
        FROM pg_catalog.pg_inherits AS i
        JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'data.events'::pg_catalog.regclass
          AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'
          AND (pg_catalog.to_date(pg_catalog.substr(c.relname, 8), 'YYYY_MM') + interval '1 month')
              <= pg_catalog.date_trunc('month', pg_catalog.now())
        ORDER BY c.relname
    LOOP
        -- The stream types in it, one index probe each (a loose scan of events_stream_idx).
        EXECUTE pg_catalog.format(
            'WITH RECURSIVE t(s) AS (SELECT min(e.stream_type) FROM data.%1$I AS e
                                     UNION ALL
                                     SELECT (SELECT min(e.stream_type) FROM data.%1$I AS e WHERE e.stream_type > t.s)
                                     FROM t WHERE t.s IS NOT NULL)
             SELECT pg_catalog.array_agg(t.s) FROM t WHERE t.s IS NOT NULL', l_partition.relname)
        INTO l_types;
        IF l_types IS NOT NULL AND NOT EXISTS (
            SELECT FROM pg_catalog.unnest(l_types) AS t(stream_type)
            LEFT JOIN data.retention_policies AS p ON p.stream_type = t.stream_type
            WHERE p.stream_type IS NULL OR l_partition.range_end > COALESCE(private.retention_cutoff(p.keep), '-infinity')) THEN
            RETURN l_partition.relname;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$_$;

CREATE FUNCTION private.extension_schema(in_extension name) RETURNS name
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT n.nspname
    FROM pg_catalog.pg_extension AS x
    JOIN pg_catalog.pg_namespace AS n ON n.oid = x.extnamespace
    WHERE x.extname = in_extension;
$$;

COMMENT ON FUNCTION private.extension_schema(in_extension name) IS 'The schema extension in_extension was created in, or NULL';

CREATE FUNCTION private.first_unreadable_event(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_limit integer, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8, OUT event_id uuid, OUT error_sqlstate text, OUT error_message text) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_event record;
    l_read record;
BEGIN
    FOR l_event IN
        SELECT e.id, e.created_at FROM data.events AS e
        WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                     in_generation, in_transaction_id, in_global_position,
                                     in_horizon_generation, in_horizon_transaction_id)
          AND (in_event_types IS NULL OR e.event_type = ANY (in_event_types))
          AND (in_stream_types IS NULL OR e.stream_type = ANY (in_stream_types))
        ORDER BY e.generation, e.transaction_id, e.global_position
        LIMIT in_limit
    LOOP
        l_read := private.read_event_alone(l_event.id, l_event.created_at);
        IF l_read.error_sqlstate IS NOT NULL THEN
            event_id := l_event.id;
            error_sqlstate := l_read.error_sqlstate;
            error_message := l_read.error_message;
            RETURN;
        END IF;
    END LOOP;
END;
$$;

CREATE FUNCTION private.uuidv7() RETURNS uuid
    LANGUAGE plpgsql PARALLEL SAFE
    AS $$
            DECLARE
                -- one clock reading for both the millisecond and the sub-millisecond part
                l_us bigint := (pg_catalog.date_part('epoch', pg_catalog.clock_timestamp())
                                * 1000000)::bigint;
            BEGIN
                RETURN pg_catalog.encode(
                       pg_catalog.substr(pg_catalog.int8send(l_us / 1000), 3)
                    || pg_catalog.int2send((28672 + (l_us % 1000) * 4096 / 1000)::smallint)
                    || pg_catalog.substr(pg_catalog.uuid_send(pg_catalog.gen_random_uuid()), 9),
                    'hex')::uuid;
            END
            $$;

COMMENT ON FUNCTION private.uuidv7() IS 'Time-ordered UUID version 7 (RFC 9562); the built-in uuidv7() on PostgreSQL 18+';

CREATE FUNCTION private.writer_generation() RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    l_system_identifier bigint := (SELECT s.system_identifier FROM pg_catalog.pg_control_system() AS s);
    l_row record;
BEGIN
    LOOP
        SELECT g.generation, g.system_identifier INTO l_row
        FROM data.store_generations AS g
        ORDER BY g.generation DESC
        LIMIT 1;

        IF FOUND AND l_row.system_identifier = l_system_identifier THEN
            RETURN l_row.generation;
        END IF;

        INSERT INTO data.store_generations (generation, system_identifier, server_started_at)
        VALUES (COALESCE(l_row.generation, 0) + 1, l_system_identifier, pg_catalog.pg_postmaster_start_time())
        ON CONFLICT (generation) DO NOTHING;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.writer_generation() IS 'Generation of events written now; starts a new one on the first write in a new cluster';

CREATE TABLE data.events (
    id uuid DEFAULT private.uuidv7() NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    event_type text NOT NULL,
    event_data jsonb NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    global_position bigint NOT NULL,
    transaction_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    generation integer DEFAULT private.writer_generation() NOT NULL,
    schema_version integer DEFAULT 1 NOT NULL,
    log_number numeric NOT NULL,
    CONSTRAINT events_event_data_check CHECK ((jsonb_typeof(event_data) = 'object'::text)),
    CONSTRAINT events_event_type_check CHECK ((event_type <> ''::text)),
    CONSTRAINT events_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT events_schema_version_check CHECK ((schema_version > 0)),
    CONSTRAINT events_stream_type_check CHECK ((stream_type <> ''::text)),
    CONSTRAINT events_version_check CHECK ((version > 0))
)
PARTITION BY RANGE (created_at);

COMMENT ON TABLE data.events IS 'Append-only event store';

COMMENT ON COLUMN data.events.id IS 'Event id (UUID v7); with created_at the primary key';

COMMENT ON COLUMN data.events.stream_type IS 'Aggregate type, e.g. Order, Customer';

COMMENT ON COLUMN data.events.stream_id IS 'Aggregate id';

COMMENT ON COLUMN data.events.version IS 'Sequence within the stream, 1, 2, 3 ... without gaps';

COMMENT ON COLUMN data.events.event_type IS 'Past-tense event name, e.g. OrderCreated';

COMMENT ON COLUMN data.events.event_data IS 'Payload (a JSON object), as written; readers upcast it';

COMMENT ON COLUMN data.events.metadata IS 'correlation_id, causation_id, user_id, source, ... (a JSON object)';

COMMENT ON COLUMN data.events.global_position IS 'Order of events within one transaction';

COMMENT ON COLUMN data.events.transaction_id IS 'Writing transaction; leads the log order after generation';

COMMENT ON COLUMN data.events.generation IS 'Cluster lifetime that wrote the event (data.store_generations)';

COMMENT ON COLUMN data.events.schema_version IS 'Version of the payload schema the event was written with';

COMMENT ON COLUMN data.events.log_number IS 'The event''s log number (private.log_number): strictly increasing in log order, one block per transaction';

CREATE FUNCTION private.fold_events(in_reducer regprocedure, in_state jsonb, in_events data.events[]) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_call text;
    l_state jsonb := in_state;
    l_event data.events;
BEGIN
    IF COALESCE(pg_catalog.cardinality(in_events), 0) = 0 THEN
        RETURN l_state;
    END IF;
    l_call := pg_catalog.format('SELECT %s($1, $2)', private.invoker_call(in_reducer, 'reducer ' || in_reducer::text));
    FOREACH l_event IN ARRAY in_events LOOP
        EXECUTE l_call INTO l_state USING l_state, l_event;
    END LOOP;
    RETURN l_state;
END;
$_$;

COMMENT ON FUNCTION private.fold_events(in_reducer regprocedure, in_state jsonb, in_events data.events[]) IS 'Folds events into a state with a reducer''s invoker (registered.*)';

CREATE FUNCTION private.forget_deliveries_created_before(in_before timestamp with time zone) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    DELETE FROM data.subscription_events AS v
    WHERE v.event_created_at < in_before
      AND NOT EXISTS (SELECT FROM data.events AS e WHERE e.id = v.event_id AND e.created_at = v.event_created_at);
    UPDATE data.subscription_leases AS l
    SET events = ARRAY(SELECT r FROM pg_catalog.unnest(l.events) AS r
                       WHERE r.created_at >= in_before
                          OR EXISTS (SELECT FROM data.events AS e WHERE e.id = r.id AND e.created_at = r.created_at))
    WHERE EXISTS (SELECT FROM pg_catalog.unnest(l.events) AS r WHERE r.created_at < in_before);
    DELETE FROM data.subscription_leases AS l WHERE pg_catalog.cardinality(l.events) = 0;
$$;

CREATE FUNCTION private.forget_removed_deliveries(in_ids uuid[]) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    DELETE FROM data.subscription_events AS v WHERE v.event_id = ANY (in_ids);
    UPDATE data.subscription_leases AS l
    SET events = ARRAY(SELECT r FROM pg_catalog.unnest(l.events) AS r WHERE NOT r.id = ANY (in_ids))
    WHERE EXISTS (SELECT FROM pg_catalog.unnest(l.events) AS r WHERE r.id = ANY (in_ids));
    DELETE FROM data.subscription_leases AS l WHERE pg_catalog.cardinality(l.events) = 0;
$$;

CREATE FUNCTION private.guard_drops() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_dropped record;
BEGIN
    FOR l_dropped IN SELECT * FROM pg_catalog.pg_event_trigger_dropped_objects() LOOP
        IF l_dropped.object_type = 'table' AND l_dropped.schema_name = 'data'
           AND (l_dropped.object_name = 'events' OR l_dropped.object_name = 'events_default'
                OR (l_dropped.object_name ~ '^events_[0-9]{4}_[0-9]{2}$'
                    AND NOT EXISTS (SELECT FROM data.retired_event_partitions AS r
                                    WHERE r.partition_name = l_dropped.object_name))) THEN
            RAISE EXCEPTION 'data.events is append-only: % of % refused', tg_tag, l_dropped.object_identity
                USING ERRCODE = 'ZE008',
                      HINT = 'Retire a month with api.detach_event_partitions, archive it, then drop it.';
        END IF;
        IF l_dropped.object_type = 'function' AND l_dropped.schema_name = 'registered'
           AND (EXISTS (SELECT FROM data.projections AS p
                        WHERE l_dropped.objid IN (p.handler_invoker, p.reset_handler_invoker))
                OR EXISTS (SELECT FROM data.event_upcasters AS u WHERE u.upcaster_invoker = l_dropped.objid)
                OR EXISTS (SELECT FROM data.reducers AS r WHERE r.reducer_invoker = l_dropped.objid)) THEN
            RAISE EXCEPTION '% of % refused: a registration runs it', tg_tag, l_dropped.object_identity
                USING ERRCODE = 'ZE010',
                      HINT = 'Register another function in its place first.';
        END IF;
    END LOOP;
END;
$_$;

CREATE FUNCTION private.guard_events_ddl() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_bad text;
BEGIN
    IF pg_catalog.current_setting('eventstore.partition_maintenance', true) = 'on'
       OR NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger_ddl_commands() AS c WHERE c.schema_name = 'data') THEN
        RETURN;
    END IF;

    SELECT pg_catalog.format('trigger %s of %s is %s', t.tgname, t.tgrelid::pg_catalog.regclass,
                             CASE t.tgenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica only'
                                              ELSE 'origin only' END)
    INTO l_bad
    FROM pg_catalog.pg_trigger AS t
    WHERE t.tgname IN ('events_refuse_update_delete', 'events_refuse_truncate')
      AND (t.tgrelid = 'data.events'::pg_catalog.regclass
           OR t.tgrelid IN (SELECT i.inhrelid FROM pg_catalog.pg_inherits AS i
                            WHERE i.inhparent = 'data.events'::pg_catalog.regclass))
      AND t.tgenabled <> 'A'
    LIMIT 1;
    IF l_bad IS NULL THEN
        SELECT pg_catalog.format('data.%s was detached from data.events', c.relname) INTO l_bad
        FROM pg_catalog.pg_class AS c
        WHERE c.relnamespace = 'data'::pg_catalog.regnamespace AND c.relkind = 'r'
          AND c.relname ~ '^events_([0-9]{4}_[0-9]{2}|default)$'
          AND NOT c.relispartition
          AND NOT EXISTS (SELECT FROM data.retired_event_partitions AS r WHERE r.partition_name = c.relname)
        LIMIT 1;
    END IF;
    IF l_bad IS NOT NULL THEN
        RAISE EXCEPTION 'data.events is append-only: % refused (%)', tg_tag, l_bad
            USING ERRCODE = 'ZE008',
                  HINT = 'Old months are retired with api.detach_event_partitions.';
    END IF;
END;
$_$;

CREATE FUNCTION private.hold_stream_keys(in_stream_type text, in_stream_id uuid) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM FROM data.subject_keys AS k
    WHERE k.key_id IN (SELECT s.key_id FROM data.subject_streams AS s
                       WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id)
    FOR KEY SHARE OF k NOWAIT;
    RETURN true;
EXCEPTION WHEN lock_not_available THEN
    RETURN false;
END;
$$;

COMMENT ON FUNCTION private.hold_stream_keys(in_stream_type text, in_stream_id uuid) IS 'Holds the keys of a stream''s personal data until the transaction ends; false if one is being destroyed now';

CREATE FUNCTION private.horizon_holder(in_holder_pid integer, in_holder_gid text) RETURNS TABLE(pid integer, database text, username text, age interval, query text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT a.pid, a.datname::text, a.usename::text, pg_catalog.now() - a.xact_start,
           CASE WHEN pg_catalog.pg_has_role(private.calling_role(), a.usesysid, 'USAGE')
                     OR pg_catalog.pg_has_role(private.calling_role(), 'pg_read_all_stats', 'USAGE')
                THEN pg_catalog.left(a.query, 200)
                ELSE '<insufficient privilege>' END
    FROM pg_catalog.pg_stat_activity AS a
    WHERE a.pid = in_holder_pid
    UNION ALL
    SELECT NULL, p.database::text, p.owner::text, pg_catalog.now() - p.prepared,
           'PREPARED TRANSACTION ' || pg_catalog.quote_literal(p.gid)
    FROM pg_catalog.pg_prepared_xacts AS p
    WHERE p.gid = in_holder_gid
    LIMIT 1;
$$;

COMMENT ON FUNCTION private.horizon_holder(in_holder_pid integer, in_holder_gid text) IS 'The session or prepared transaction holding the read horizon (query text privilege-gated)';

CREATE FUNCTION private.invoker_call(in_invoker regprocedure, in_what text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_name text;
BEGIN
    SELECT pg_catalog.format('registered.%I', f.proname) INTO l_name
    FROM pg_catalog.pg_proc AS f
    WHERE f.oid = in_invoker AND f.prosecdef
      AND f.pronamespace = 'registered'::pg_catalog.regnamespace;
    IF l_name IS NULL THEN
        RAISE EXCEPTION '% cannot run: its invoker % is gone or no longer SECURITY DEFINER', in_what,
                COALESCE(in_invoker::oid::text, 'NULL')
            USING ERRCODE = 'ZE010',
                  HINT = 'An admin registers it again.';
    END IF;
    RETURN l_name;
END;
$$;

COMMENT ON FUNCTION private.invoker_call(in_invoker regprocedure, in_what text) IS 'The name to call an invoker by, once checked to be a SECURITY DEFINER function of schema registered';

CREATE FUNCTION private.json_path_member(in_path text, in_key text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    SELECT in_path || CASE WHEN in_key ~ '^[A-Za-z_][A-Za-z0-9_]*$' THEN '.' || in_key
                           ELSE '[' || pg_catalog.to_jsonb(in_key)::text || ']' END;
$_$;

CREATE FUNCTION private.json_schema_error(in_schema jsonb, in_value jsonb, in_path text DEFAULT '$'::text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_actual text := pg_catalog.jsonb_typeof(in_value);
    l_types text[];
    l_error text;
    l_number numeric;
    l_length integer;
BEGIN
    IF pg_catalog.jsonb_typeof(in_schema) = 'boolean' THEN
        RETURN CASE WHEN in_schema = 'true' THEN NULL
                    ELSE pg_catalog.format('at %s: no value is allowed here', in_path) END;
    END IF;
    IF l_actual = 'number' THEN
        l_number := (in_value #>> '{}')::numeric;
    END IF;

    IF in_schema ? 'type' THEN
        l_types := CASE pg_catalog.jsonb_typeof(in_schema -> 'type')
                       WHEN 'string' THEN ARRAY[in_schema ->> 'type']
                       ELSE ARRAY(SELECT pg_catalog.jsonb_array_elements_text(in_schema -> 'type')) END;
        IF NOT (l_actual = ANY (l_types)
                OR (l_actual = 'number' AND 'integer' = ANY (l_types) AND l_number = pg_catalog.trunc(l_number))) THEN
            RETURN pg_catalog.format('at %s: expected %s, got %s', in_path,
                                     pg_catalog.array_to_string(l_types, ' or '),
                                     CASE WHEN l_actual = 'number' AND l_number <> pg_catalog.trunc(l_number)
                                          THEN 'a number with a fraction' ELSE l_actual END);
        END IF;
    END IF;

    IF in_schema ? 'enum' AND NOT EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(in_schema -> 'enum') AS x(v)
                                          WHERE x.v = in_value) THEN
        RETURN pg_catalog.format('at %s: %s is not one of %s', in_path, in_value, in_schema -> 'enum');
    END IF;
    IF in_schema ? 'const' AND in_schema -> 'const' <> in_value THEN
        RETURN pg_catalog.format('at %s: expected %s, got %s', in_path, in_schema -> 'const', in_value);
    END IF;

    IF l_actual = 'number' THEN
        IF l_number < (in_schema ->> 'minimum')::numeric THEN
            RETURN pg_catalog.format('at %s: %s is less than the minimum %s', in_path, l_number, in_schema ->> 'minimum');
        END IF;
        IF l_number > (in_schema ->> 'maximum')::numeric THEN
            RETURN pg_catalog.format('at %s: %s is more than the maximum %s', in_path, l_number, in_schema ->> 'maximum');
        END IF;
    ELSIF l_actual = 'string' THEN
        l_length := pg_catalog.char_length(in_value #>> '{}');
        IF l_length < (in_schema ->> 'minLength')::integer OR l_length > (in_schema ->> 'maxLength')::integer THEN
            RETURN pg_catalog.format('at %s: a string of %s characters is outside minLength %s / maxLength %s', in_path,
                                     l_length, COALESCE(in_schema ->> 'minLength', '-'), COALESCE(in_schema ->> 'maxLength', '-'));
        END IF;
        IF in_schema ? 'pattern' AND NOT (in_value #>> '{}') ~ (in_schema ->> 'pattern') THEN
            RETURN pg_catalog.format('at %s: %s does not match the pattern %s', in_path, in_value, in_schema ->> 'pattern');
        END IF;
    ELSIF l_actual = 'array' THEN
        l_length := pg_catalog.jsonb_array_length(in_value);
        IF l_length < (in_schema ->> 'minItems')::integer OR l_length > (in_schema ->> 'maxItems')::integer THEN
            RETURN pg_catalog.format('at %s: an array of %s items is outside minItems %s / maxItems %s', in_path,
                                     l_length, COALESCE(in_schema ->> 'minItems', '-'), COALESCE(in_schema ->> 'maxItems', '-'));
        END IF;
        IF in_schema ? 'items' THEN
            SELECT e.error INTO l_error
            FROM pg_catalog.jsonb_array_elements(in_value) WITH ORDINALITY AS i(item, n)
            CROSS JOIN LATERAL (SELECT private.json_schema_error(in_schema -> 'items', i.item,
                                                                 in_path || '[' || (i.n - 1) || ']') AS error) AS e
            WHERE e.error IS NOT NULL
            ORDER BY i.n
            LIMIT 1;
            IF l_error IS NOT NULL THEN
                RETURN l_error;
            END IF;
        END IF;
    ELSIF l_actual = 'object' THEN
        SELECT pg_catalog.format('at %s: required property %s is missing', in_path, r.name) INTO l_error
        FROM pg_catalog.jsonb_array_elements_text(COALESCE(in_schema -> 'required', '[]')) AS r(name)
        WHERE NOT in_value ? r.name
        LIMIT 1;
        IF l_error IS NOT NULL THEN
            RETURN l_error;
        END IF;
        -- Each member: against its property schema, or additionalProperties.
        SELECT e.error INTO l_error
        FROM pg_catalog.jsonb_each(in_value) AS m
        CROSS JOIN LATERAL (
            SELECT CASE
                       WHEN in_schema -> 'properties' ? m.key
                           THEN private.json_schema_error(in_schema -> 'properties' -> m.key, m.value,
                                                          private.json_path_member(in_path, m.key))
                       WHEN in_schema ? 'additionalProperties'
                           THEN private.json_schema_error(in_schema -> 'additionalProperties', m.value,
                                                          private.json_path_member(in_path, m.key))
                   END AS error) AS e
        WHERE e.error IS NOT NULL
        ORDER BY m.key
        LIMIT 1;
        IF l_error IS NOT NULL THEN
            RETURN l_error;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION private.json_schema_error(in_schema jsonb, in_value jsonb, in_path text) IS 'NULL when the value matches the schema (the supported JSON Schema subset), else the first mismatch and its path';

CREATE FUNCTION private.json_schema_problem(in_schema jsonb, in_path text DEFAULT '$'::text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_key text;
    l_value jsonb;
    l_problem text;
    co_types constant text[] := ARRAY['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];
BEGIN
    IF pg_catalog.jsonb_typeof(in_schema) = 'boolean' THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.jsonb_typeof(in_schema) IS DISTINCT FROM 'object' THEN
        RETURN pg_catalog.format('at %s: a schema is an object or a boolean', in_path);
    END IF;

    FOR l_key, l_value IN SELECT k.key, k.value FROM pg_catalog.jsonb_each(in_schema) AS k LOOP
        l_problem := CASE
            WHEN l_key IN ('$schema', '$id', '$comment', 'title', 'description', 'default', 'examples') THEN NULL
            WHEN l_key = 'type' THEN
                CASE WHEN pg_catalog.jsonb_typeof(l_value) = 'string' AND l_value #>> '{}' = ANY (co_types) THEN NULL
                     WHEN pg_catalog.jsonb_typeof(l_value) = 'array' AND pg_catalog.jsonb_array_length(l_value) > 0
                          AND NOT EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(l_value) AS t(v)
                                          WHERE pg_catalog.jsonb_typeof(t.v) <> 'string' OR NOT t.v #>> '{}' = ANY (co_types))
                          THEN NULL
                     ELSE 'type must be one of ' || pg_catalog.array_to_string(co_types, ', ') || ' or an array of them' END
            WHEN l_key = 'enum' THEN
                CASE WHEN pg_catalog.jsonb_typeof(l_value) = 'array' THEN NULL ELSE 'enum must be an array' END
            WHEN l_key = 'const' THEN NULL
            WHEN l_key = 'required' THEN
                CASE WHEN pg_catalog.jsonb_typeof(l_value) = 'array'
                          AND NOT EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(l_value) AS r(v)
                                          WHERE pg_catalog.jsonb_typeof(r.v) <> 'string') THEN NULL
                     ELSE 'required must be an array of property names' END
            WHEN l_key = 'properties' THEN
                CASE WHEN pg_catalog.jsonb_typeof(l_value) <> 'object' THEN 'properties must be an object of schemas'
                     ELSE (SELECT private.json_schema_problem(p.value, private.json_path_member(in_path || '.properties', p.key))
                           FROM pg_catalog.jsonb_each(l_value) AS p
                           WHERE private.json_schema_problem(p.value, private.json_path_member(in_path || '.properties', p.key)) IS NOT NULL
                           LIMIT 1) END
            WHEN l_key IN ('additionalProperties', 'items') THEN
                private.json_schema_problem(l_value, in_path || '.' || l_key)
            WHEN l_key IN ('minimum', 'maximum') THEN
                CASE WHEN pg_catalog.jsonb_typeof(l_value) = 'number' THEN NULL ELSE l_key || ' must be a number' END
            WHEN l_key IN ('minLength', 'maxLength', 'minItems', 'maxItems') THEN
                CASE WHEN pg_catalog.jsonb_typeof(l_value) = 'number' AND (l_value #>> '{}')::numeric >= 0
                          AND (l_value #>> '{}')::numeric <= 2147483647
                          AND (l_value #>> '{}')::numeric = pg_catalog.trunc((l_value #>> '{}')::numeric) THEN NULL
                     ELSE l_key || ' must be an integer from 0 to 2147483647' END
            WHEN l_key = 'pattern' THEN
                CASE WHEN pg_catalog.jsonb_typeof(l_value) <> 'string' THEN 'pattern must be a string'
                     ELSE private.regex_problem(l_value #>> '{}') END
            ELSE 'unsupported keyword ' || l_key
        END;
        IF l_problem IS NOT NULL THEN
            RETURN CASE WHEN l_problem LIKE 'at %' THEN l_problem
                        ELSE pg_catalog.format('at %s: %s', in_path, l_problem) END;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$_$;

CREATE FUNCTION private.lock_projection_versions(in_projection_name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM FROM data.projection_checkpoints AS c
    WHERE c.projection_name IN (SELECT p.projection_name FROM data.projections AS p
                                WHERE p.version_of = in_projection_name)
    ORDER BY c.projection_name
    FOR UPDATE;
    PERFORM FROM data.projections AS p
    WHERE p.version_of = in_projection_name
    ORDER BY p.projection_name
    FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
END;
$$;

CREATE TABLE data.subscriptions (
    subscription_name text NOT NULL,
    stream_types text[],
    event_types text[],
    max_attempts integer DEFAULT 5 NOT NULL,
    lease interval DEFAULT '00:00:30'::interval NOT NULL,
    generation integer DEFAULT 0 NOT NULL,
    transaction_id xid8 DEFAULT '0'::xid8 NOT NULL,
    global_position bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text DEFAULT SESSION_USER NOT NULL,
    reset_at timestamp with time zone,
    reset_by text,
    consumer_role name,
    read_guard regclass,
    CONSTRAINT subscriptions_lease_check CHECK (((lease >= '00:00:01'::interval) AND (lease <= '1 day'::interval))),
    CONSTRAINT subscriptions_max_attempts_check CHECK (((max_attempts >= 1) AND (max_attempts <= 1000))),
    CONSTRAINT subscriptions_subscription_name_check CHECK (((subscription_name <> ''::text) AND (char_length(subscription_name) <= 200)))
)
WITH (fillfactor='50');

COMMENT ON TABLE data.subscriptions IS 'Subscriptions (consumer groups over the log) and their intake cursors';

COMMENT ON COLUMN data.subscriptions.max_attempts IS 'Failed deliveries (nack or expired lease) after which an event is parked';

COMMENT ON COLUMN data.subscriptions.lease IS 'How long a claimed event stays with its consumer before it counts as failed';

COMMENT ON COLUMN data.subscriptions.consumer_role IS 'The only role (with admins) that may claim from the subscription; NULL: any eventstore_projector';

COMMENT ON COLUMN data.subscriptions.read_guard IS 'Sequence counting this subscription''s claims cut off while reading payloads (not transactional: it survives their rollback)';

CREATE FUNCTION private.lock_subscription(in_name text) RETURNS data.subscriptions
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_subscription data.subscriptions;
BEGIN
    SELECT s.* INTO l_subscription
    FROM data.subscriptions AS s
    WHERE s.subscription_name = private.check_subscription_name(in_name, 'in_subscription')
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_subscription(in_name);
    END IF;
    RETURN l_subscription;
END;
$$;

CREATE FUNCTION private.lock_tags(in_events jsonb, in_condition jsonb) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_key record;
BEGIN
    FOR l_key IN
        SELECT hashtextextended(k.name, 0) AS key, bool_or(k.exclusive) AS exclusive
        FROM (
            SELECT 'dcb any' AS name, false AS exclusive
            UNION ALL
            SELECT 'dcb type ' || (e.element ->> 'event_type'), false
            FROM jsonb_array_elements(in_events) AS e(element)
            UNION ALL
            SELECT 'dcb tag ' || g.tag, false
            FROM jsonb_array_elements(in_events) AS e(element)
            CROSS JOIN LATERAL jsonb_array_elements_text(COALESCE(e.element -> 'tags', '[]')) AS g(tag)
            UNION ALL
            SELECT CASE WHEN cardinality(q.tags) > 0 THEN 'dcb tag ' || q.tags[1]
                        WHEN q.types IS NOT NULL THEN 'dcb type ' || y.event_type
                        ELSE 'dcb any' END, true
            FROM private.tag_items(in_condition) AS q
            LEFT JOIN LATERAL unnest(CASE WHEN cardinality(q.tags) = 0 THEN q.types END) AS y(event_type) ON true
            WHERE in_condition IS NOT NULL
        ) AS k
        GROUP BY 1
        ORDER BY 1
    LOOP
        IF l_key.exclusive THEN
            PERFORM pg_advisory_xact_lock(l_key.key);
        ELSE
            PERFORM pg_advisory_xact_lock_shared(l_key.key);
        END IF;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.lock_tags(in_events jsonb, in_condition jsonb) IS 'Takes, in key order, the shared locks of a tagged append''s events and the exclusive locks of its condition';

CREATE FUNCTION private.log_block(in_generation integer, in_transaction_id xid8) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (((((in_generation - 1))::numeric * '18446744073709551616'::numeric) + ((in_transaction_id)::text)::numeric) * ('4294967296'::bigint)::numeric);

COMMENT ON FUNCTION private.log_block(in_generation integer, in_transaction_id xid8) IS 'Where a transaction''s block of log numbers starts: its events'' numbers are above it';

CREATE FUNCTION private.log_events(in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_event_types text[] DEFAULT NULL::text[], in_stream_types text[] DEFAULT NULL::text[], in_horizon_generation integer DEFAULT NULL::integer, in_horizon_transaction_id xid8 DEFAULT NULL::xid8) RETURNS SETOF data.events
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_sort TO 'off'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
DECLARE
    l_horizon_generation integer := in_horizon_generation;
    l_horizon_transaction_id xid8 := in_horizon_transaction_id;
BEGIN
    IF l_horizon_generation IS NULL THEN
        SELECT h.generation, h.transaction_id INTO l_horizon_generation, l_horizon_transaction_id
        FROM private.conservative_horizon() AS h;
    END IF;

    RETURN QUERY
    SELECT e.*
    FROM private.events_as_read AS e
    WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                 in_after_generation, in_after_transaction_id, in_after_global_position,
                                 l_horizon_generation, l_horizon_transaction_id)
      AND (in_event_types IS NULL OR e.event_type = ANY (in_event_types))
      AND (in_stream_types IS NULL OR e.stream_type = ANY (in_stream_types))
    ORDER BY e.generation, e.transaction_id, e.global_position
    LIMIT in_limit;
END;
$$;

COMMENT ON FUNCTION private.log_events(in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8) IS 'Events after a log position up to the horizon, in log order, filtered by event and stream types';

CREATE FUNCTION private.log_number(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_created_at timestamp with time zone) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT private.log_number_base(in_generation, in_transaction_id, in_created_at) + in_global_position $$;

COMMENT ON FUNCTION private.log_number(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_created_at timestamp with time zone) IS 'The log number of the event at a log position: strictly increasing in log order, one block per transaction, never changing';

CREATE FUNCTION private.log_number_base(in_generation integer, in_transaction_id xid8, in_created_at timestamp with time zone) RETURNS numeric
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_bitmapscan TO 'off'
    AS $$
DECLARE
    l_first bigint;
    l_removed bigint;
BEGIN
    SELECT pg_catalog.min(e.global_position) INTO l_first
    FROM data.events AS e
    WHERE e.created_at = in_created_at AND e.generation = in_generation AND e.transaction_id = in_transaction_id;
    SELECT pg_catalog.min(r.global_position) INTO l_removed
    FROM data.removed_events AS r
    WHERE r.generation = in_generation AND r.transaction_id = in_transaction_id;
    RETURN private.log_block(in_generation, in_transaction_id) + 1 - LEAST(l_first, l_removed);
END;
$$;

COMMENT ON FUNCTION private.log_number_base(in_generation integer, in_transaction_id xid8, in_created_at timestamp with time zone) IS 'The base of a transaction''s log numbers: an event''s number is it plus the event''s global position';

CREATE FUNCTION private.log_number_position(in_number numeric, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_block numeric;
    l_offset bigint;
    l_generation integer;
    l_transaction_id xid8;
    l_base numeric;
BEGIN
    IF in_number IS NULL OR in_number = 0 THEN
        generation := 0;
        transaction_id := '0'::xid8;
        global_position := 0;
        RETURN;
    END IF;
    IF in_number < 0 OR in_number <> pg_catalog.trunc(in_number)
       OR in_number >= 2147483647::numeric * 18446744073709551616 * 4294967296 THEN
        RAISE EXCEPTION 'a log number must be NULL or an integer from 0 to 2^127, got %', pg_catalog.left(in_number::text, 60)
            USING ERRCODE = 'ZE003';
    END IF;
    l_block := pg_catalog.div(in_number, 4294967296);
    l_offset := pg_catalog.mod(in_number, 4294967296)::bigint;
    l_generation := (pg_catalog.div(l_block, 18446744073709551616) + 1)::integer;
    l_transaction_id := pg_catalog.mod(l_block, 18446744073709551616)::text::xid8;
    -- The inverse of private.log_number: the number less its transaction's base, which is any
    -- of the transaction's events' stored number less its global position. A transaction with
    -- no event left has no position inside it: its start or its end.
    SELECT e.log_number - e.global_position INTO l_base
    FROM data.events AS e
    WHERE e.generation = l_generation AND e.transaction_id = l_transaction_id
    LIMIT 1;
    generation := l_generation;
    transaction_id := l_transaction_id;
    global_position := CASE WHEN l_base IS NOT NULL THEN (in_number - l_base)::bigint
                            WHEN l_offset = 0 THEN 0
                            ELSE 9223372036854775807 END;
END;
$$;

COMMENT ON FUNCTION private.log_number_position(in_number numeric, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) IS 'The cursor position of a log number (the start of the log for NULL or 0); ZE003 for anything but an integer in range';

CREATE FUNCTION private.log_refs(in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8) RETURNS TABLE(id uuid, created_at timestamp with time zone, generation integer, transaction_id xid8, global_position bigint, stream_type text, stream_id uuid, version integer)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_sort TO 'off'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
BEGIN
    RETURN QUERY
    SELECT e.id, e.created_at, e.generation, e.transaction_id, e.global_position,
           e.stream_type, e.stream_id, e.version
    FROM data.events AS e
    WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                 in_after_generation, in_after_transaction_id, in_after_global_position,
                                 in_horizon_generation, in_horizon_transaction_id)
      AND (in_event_types IS NULL OR e.event_type = ANY (in_event_types))
      AND (in_stream_types IS NULL OR e.stream_type = ANY (in_stream_types))
    ORDER BY e.generation, e.transaction_id, e.global_position
    LIMIT in_limit;
END;
$$;

CREATE FUNCTION private.make_invoker(in_function regprocedure, in_kind text, in_registrant name, in_check boolean DEFAULT true) RETURNS regprocedure
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_problem text;
    l_name text;
    l_signature text;
    l_types text;
    l_invoker regprocedure;
BEGIN
    IF in_check THEN
        l_problem := private.registration_problem(in_function, in_registrant);
        IF l_problem IS NOT NULL THEN
            RAISE EXCEPTION '% % cannot be registered by %: %', in_kind, in_function, in_registrant, l_problem
                USING ERRCODE = 'ZE010',
                      HINT = 'Register a function of your own, in a schema only you (or the bundle''s owner) can create objects in.';
        END IF;
    END IF;

    -- Named for what it runs and as whom (the hash keeps the name within 63 bytes, unique).
    l_name := pg_catalog.format('%s_%s_%s', in_kind,
                                pg_catalog.left((SELECT f.proname FROM pg_catalog.pg_proc AS f WHERE f.oid = in_function), 30),
                                pg_catalog.left(pg_catalog.md5(in_function::text || ' as ' || in_registrant), 12));
    l_signature := CASE in_kind
        WHEN 'handler'  THEN '(in_events data.events[])'
        WHEN 'reset'    THEN '()'
        WHEN 'upcaster' THEN '(in_event_data jsonb)'
        WHEN 'reducer'  THEN '(in_state jsonb, in_event data.events)'
    END;
    l_types := CASE in_kind
        WHEN 'handler'  THEN '(data.events[])'
        WHEN 'reset'    THEN '()'
        WHEN 'upcaster' THEN '(jsonb)'
        WHEN 'reducer'  THEN '(jsonb, data.events)'
    END;
    l_invoker := pg_catalog.to_regprocedure('registered.' || pg_catalog.quote_ident(l_name) || l_types);
    IF l_invoker IS NOT NULL THEN
        RETURN l_invoker;
    END IF;

    EXECUTE pg_catalog.format(
        'CREATE FUNCTION registered.%I%s RETURNS %s LANGUAGE sql SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp BEGIN ATOMIC SELECT %s%s; END',
        l_name, l_signature,
        CASE WHEN in_kind IN ('handler', 'reset') THEN 'void' ELSE 'jsonb' END,
        in_function::oid::regproc,
        CASE in_kind WHEN 'handler' THEN '(in_events)' WHEN 'reset' THEN '()'
                     WHEN 'upcaster' THEN '(in_event_data)' WHEN 'reducer' THEN '(in_state, in_event)' END);
    l_invoker := pg_catalog.to_regprocedure('registered.' || pg_catalog.quote_ident(l_name) || l_types);
    EXECUTE pg_catalog.format('COMMENT ON FUNCTION %s IS %L', l_invoker,
                              pg_catalog.format('Runs %s %s with the rights of %s', in_kind, in_function, in_registrant));
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', l_invoker);
    IF in_registrant <> current_user THEN
        BEGIN
            EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %I', l_invoker, in_registrant);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '% % cannot be registered by %: the bundle''s owner % cannot create functions owned by %',
                    in_kind, in_function, in_registrant, current_user, in_registrant
                USING ERRCODE = 'ZE010',
                      HINT = 'Deploy the bundle as a superuser, or GRANT ' || in_registrant || ' TO ' || current_user || '.';
        END;
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %I', l_invoker, current_user);
    END IF;
    RETURN l_invoker;
END;
$$;

COMMENT ON FUNCTION private.make_invoker(in_function regprocedure, in_kind text, in_registrant name, in_check boolean) IS 'The invoker (registered.*) running in_function with in_registrant''s rights; ZE010 if it may not';

CREATE FUNCTION private.make_read_guard(in_name text) RETURNS regclass
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_name text := 'subscription_reads_' || pg_catalog.md5(in_name);
BEGIN
    EXECUTE pg_catalog.format('CREATE UNLOGGED SEQUENCE data.%I AS bigint MINVALUE 0 START 0', l_name);
    EXECUTE pg_catalog.format('REVOKE ALL ON SEQUENCE data.%I FROM PUBLIC', l_name);
    RETURN pg_catalog.format('data.%I', l_name)::regclass;
END;
$$;

COMMENT ON FUNCTION private.make_read_guard(in_name text) IS 'Creates the sequence that counts a subscription''s claims cut off while reading (data.subscriptions.read_guard)';

CREATE FUNCTION private.mark_projection_failed(in_projection_name text, in_sqlstate text, in_message text, in_event_id uuid DEFAULT NULL::uuid) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    UPDATE data.projection_checkpoints AS c
    SET status = 'failed',
        error_message = in_sqlstate || ': ' || in_message,
        failed_event_id = in_event_id,
        failed_at = pg_catalog.now()
    WHERE c.projection_name = in_projection_name AND c.status IN ('running', 'rebuilding');
$$;

CREATE FUNCTION private.maybe_create_snapshot(in_events data.events[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_target record;
    l_snapshot record;
    l_events data.events[];
    l_read_snapshot pg_snapshot;
BEGIN
    FOR l_target IN
        SELECT e.stream_type, e.stream_id, r.reducer_invoker AS reducer, r.reducer_version,
               (max(e.version) / r.snapshot_interval) * r.snapshot_interval AS version
        FROM pg_catalog.unnest(in_events) AS e
        JOIN data.reducers AS r ON r.stream_type = e.stream_type
        WHERE r.snapshot_interval IS NOT NULL
        GROUP BY e.stream_type, e.stream_id, r.reducer_invoker, r.reducer_version, r.snapshot_interval
        -- the batch carries the stream across a multiple of its interval
        HAVING (max(e.version) / r.snapshot_interval) * r.snapshot_interval >= min(e.version)
    LOOP
        SELECT s.version, s.state INTO l_snapshot
        FROM data.snapshots AS s
        WHERE s.stream_type = l_target.stream_type AND s.stream_id = l_target.stream_id
          AND s.reducer_version = l_target.reducer_version;
        CONTINUE WHEN l_snapshot.version >= l_target.version;

        BEGIN
            l_read_snapshot := pg_catalog.pg_current_snapshot();  -- before the read (private.save_snapshot)
            SELECT pg_catalog.array_agg(ROW(e.*)::data.events ORDER BY e.version) INTO l_events
            FROM private.events_as_read AS e
            WHERE e.stream_type = l_target.stream_type AND e.stream_id = l_target.stream_id
              AND e.version > COALESCE(l_snapshot.version, 0) AND e.version <= l_target.version;
            CALL private.save_snapshot(l_target.stream_type, l_target.stream_id, l_target.version,
                                       private.fold_events(l_target.reducer, COALESCE(l_snapshot.state, '{}'), l_events),
                                       l_read_snapshot);
        EXCEPTION WHEN OTHERS THEN
            -- A writer may append what the reducer cannot fold: that stream gets no snapshot
            -- (loading it fails the same way); every other stream still does.
            IF pg_catalog.left(SQLSTATE, 2) IN ('40', '53', '57') THEN
                RAISE;
            END IF;
            RAISE WARNING 'no snapshot of %/% at version %: % (%)', l_target.stream_type, l_target.stream_id,
                l_target.version, SQLERRM, SQLSTATE;
        END;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.maybe_create_snapshot(in_events data.events[]) IS 'Projection snapshots: saves the state of a stream at every multiple of its reducer''s snapshot interval';

CREATE FUNCTION private.new_subject_key() RETURNS bytea
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$ SELECT public.gen_random_bytes(32) $$;

CREATE FUNCTION private.notify_events(in_events data.events[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_stream record;
BEGIN
    IF api.projection_replaying() THEN
        RETURN;  -- sent when the log first reached these events
    END IF;
    FOR l_stream IN
        SELECT e.stream_type, e.stream_id, max(e.version) AS version
        FROM pg_catalog.unnest(in_events) WITH ORDINALITY AS e
        GROUP BY e.stream_type, e.stream_id
        ORDER BY min(e.ordinality)
    LOOP
        PERFORM pg_catalog.pg_notify('eventstore_events', CASE
            WHEN pg_catalog.octet_length(l_stream.stream_type) <= 7000
            THEN pg_catalog.json_build_object('stream_type', l_stream.stream_type, 'stream_id', l_stream.stream_id,
                                              'version', l_stream.version)::text
            ELSE pg_catalog.json_build_object('stream_type', NULL, 'stream_id', l_stream.stream_id,
                                              'version', l_stream.version)::text END);
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.notify_events(in_events data.events[]) IS 'Projection notifications: NOTIFY eventstore_events {stream_type, stream_id, version} per stream, in log order';

CREATE FUNCTION private.number_event() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    NEW.log_number := COALESCE(private.log_number_base(NEW.generation, NEW.transaction_id, NEW.created_at),
                               private.log_block(NEW.generation, NEW.transaction_id) + 1 - NEW.global_position)
                      + NEW.global_position;
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION private.number_event() IS 'Trigger: the log number of an event inserted without one (private.log_number)';

CREATE FUNCTION private.oldest_transaction_pid() RETURNS integer
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT a.pid
    FROM pg_catalog.pg_stat_activity AS a
    WHERE a.backend_xid IS NOT NULL AND a.pid <> pg_catalog.pg_backend_pid()
    ORDER BY pg_catalog.age(a.backend_xid) DESC
    LIMIT 1;
$$;

COMMENT ON FUNCTION private.oldest_transaction_pid() IS 'The session holding the oldest running transaction id of the cluster (what the conservative horizon waits for)';

CREATE FUNCTION private.open_sealed(in_sealed jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_key bytea;
BEGIN
    IF pg_catalog.jsonb_typeof(in_sealed) IS DISTINCT FROM 'object'
       OR pg_catalog.jsonb_typeof(in_sealed -> 'data') IS DISTINCT FROM 'string'
       OR (in_sealed ->> 'key') !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN NULL;
    END IF;
    SELECT k.key INTO l_key FROM data.subject_keys AS k WHERE k.key_id = (in_sealed ->> 'key')::uuid;
    IF l_key IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN private.open_value(in_sealed ->> 'data', l_key);
EXCEPTION
    WHEN OTHERS THEN  -- not base64, wrong key or padding, not UTF-8, not JSON (a cancel is not caught)
        RETURN NULL;
END;
$_$;

COMMENT ON FUNCTION private.open_sealed(in_sealed jsonb) IS 'A sealed value opened ({key, data}): its JSON while the key exists, NULL otherwise (never raises on bad ciphertext)';

CREATE FUNCTION private.open_value(in_sealed text, in_key bytea) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
            SELECT pg_catalog.convert_from(public.decrypt_iv(pg_catalog.substr(r.raw, 17), in_key,
                                                           pg_catalog.substr(r.raw, 1, 16), 'aes-cbc/pad:pkcs'),
                                           'UTF8')::jsonb
            FROM (SELECT pg_catalog.decode(in_sealed, 'base64') AS raw) AS r
        $$;

COMMENT ON FUNCTION private.open_value(in_sealed text, in_key bytea) IS 'The JSON value private.seal_value sealed';

CREATE FUNCTION private.own_version(in_metadata jsonb, in_version integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $_$
    -- Nested, so that not even the planner's folding of a constant casts a text that is no number.
    SELECT CASE WHEN pg_catalog.jsonb_typeof(in_metadata -> 'originator_version') IN ('number', 'string')
                     AND (in_metadata ->> 'originator_version') OPERATOR(pg_catalog.~) '^-?[0-9]{1,10}$'
                THEN CASE WHEN (in_metadata ->> 'originator_version')::bigint BETWEEN -2147483648 AND 2147483647
                          THEN (in_metadata ->> 'originator_version')::integer
                          ELSE in_version END
                ELSE in_version END;
$_$;

COMMENT ON FUNCTION private.own_version(in_metadata jsonb, in_version integer) IS 'An event''s own version (metadata.originator_version, an integer), else its store version';

CREATE TABLE data.subscription_events (
    subscription_name text NOT NULL,
    event_id uuid NOT NULL,
    event_created_at timestamp with time zone NOT NULL,
    generation integer NOT NULL,
    transaction_id xid8 NOT NULL,
    global_position bigint NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    consumer text,
    leased_at timestamp with time zone,
    leased_until timestamp with time zone,
    last_error text,
    parked_at timestamp with time zone,
    claimed_by name,
    CONSTRAINT subscription_events_check CHECK (((consumer IS NULL) = (leased_until IS NULL))),
    CONSTRAINT subscription_events_check1 CHECK (((parked_at IS NULL) OR (consumer IS NULL)))
);

COMMENT ON TABLE data.subscription_events IS 'Events of a subscription delivered again, waiting behind an earlier event of their stream, or parked';

COMMENT ON COLUMN data.subscription_events.claimed_by IS 'The role that claimed the event while it is in flight: only it (or an admin) acknowledges or gives it back';

CREATE FUNCTION private.parked_event(in_subscription text, in_event_id uuid) RETURNS data.subscription_events
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_event data.subscription_events;
BEGIN
    PERFORM private.check_event_exists(in_event_id);
    SELECT se.* INTO l_event
    FROM data.subscription_events AS se
    WHERE se.subscription_name = in_subscription AND se.event_id = in_event_id AND se.parked_at IS NOT NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'event % is not parked in subscription %', in_event_id, pg_catalog.quote_literal(in_subscription)
            USING ERRCODE = 'ZE014',
                  HINT = 'api.parked_events lists the parked events.';
    END IF;
    RETURN l_event;
END;
$$;

CREATE FUNCTION private.projection_acted_until(in_projection_name text, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) RETURNS record
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE WHEN (c.generation, c.transaction_id, c.global_position)
                     >= (p.replay_generation, p.replay_transaction_id, p.replay_global_position)
                THEN c.generation ELSE p.replay_generation END,
           CASE WHEN (c.generation, c.transaction_id, c.global_position)
                     >= (p.replay_generation, p.replay_transaction_id, p.replay_global_position)
                THEN c.transaction_id ELSE p.replay_transaction_id END,
           CASE WHEN (c.generation, c.transaction_id, c.global_position)
                     >= (p.replay_generation, p.replay_transaction_id, p.replay_global_position)
                THEN c.global_position ELSE p.replay_global_position END
    FROM data.projections AS p
    JOIN data.projection_checkpoints AS c ON c.projection_name = p.projection_name
    WHERE p.projection_name = in_projection_name;
$$;

COMMENT ON FUNCTION private.projection_acted_until(in_projection_name text, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) IS 'The log position up to which the live version of a projection has acted (checkpoint or replay mark, the later)';

CREATE FUNCTION private.projection_status() RETURNS TABLE(projection_name text, status text, last_event_id uuid, last_processed timestamp with time zone, events_applied bigint, events_behind bigint, events_held_back bigint, oldest_xact_pid integer, oldest_xact_database text, oldest_xact_user text, oldest_xact_age interval, oldest_xact_query text, error_message text, failed_event_id uuid, failed_at timestamp with time zone, events_behind_exact boolean, horizon_fallback text, version_of text, version integer, live boolean, events_behind_live bigint, ready_to_promote boolean)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    WITH v AS (
        SELECT p.projection_name, p.version_of, p.version, p.projection_name = p.version_of AS live,
               c.status, c.last_event_id, c.last_processed, c.events_applied,
               c.error_message, c.failed_event_id, c.failed_at,
               counts.behind, counts.held_back, counts.exact,
               h.pid, h.database, h.username, h.age, h.query, h.fallback
        FROM data.projections AS p
        JOIN data.projection_checkpoints AS c ON c.projection_name = p.projection_name
        CROSS JOIN private.status_horizon() AS h
        CROSS JOIN LATERAL private.count_events_after(c.generation, c.transaction_id, c.global_position,
                                                      p.event_types, p.stream_types,
                                                      h.generation, h.transaction_id) AS counts
    )
    -- A version that is not live is behind the live one by the difference of their lags (it
    -- never passes the live one): ready once that is within eventstore.promotion_max_lag.
    SELECT v.projection_name, v.status, v.last_event_id, v.last_processed, v.events_applied,
           v.behind, v.held_back,
           v.pid, v.database, v.username, v.age, v.query,
           v.error_message, v.failed_event_id, v.failed_at, v.exact, v.fallback,
           v.version_of, v.version, v.live,
           GREATEST(v.behind - l.behind, 0),
           NOT v.live AND v.status IN ('running', 'rebuilding')
               AND GREATEST(v.behind - l.behind, 0) <= private.promotion_max_lag()
    FROM v
    JOIN v AS l ON l.projection_name = v.version_of
    ORDER BY v.version_of, v.live DESC, v.version;
$$;

CREATE PROCEDURE private.projection_worker(IN in_seconds numeric DEFAULT 55)
    LANGUAGE plpgsql
    AS $$
DECLARE
    l_deadline timestamptz := pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => in_seconds);
    l_names text[];
    l_name text;
    l_applied integer;
    l_idle_sleep numeric := 0.01;
BEGIN
    LOOP
        l_applied := 0;
        SELECT pg_catalog.array_agg(c.projection_name ORDER BY c.projection_name) INTO l_names
        FROM data.projection_checkpoints AS c
        WHERE c.status IN ('running', 'rebuilding');
        COMMIT;

        FOREACH l_name IN ARRAY COALESCE(l_names, '{}') LOOP
            l_applied := l_applied + private.run_projection_guarded(l_name, NULL);
            COMMIT;  -- one batch, one transaction: short, so it holds no reader back
        END LOOP;

        EXIT WHEN pg_catalog.clock_timestamp() >= l_deadline;
        IF l_applied = 0 THEN
            PERFORM pg_catalog.pg_sleep(l_idle_sleep);
            l_idle_sleep := LEAST(l_idle_sleep * 2, 0.2);
        ELSE
            l_idle_sleep := 0.01;
        END IF;
    END LOOP;
END;
$$;

COMMENT ON PROCEDURE private.projection_worker(IN in_seconds numeric) IS 'Runs every projection batch after batch, committing each, for in_seconds (pg_cron job)';

CREATE FUNCTION private.promotion_max_lag() RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_setting text := pg_catalog.btrim(COALESCE(pg_catalog.current_setting('eventstore.promotion_max_lag', true), ''));
BEGIN
    IF l_setting = '' THEN
        RETURN 1000;
    ELSIF l_setting ~ '^[0-9]{1,12}$' THEN
        RETURN l_setting::bigint;
    END IF;
    RETURN NULL;
END;
$_$;

CREATE FUNCTION private.publish_read_horizon(in_horizon bigint) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET lock_timeout TO '50ms'
    AS $$
BEGIN
    LOCK TABLE data.read_horizon_publisher IN EXCLUSIVE MODE;
    IF (SELECT s.last_value FROM data.read_horizon AS s) < in_horizon THEN
        PERFORM pg_catalog.setval('data.read_horizon', in_horizon);
    END IF;
    -- Not an error: the way out of the subtransaction that releases the lock.
    RAISE EXCEPTION 'read horizon published' USING ERRCODE = 'ZE900';
EXCEPTION
    WHEN SQLSTATE 'ZE900' THEN
        RETURN true;
    WHEN lock_not_available THEN
        RETURN false;
END;
$$;

CREATE FUNCTION private.raise_append_conflict(in_stream_type text, in_stream_id uuid, in_expected_version integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_actual integer;
BEGIN
    SELECT s.current_version INTO l_actual
    FROM data.event_streams AS s
    WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id;
    l_actual := COALESCE(l_actual, 0);
    IF private.stream_is_deleted(in_stream_type, in_stream_id) THEN
        RAISE EXCEPTION 'stream %/% was deleted: nothing can be appended to it', in_stream_type, in_stream_id
            USING ERRCODE = 'ZE015',
                  HINT = 'A deleted stream stays deleted; an admin may purge it (api.purge_stream), which frees its id.';
    END IF;

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
              DETAIL = pg_catalog.jsonb_build_object('stream_type', in_stream_type, 'stream_id', in_stream_id,
                                                     'expected', in_expected_version, 'actual', l_actual)::text,
              HINT = 'Reload the stream, re-decide, and append with the version you read.';
END;
$$;

COMMENT ON FUNCTION private.raise_append_conflict(in_stream_type text, in_stream_id uuid, in_expected_version integer) IS 'Raises ZE001 (wrong expected version) or 40001 (stream written by a newer transaction)';

CREATE FUNCTION private.raise_if_locked(in_table regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_pid integer;
BEGIN
    SELECT l.pid INTO l_pid FROM pg_catalog.pg_locks AS l
    WHERE l.locktype = 'relation' AND l.relation = in_table AND l.granted
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database AS d WHERE d.datname = pg_catalog.current_database())
      AND l.pid <> pg_catalog.pg_backend_pid()
    LIMIT 1;
    IF l_pid IS NOT NULL THEN
        RAISE EXCEPTION '% is in use by process %', in_table, l_pid USING ERRCODE = '55P03';
    END IF;
END;
$$;

CREATE FUNCTION private.raise_unknown_projection(in_projection_name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RAISE EXCEPTION 'unknown projection: %', COALESCE(in_projection_name, 'NULL')
        USING ERRCODE = 'ZE005',
              HINT = 'Registered: ' || COALESCE((SELECT pg_catalog.string_agg(p.projection_name, ', '
                                                        ORDER BY p.projection_name)
                                                 FROM data.projections AS p), 'none');
END;
$$;

CREATE FUNCTION private.raise_unknown_projection_version(in_projection_name text, in_version integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RAISE EXCEPTION 'projection % has no version %', in_projection_name, COALESCE(in_version::text, 'NULL')
        USING ERRCODE = 'ZE005',
              HINT = 'Its versions: ' || (SELECT pg_catalog.string_agg(
                                                     p.version::text || CASE WHEN p.projection_name = p.version_of
                                                                             THEN ' (live)' ELSE '' END,
                                                     ', ' ORDER BY p.version)
                                          FROM data.projections AS p WHERE p.version_of = in_projection_name);
END;
$$;

CREATE FUNCTION private.raise_unknown_subscription(in_name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RAISE EXCEPTION 'unknown subscription: %', COALESCE(pg_catalog.quote_literal(pg_catalog.left(in_name, 200)), 'NULL')
        USING ERRCODE = 'ZE013',
              HINT = CASE WHEN private.calling_admin()
                          THEN 'Subscriptions: ' || COALESCE((SELECT pg_catalog.string_agg(pg_catalog.left(s.subscription_name, 60), ', '
                                                                      ORDER BY s.subscription_name)
                                                              FROM (SELECT x.subscription_name FROM data.subscriptions AS x
                                                                    ORDER BY x.subscription_name LIMIT 20) AS s), 'none')
                          ELSE 'An admin can list the subscriptions (api.subscription_status).' END;
END;
$$;

CREATE FUNCTION private.read_deliveries_one_by_one(in_subscription text, in_ids uuid[], in_created timestamp with time zone[], in_attempts integer[]) RETURNS private.subscription_delivery[]
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_result private.subscription_delivery[] := '{}';
    l_delivery private.subscription_delivery;
    l_blocked text[] := '{}';
    l_item record;
    l_read record;
BEGIN
    FOR l_item IN
        SELECT d.id, d.created_at, d.attempt, e.stream_type || '/' || e.stream_id::text AS stream
        FROM ROWS FROM (pg_catalog.unnest(in_ids), pg_catalog.unnest(in_created), pg_catalog.unnest(in_attempts))
             WITH ORDINALITY AS d(id, created_at, attempt, ord)
        JOIN data.events AS e ON e.id = d.id AND e.created_at = d.created_at
        ORDER BY d.ord
    LOOP
        IF l_item.stream = ANY (l_blocked) THEN
            UPDATE data.subscription_events AS se
            SET consumer = NULL, leased_at = NULL, leased_until = NULL, attempts = se.attempts - 1
            WHERE se.subscription_name = in_subscription AND se.event_id = l_item.id;
            CONTINUE;
        END IF;
        l_read := private.read_event_alone(l_item.id, l_item.created_at);
        IF l_read.error_sqlstate IS NULL THEN
            l_delivery := ROW(l_item.id, l_read.stream_type, l_read.stream_id, l_read.version,
                              l_read.event_type, l_read.event_data, l_read.metadata, l_item.created_at,
                              l_item.attempt);
            l_result := l_result || l_delivery;
        ELSE
            UPDATE data.subscription_events AS se
            SET consumer = NULL, leased_at = NULL, leased_until = NULL, parked_at = pg_catalog.clock_timestamp(),
                last_error = pg_catalog.left('unreadable: ' || l_read.error_sqlstate || ': ' || l_read.error_message, 2000)
            WHERE se.subscription_name = in_subscription AND se.event_id = l_item.id;
            l_blocked := l_blocked || l_item.stream;
        END IF;
    END LOOP;
    RETURN l_result;
END;
$$;

CREATE FUNCTION private.read_event_alone(in_id uuid, in_created_at timestamp with time zone, OUT stream_type text, OUT stream_id uuid, OUT version integer, OUT event_type text, OUT event_data jsonb, OUT metadata jsonb, OUT error_sqlstate text, OUT error_message text) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    SELECT u.stream_type, u.stream_id, u.version, u.event_type, u.event_data, u.metadata
    INTO STRICT stream_type, stream_id, version, event_type, event_data, metadata
    FROM private.events_as_read AS u
    WHERE u.id = in_id AND u.created_at = in_created_at;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS error_sqlstate = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT;
    stream_type := NULL; stream_id := NULL; version := NULL;
    event_type := NULL; event_data := NULL; metadata := NULL;
END;
$$;

COMMENT ON FUNCTION private.read_event_alone(in_id uuid, in_created_at timestamp with time zone, OUT stream_type text, OUT stream_id uuid, OUT version integer, OUT event_type text, OUT event_data jsonb, OUT metadata jsonb, OUT error_sqlstate text, OUT error_message text) IS 'One event as readers read it, or the SQLSTATE and message of why it cannot be read';

CREATE FUNCTION private.read_horizon(OUT generation integer, OUT transaction_id xid8, OUT holder_pid integer, OUT holder_gid text, OUT fallback text) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_safe record := private.conservative_horizon();
    l_h bigint;
    l_pids integer[];
    l_prepared boolean;
    l_oldest record;
BEGIN
    generation := l_safe.generation;
    transaction_id := l_safe.transaction_id;
    fallback := CASE WHEN l_safe.transaction_id = '0'::xid8 THEN 'no append in this cluster since the restore'
                     WHEN pg_catalog.pg_is_in_recovery() THEN 'hot standby'
                     WHEN pg_catalog.current_setting('transaction_isolation') <> 'read committed'
                         THEN pg_catalog.current_setting('transaction_isolation') || ' transaction'
                     WHEN pg_catalog.current_setting('transaction_read_only') = 'on' THEN 'read-only transaction' END;
    IF fallback IS NOT NULL THEN
        RETURN;
    END IF;

    -- 1. H: every transaction id assigned from now on is at least H.
    l_h := pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text::bigint;
    -- 2. Publish H before looking for appenders.
    IF (SELECT s.last_value FROM data.read_horizon AS s) < l_h
       AND NOT private.publish_read_horizon(l_h) THEN
        fallback := 'publishing the horizon was contended';
        RETURN;
    END IF;
    -- 3. The announced appenders of this database (a prepared one shows no pid)...
    SELECT pg_catalog.array_agg(l.pid) FILTER (WHERE l.pid IS NOT NULL), bool_or(l.pid IS NULL)
    INTO l_pids, l_prepared
    FROM pg_catalog.pg_locks AS l
    WHERE l.locktype = 'relation' AND l.relation = 'data.event_streams'::pg_catalog.regclass
      AND l.mode = 'RowExclusiveLock'
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database AS d
                        WHERE d.datname = pg_catalog.current_database());
    -- ... and then their transaction ids, as they are now (pg_stat_activity shows an id from
    -- the moment it is assigned; its lock in pg_locks comes a little later). None announced
    -- (a quiet log, or a reader between appends): nothing to look up.
    transaction_id := l_h::text::xid8;
    IF cardinality(l_pids) > 0 OR l_prepared THEN
        PERFORM pg_catalog.pg_stat_clear_snapshot();
        SELECT x.pid, x.gid, private.xid_near(x.xid, l_h) AS xid INTO l_oldest
        FROM (SELECT a.pid, NULL::text AS gid, a.backend_xid AS xid
              FROM pg_catalog.pg_stat_activity AS a
              WHERE a.pid = ANY (l_pids) AND a.backend_xid IS NOT NULL
              UNION ALL
              SELECT NULL, p.gid, p.transaction
              FROM pg_catalog.pg_prepared_xacts AS p
              WHERE l_prepared AND p.database = pg_catalog.current_database()) AS x
        ORDER BY 3
        LIMIT 1;
        -- 4. The oldest of them, if older than H; else H. (An appender whose id is H or newer
        -- does not lower it: a transaction with an id below H that is not announced yet may
        -- still pass its check against the published H, and must stay behind the horizon.)
        transaction_id := LEAST(l_oldest.xid, l_h)::text::xid8;
        -- The oldest open appender is who readers wait for (as soon as anything newer commits).
        holder_pid := l_oldest.pid;
        holder_gid := l_oldest.gid;
    END IF;
END;
$$;

COMMENT ON FUNCTION private.read_horizon(OUT generation integer, OUT transaction_id xid8, OUT holder_pid integer, OUT holder_gid text, OUT fallback text) IS 'Horizon of a whole-log read in a later statement: waits only for appenders (docs/read-horizon.md); fallback says why not';

CREATE FUNCTION private.readable_after(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_horizon_generation integer, in_horizon_transaction_id xid8) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ((ROW(in_generation, in_transaction_id, in_global_position) > ROW(in_after_generation, in_after_transaction_id, in_after_global_position)) AND (ROW(in_generation, in_transaction_id) < ROW(in_horizon_generation, in_horizon_transaction_id)));

COMMENT ON FUNCTION private.readable_after(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_horizon_generation integer, in_horizon_transaction_id xid8) IS 'The gap-free read: the event at a log position is after the cursor and before the read horizon';

CREATE FUNCTION private.refresh_event_type(in_event_type text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    INSERT INTO data.event_types AS t (event_type, current_version)
    SELECT in_event_type, v.current_version
    FROM (SELECT GREATEST((SELECT max(s.version) FROM data.event_schemas AS s WHERE s.event_type = in_event_type),
                          (SELECT max(u.from_version) + 1 FROM data.event_upcasters AS u
                           WHERE u.event_type = in_event_type)) AS current_version) AS v
    WHERE v.current_version IS NOT NULL
    ON CONFLICT (event_type) DO UPDATE SET current_version = excluded.current_version;
$$;

CREATE FUNCTION private.refuse_deleted_stream() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RAISE EXCEPTION 'stream %/% was deleted at %: nothing can be appended to it', OLD.stream_type, OLD.stream_id, OLD.deleted_at
        USING ERRCODE = 'ZE015',
              HINT = 'A deleted stream stays deleted; an admin may purge it (api.purge_stream), which frees its id.';
END;
$$;

CREATE FUNCTION private.refuse_event_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- A delete named by a sanctioned removal of this same transaction (api.purge_stream and
    -- api.apply_retention write the audit row first) goes through if the removal may remove
    -- it: a deleted stream's event, or an event past its stream type's retention. Nothing
    -- else does.
    IF TG_OP = 'DELETE' AND TG_LEVEL = 'ROW' AND EXISTS (
        SELECT FROM data.event_removals AS r
        WHERE r.transaction_id = pg_catalog.pg_current_xact_id()
          AND r.stream_type = OLD.stream_type
          AND (r.kind = 'purge' AND r.stream_id = OLD.stream_id
               AND private.stream_is_deleted(OLD.stream_type, OLD.stream_id)
               OR r.kind = 'retention' AND OLD.created_at < r.before
                  AND OLD.created_at < (SELECT private.retention_cutoff(p.keep) FROM data.retention_policies AS p
                                        WHERE p.stream_type = OLD.stream_type))) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'ZE008',
              HINT = 'Events are facts; correct one by appending a compensating event. '
                     'Old months are retired with api.detach_event_partitions; a deleted stream is removed with api.purge_stream.';
END;
$$;

COMMENT ON FUNCTION private.refuse_event_change() IS 'Trigger: refuses UPDATE, DELETE and TRUNCATE of events (SQLSTATE ZE008), except the deletes of a sanctioned removal (data.event_removals) of this transaction';

CREATE FUNCTION private.refuse_passed_appender(in_xid xid8) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_xid::text::bigint < (SELECT s.last_value FROM data.read_horizon AS s) THEN
        RAISE EXCEPTION 'this transaction (%) wrote before its first append, and a reader has read the log past it since',
                in_xid
            USING ERRCODE = '40001',
                  DETAIL = 'Its events would land behind what a whole-log reader already returned.',
                  HINT = 'Retry the transaction (or append first, then write the rest).';
    END IF;
END;
$$;

CREATE FUNCTION private.regex_problem(in_pattern text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF pg_catalog.char_length(in_pattern) > 1000 THEN
        RETURN pg_catalog.format('pattern must be at most 1000 characters, got %s', pg_catalog.char_length(in_pattern));
    END IF;
    -- A backslash and a digit 1-9 not itself escaped: a back-reference.
    IF in_pattern ~ '(^|[^\\])(\\\\)*\\[1-9]' THEN
        RETURN 'pattern must not use back-references (\1 ... \9): matching them can take exponential time';
    END IF;
    PERFORM '' ~ in_pattern;
    RETURN NULL;
EXCEPTION WHEN invalid_regular_expression THEN
    RETURN 'pattern is not a valid regular expression: ' || SQLERRM;
END;
$$;

CREATE FUNCTION private.registration_problem(in_function regprocedure, in_registrant name) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE
        WHEN n.nspname LIKE 'pg\_temp\_%' OR n.oid = pg_catalog.pg_my_temp_schema() THEN
            'it is a temporary function: it ends with its session'
        WHEN NOT private.acts_for(in_registrant, f.proowner) THEN
            pg_catalog.format('it is owned by %s, a role %s does not act as: its owner could change what runs with your rights',
                              pg_catalog.pg_get_userbyid(f.proowner), in_registrant)
        WHEN NOT private.acts_for(in_registrant, n.nspowner) THEN
            pg_catalog.format('its schema %s is owned by %s, a role %s does not act as', n.nspname,
                              pg_catalog.pg_get_userbyid(n.nspowner), in_registrant)
        WHEN EXISTS (SELECT FROM pg_catalog.aclexplode(n.nspacl) AS a
                     WHERE a.privilege_type = 'CREATE' AND NOT private.acts_for(in_registrant, a.grantee)) THEN
            pg_catalog.format('others may create objects in its schema %s (%s): one could shadow what it calls',
                              n.nspname,
                              (SELECT pg_catalog.string_agg(CASE a.grantee WHEN 0 THEN 'PUBLIC'
                                                            ELSE pg_catalog.pg_get_userbyid(a.grantee) END, ', ')
                               FROM pg_catalog.aclexplode(n.nspacl) AS a
                               WHERE a.privilege_type = 'CREATE' AND NOT private.acts_for(in_registrant, a.grantee)))
    END
    FROM pg_catalog.pg_proc AS f
    JOIN pg_catalog.pg_namespace AS n ON n.oid = f.pronamespace
    WHERE f.oid = in_function;
$$;

CREATE FUNCTION private.reset_projection_state(in_projection_name text, in_status text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_reset regprocedure;
BEGIN
    SELECT p.reset_handler_invoker INTO l_reset FROM data.projections AS p
    WHERE p.projection_name = in_projection_name;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    IF l_reset IS NULL THEN
        RAISE EXCEPTION 'projection % has no reset handler: it cannot be rebuilt', in_projection_name
            USING ERRCODE = 'ZE010',
                  HINT = 'Register it again with in_reset_handler.';
    END IF;

    -- Wait for a batch in progress to commit (the checkpoint row is the projection's
    -- lock); a run that starts while this transaction holds it does nothing.
    PERFORM FROM data.projection_checkpoints AS c WHERE c.projection_name = in_projection_name FOR UPDATE;
    -- What it has acted on stays acted on: the runner replays it (api.projection_replaying()).
    UPDATE data.projections AS p
    SET replay_generation = a.generation, replay_transaction_id = a.transaction_id,
        replay_global_position = a.global_position
    FROM private.projection_acted_until(in_projection_name) AS a
    WHERE p.projection_name = in_projection_name;
    EXECUTE pg_catalog.format('SELECT %s()',
                              private.invoker_call(l_reset, 'the reset handler of projection ' || in_projection_name));
    UPDATE data.projection_checkpoints AS c
    SET last_event_id = NULL, last_processed = pg_catalog.now(), status = in_status,
        error_message = NULL, generation = 0, transaction_id = '0', global_position = 0,
        failed_event_id = NULL, failed_at = NULL, events_applied = 0
    WHERE c.projection_name = in_projection_name;
END;
$$;

CREATE FUNCTION private.retention_cutoff(in_keep interval) RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT c.cutoff FROM (SELECT pg_catalog.now() - in_keep AS cutoff) AS c
    WHERE c.cutoff <= pg_catalog.now() - interval '1 day';
$$;

COMMENT ON FUNCTION private.retention_cutoff(in_keep interval) IS 'now() - in_keep if that is a day or more ago, else NULL: what a retention policy removes (events created before it)';

CREATE FUNCTION private.retire_event_partition(in_partition text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET lock_timeout TO '200ms'
    AS $$
DECLARE
    l_month date := pg_catalog.to_date(pg_catalog.substr(in_partition, 8), 'YYYY_MM');
BEGIN
    -- The lock first, once nobody holds the table (see private.raise_if_locked).
    PERFORM private.raise_if_locked('data.events');
    LOCK TABLE data.events IN ACCESS EXCLUSIVE MODE;
    PERFORM pg_catalog.set_config('eventstore.partition_maintenance', 'on', true);
    EXECUTE pg_catalog.format('ALTER TABLE data.events DETACH PARTITION data.%I', in_partition);
    EXECUTE pg_catalog.format(
        'INSERT INTO data.retired_event_partitions
             (partition_name, range_from, range_to, first_generation, first_transaction_id, first_global_position)
         SELECT %L, %L, %L, f.generation, f.transaction_id, f.global_position
         FROM (SELECT) AS one
         LEFT JOIN (SELECT e.generation, e.transaction_id, e.global_position FROM data.%I AS e
                    ORDER BY e.generation, e.transaction_id, e.global_position LIMIT 1) AS f ON true
         ON CONFLICT (partition_name) DO UPDATE
             SET range_from = excluded.range_from, range_to = excluded.range_to,
                 first_generation = excluded.first_generation,
                 first_transaction_id = excluded.first_transaction_id,
                 first_global_position = excluded.first_global_position,
                 retired_at = pg_catalog.now(), retired_by = session_user',
        in_partition, l_month::timestamp AT TIME ZONE 'UTC',
        (l_month + interval '1 month')::timestamp AT TIME ZONE 'UTC', in_partition);
    PERFORM pg_catalog.set_config('eventstore.partition_maintenance', 'off', true);
END;
$$;

CREATE FUNCTION private.reveal_personal_data(in_event_data jsonb) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    SELECT CASE WHEN pg_catalog.jsonb_typeof(in_event_data) IS DISTINCT FROM 'object'
                     OR NOT pg_catalog.jsonb_path_exists(in_event_data, '$.* ? (exists (@."$es_sealed"))')
                THEN in_event_data
                ELSE (SELECT pg_catalog.jsonb_object_agg(
                                 f.key,
                                 CASE WHEN pg_catalog.jsonb_typeof(f.value) = 'object' AND f.value ? '$es_sealed'
                                      THEN COALESCE(private.open_sealed(f.value -> '$es_sealed'), 'null'::jsonb)
                                      ELSE f.value END)
                      FROM pg_catalog.jsonb_each(in_event_data) AS f) END;
$_$;

COMMENT ON FUNCTION private.reveal_personal_data(in_event_data jsonb) IS 'An event payload with its sealed personal data opened (JSON null where the subject was forgotten); O(size)';

CREATE FUNCTION private.run_projection_batch(in_projection_name text, in_batch_size integer DEFAULT NULL::integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    -- A batch stops once its payloads pass this many bytes (stored size; one event at least).
    co_batch_bytes constant bigint := 16 * 1024 * 1024;
    l_p record;
    l_c record;
    l_horizon record;
    l_fetched data.events[];
    l_events data.events[];
    l_skips uuid[];
    l_count integer;
    l_fetched_count integer := 0;
    l_read_count integer := 0;
    l_limit integer;
    l_applied integer := 0;
    l_call text;
    l_failed data.events;
    l_sqlstate text;
    l_message text;
    l_last data.events;
    l_event data.events;
    l_unreadable record;
    l_cap record;          -- a version that is not live: how far the live one has acted
    l_mark record;         -- events at or below it are replays
    l_kept integer := 0;   -- the fetched events within the cap and on one side of the mark
    l_live boolean;
    l_capped boolean := false;
    l_replaying boolean := false;
    l_target record;
BEGIN
    -- A look without a lock first: a caught-up projection takes no lock, hence no
    -- transaction id (which would move the horizon every poll).
    SELECT p.version_of, c.status, c.generation, c.transaction_id, c.global_position
    INTO l_p
    FROM data.projections AS p
    JOIN data.projection_checkpoints AS c ON c.projection_name = p.projection_name
    WHERE p.projection_name = in_projection_name;

    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
    IF l_p.status NOT IN ('running', 'rebuilding') THEN
        RETURN 0;
    END IF;
    IF l_p.version_of <> in_projection_name AND l_p.status = 'running' AND (
            SELECT (a.generation, a.transaction_id, a.global_position)
                   <= (l_p.generation, l_p.transaction_id, l_p.global_position)
            FROM private.projection_acted_until(l_p.version_of) AS a) THEN
        RETURN 0;  -- a version that is not live, as far as the live one
    END IF;
    -- One horizon for the read and for the checkpoint: when fewer events than the limit
    -- come back, everything before this horizon has been examined.
    l_horizon := private.read_horizon();  -- the statements below read with later snapshots
    IF l_p.status = 'running' AND NOT EXISTS (
            SELECT FROM data.events AS e
            WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                         l_p.generation, l_p.transaction_id, l_p.global_position,
                                         l_horizon.generation, l_horizon.transaction_id)) THEN
        RETURN 0;  -- nothing new at all
    END IF;

    -- The checkpoint row is the projection's lock; a run that holds it does the work.
    SELECT c.status, c.generation, c.transaction_id, c.global_position INTO l_c
    FROM data.projection_checkpoints AS c
    WHERE c.projection_name = in_projection_name
    FOR NO KEY UPDATE SKIP LOCKED;
    IF NOT FOUND OR l_c.status NOT IN ('running', 'rebuilding') THEN
        RETURN 0;
    END IF;
    -- Read with the lock held: a promotion renames rows only with their checkpoints locked.
    SELECT p.handler_invoker, p.event_types, p.stream_types, p.batch_size, p.version_of,
           p.replay_generation, p.replay_transaction_id, p.replay_global_position
    INTO l_p
    FROM data.projections AS p
    WHERE p.projection_name = in_projection_name;
    l_live := l_p.version_of = in_projection_name;
    IF NOT l_live THEN
        SELECT a.generation, a.transaction_id, a.global_position INTO l_cap
        FROM private.projection_acted_until(l_p.version_of) AS a;
        l_mark := l_cap;
    ELSE
        SELECT l_p.replay_generation AS generation, l_p.replay_transaction_id AS transaction_id,
               l_p.replay_global_position AS global_position
        INTO l_mark;
        l_cap := l_mark;  -- not used for the live version (assigned: PL/pgSQL reads every field of a condition)
    END IF;

    l_limit := COALESCE(in_batch_size, l_p.batch_size);
    l_skips := ARRAY(SELECT s.event_id FROM data.projection_skips AS s
                     WHERE s.projection_name = in_projection_name);
    IF pg_catalog.cardinality(l_p.event_types) = 0 OR pg_catalog.cardinality(l_p.stream_types) = 0 THEN
        l_count := 0;  -- follows nothing (yet)
    ELSE
        FOR l_attempt IN 1 .. 2 LOOP
            BEGIN
                -- l_read_count: what the read returned; l_fetched: the part within the bytes.
                SELECT pg_catalog.array_agg(b.e ORDER BY b.ord) FILTER (WHERE COALESCE(b.bytes_before, 0) < co_batch_bytes),
                       count(*)
                INTO l_fetched, l_read_count
                FROM (SELECT e, pg_catalog.row_number() OVER () AS ord,
                             sum(pg_catalog.pg_column_size(e.event_data) + pg_catalog.pg_column_size(e.metadata))
                                 OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS bytes_before
                      FROM private.log_events(l_c.generation, l_c.transaction_id, l_c.global_position, l_limit,
                                              l_p.event_types, l_p.stream_types,
                                              l_horizon.generation, l_horizon.transaction_id) AS e) AS b;
                EXIT;
            EXCEPTION WHEN program_limit_exceeded OR out_of_memory THEN
                -- Payloads that compress well can still be too big together: one at a time.
                IF l_attempt = 2 THEN
                    RAISE;
                END IF;
                l_limit := 1;
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
                IF pg_catalog.left(l_sqlstate, 2) IN ('40', '53', '57') THEN
                    RAISE;
                END IF;
                -- An event no reader can read (its upcaster fails): the projection cannot
                -- get past it. Name it, so that it can be fixed or skipped.
                l_unreadable := private.first_unreadable_event(
                    l_c.generation, l_c.transaction_id, l_c.global_position, l_limit,
                    l_p.event_types, l_p.stream_types, l_horizon.generation, l_horizon.transaction_id);
                PERFORM private.mark_projection_failed(
                    in_projection_name, COALESCE(l_unreadable.error_sqlstate, l_sqlstate),
                    'reading the log: ' || COALESCE(l_unreadable.error_message, l_message), l_unreadable.event_id);
                RETURN 0;
            END;
        END LOOP;
        l_fetched_count := COALESCE(pg_catalog.cardinality(l_fetched), 0);
        l_kept := l_fetched_count;
        -- Not live: only what the live version has acted on (the events come in log order).
        IF NOT l_live AND l_kept > 0
           AND ((l_fetched[l_kept]).generation, (l_fetched[l_kept]).transaction_id, (l_fetched[l_kept]).global_position)
               > (l_cap.generation, l_cap.transaction_id, l_cap.global_position) THEN
            l_kept := 0;
            WHILE l_kept < l_fetched_count
                  AND ((l_fetched[l_kept + 1]).generation, (l_fetched[l_kept + 1]).transaction_id,
                       (l_fetched[l_kept + 1]).global_position)
                      <= (l_cap.generation, l_cap.transaction_id, l_cap.global_position) LOOP
                l_kept := l_kept + 1;
            END LOOP;
            l_capped := true;
        END IF;
        -- Replays (at or below the mark) and the rest go in batches of their own.
        l_replaying := l_kept > 0
            AND ((l_fetched[1]).generation, (l_fetched[1]).transaction_id, (l_fetched[1]).global_position)
                <= (l_mark.generation, l_mark.transaction_id, l_mark.global_position);
        IF l_replaying AND l_live
           AND ((l_fetched[l_kept]).generation, (l_fetched[l_kept]).transaction_id, (l_fetched[l_kept]).global_position)
               > (l_mark.generation, l_mark.transaction_id, l_mark.global_position) THEN
            l_kept := 1;
            WHILE ((l_fetched[l_kept + 1]).generation, (l_fetched[l_kept + 1]).transaction_id,
                   (l_fetched[l_kept + 1]).global_position)
                  <= (l_mark.generation, l_mark.transaction_id, l_mark.global_position) LOOP
                l_kept := l_kept + 1;
            END LOOP;
        END IF;
        l_events := CASE WHEN l_kept = l_fetched_count THEN l_fetched ELSE l_fetched[1:l_kept] END;
        IF pg_catalog.cardinality(l_skips) > 0 THEN
            l_events := '{}';
            FOR l_i IN 1 .. l_kept LOOP
                IF (l_fetched[l_i]).id <> ALL (l_skips) THEN
                    l_events := l_events || l_fetched[l_i];
                END IF;
            END LOOP;
        END IF;
        l_count := COALESCE(pg_catalog.cardinality(l_events), 0);
    END IF;

    IF l_count > 0 THEN
        -- Set before every call, so that nobody else's setting can turn side effects off.
        PERFORM pg_catalog.set_config('eventstore.projection_replaying',
                                      CASE WHEN l_replaying THEN 'on' ELSE 'off' END, true);
        l_call := pg_catalog.format('SELECT %s($1)',
                      private.invoker_call(l_p.handler_invoker, 'the handler of projection ' || in_projection_name));
        BEGIN
            EXECUTE l_call USING l_events;
            l_applied := l_count;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
            -- Errors of the transaction, not of an event (deadlock, serialization, resources,
            -- cancel): not the projection's fault; the batch is retried by the next run.
            IF pg_catalog.left(l_sqlstate, 2) IN ('40', '53', '57') THEN
                RAISE;
            END IF;
            -- Find the event the handler fails on: the batch again, one event at a time,
            -- keeping the events before it.
            FOR l_i IN 1 .. l_count LOOP
                BEGIN
                    EXECUTE l_call USING ARRAY[l_events[l_i]];
                    l_applied := l_i;
                EXCEPTION WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
                    l_failed := l_events[l_i];
                    EXIT;
                END;
            END LOOP;
            IF l_failed IS NULL THEN
                -- Every event passes alone but not the batch: a handler whose batch logic
                -- differs from its per-event logic. Blame the first event of the batch.
                l_applied := 0;
                l_failed := l_events[1];
            END IF;
        END;
        PERFORM pg_catalog.set_config('eventstore.projection_replaying', 'off', true);
    END IF;

    IF l_failed IS NOT NULL THEN
        PERFORM private.mark_projection_failed(in_projection_name, l_sqlstate, l_message, l_failed.id);
    END IF;

    -- The checkpoint moves past what was applied, and past skipped events when the whole
    -- batch went through.
    IF l_applied > 0 OR (l_failed IS NULL AND l_kept > 0) THEN
        l_last := CASE WHEN l_failed IS NULL THEN l_fetched[l_kept] ELSE l_events[l_applied] END;
        UPDATE data.projection_checkpoints AS c
        SET last_event_id = l_last.id,
            last_processed = pg_catalog.now(),
            generation = l_last.generation,
            transaction_id = l_last.transaction_id,
            global_position = l_last.global_position,
            events_applied = c.events_applied + l_applied
        WHERE c.projection_name = in_projection_name;
    END IF;

    -- A version that is not live has caught up with the live one when the cap cut the batch,
    -- or when it caught up with the horizon: it moves to the earlier of the two.
    IF NOT l_live AND l_failed IS NULL
       AND (l_capped OR (l_read_count < l_limit AND l_fetched_count = l_read_count)) THEN
        SELECT t.* INTO l_target
        FROM (VALUES (l_cap.generation, l_cap.transaction_id, l_cap.global_position),
                     (l_horizon.generation, l_horizon.transaction_id, -1::bigint))
             AS t (generation, transaction_id, global_position)
        ORDER BY t.generation, t.transaction_id, t.global_position
        LIMIT 1;
        UPDATE data.projection_checkpoints AS c
        SET generation = l_target.generation,
            transaction_id = l_target.transaction_id,
            global_position = l_target.global_position,
            status = 'running'
        WHERE c.projection_name = in_projection_name
          AND (c.status = 'rebuilding'
               OR (c.generation, c.transaction_id, c.global_position)
                  < (l_target.generation, l_target.transaction_id, l_target.global_position));
    -- Caught up only if the read returned less than asked and the bytes cut nothing.
    ELSIF l_live AND l_failed IS NULL AND l_read_count < l_limit AND l_fetched_count = l_read_count
          AND l_kept = l_fetched_count THEN
        -- Caught up: move past the events the filters skipped, so they are not examined
        -- again, and a projection rebuilt in the background is running again. Only when
        -- there is something to move past: an idle poll writes nothing (a write takes a
        -- transaction id, which moves the horizon, which made every idle poll write).
        UPDATE data.projection_checkpoints AS c
        SET generation = l_horizon.generation,
            transaction_id = l_horizon.transaction_id,
            global_position = -1,
            status = 'running'
        WHERE c.projection_name = in_projection_name
          AND (c.status = 'rebuilding'
               OR EXISTS (SELECT FROM data.events AS e
                          WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                                       c.generation, c.transaction_id, c.global_position,
                                                       l_horizon.generation, l_horizon.transaction_id)));
    END IF;

    RETURN l_applied;
END;
$_$;

COMMENT ON FUNCTION private.run_projection_batch(in_projection_name text, in_batch_size integer) IS 'Applies the next batch of one projection with its checkpoint, in the caller''s transaction';

CREATE FUNCTION private.run_projection_guarded(in_projection_name text, in_batch_size integer) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_sqlstate text;
    l_message text;
BEGIN
    RETURN private.run_projection_batch(in_projection_name, in_batch_size);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
    IF pg_catalog.left(l_sqlstate, 2) IN ('40', '53', '57') THEN
        RAISE WARNING 'projection %: % (%), retried next run', in_projection_name, l_message, l_sqlstate;
    ELSE
        PERFORM private.mark_projection_failed(in_projection_name, l_sqlstate, l_message);
    END IF;
    RETURN 0;
END;
$$;

CREATE FUNCTION private.run_with_lock_retries(in_sql text, in_what text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    co_tries constant integer := 30;  -- about a minute of backoff in all
BEGIN
    FOR l_try IN 1 .. co_tries LOOP
        BEGIN
            EXECUTE in_sql;
            RETURN;
        EXCEPTION WHEN lock_not_available THEN
            IF l_try = co_tries THEN
                RAISE EXCEPTION '% did not get its lock in % tries: transactions hold data.events for too long',
                        in_what, co_tries
                    USING ERRCODE = '55P03',
                          HINT = 'See who holds locks on data.events: SELECT l.pid, a.xact_start, a.state FROM pg_locks AS l '
                                 'JOIN pg_stat_activity AS a USING (pid) WHERE l.relation = ''data.events''::regclass;';
            END IF;
            -- The failed try released what it held: the store runs on meanwhile.
            PERFORM pg_catalog.pg_sleep(LEAST(0.05 * l_try, 3));
        END;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.run_with_lock_retries(in_sql text, in_what text) IS 'Runs a maintenance statement, retrying with backoff while its short lock waits time out (55P03 at last)';

CREATE PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL OR in_version IS NULL OR in_version < 1 OR in_state IS NULL THEN
        RAISE EXCEPTION 'in_stream_type, in_stream_id and in_state must not be NULL, in_version must be at least 1'
            USING ERRCODE = 'ZE003';
    END IF;
    IF NOT private.hold_stream_keys(in_stream_type, in_stream_id) THEN
        RAISE EXCEPTION 'no snapshot of stream %/% is saved: a key of its personal data is being destroyed',
                in_stream_type, in_stream_id
            USING ERRCODE = 'ZE020',
                  HINT = 'A snapshot of it is saved by api.load_aggregate, which knows when it read the events.';
    END IF;
    IF EXISTS (SELECT FROM data.subject_streams AS s
               JOIN data.forgotten_subjects AS f ON f.key_id = s.key_id
               WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id) THEN
        RAISE EXCEPTION 'no snapshot of stream %/% is saved: a key of its personal data was destroyed, and a state computed by hand may still hold what it sealed',
                in_stream_type, in_stream_id
            USING ERRCODE = 'ZE020',
                  HINT = 'A snapshot of it is saved by api.load_aggregate, which knows when it read the events.';
    END IF;
    CALL private.save_snapshot(in_stream_type, in_stream_id, in_version, in_state, pg_catalog.pg_current_snapshot());
END;
$$;

COMMENT ON PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb) IS 'Saves the state of an aggregate at a version (computed by hand); refuses (ZE020) for a stream with a destroyed key';

CREATE PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb, IN in_read_snapshot pg_snapshot)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF NOT private.hold_stream_keys(in_stream_type, in_stream_id) THEN
        RETURN;  -- a key of the stream is being destroyed
    END IF;
    IF EXISTS (SELECT FROM data.subject_streams AS s
               JOIN data.forgotten_subjects AS f ON f.key_id = s.key_id
               WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id
                 AND NOT pg_catalog.pg_visible_in_snapshot(f.forgotten_xid, in_read_snapshot)) THEN
        RETURN;  -- a key went after the read: the state may hold what was forgotten
    END IF;

    INSERT INTO data.snapshots AS s (stream_type, stream_id, version, state, reducer_version)
    VALUES (in_stream_type, in_stream_id, in_version, in_state,
            (SELECT r.reducer_version FROM data.reducers AS r WHERE r.stream_type = in_stream_type))
    ON CONFLICT (stream_type, stream_id) DO UPDATE
    SET version = EXCLUDED.version,
        state = EXCLUDED.state,
        reducer_version = EXCLUDED.reducer_version,
        created_at = pg_catalog.now()
    -- Never replace a current snapshot by an older one.
    WHERE s.version <= EXCLUDED.version
       OR s.reducer_version IS DISTINCT FROM EXCLUDED.reducer_version;
END;
$$;

COMMENT ON PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb, IN in_read_snapshot pg_snapshot) IS 'Saves the state of an aggregate at a version, unless a key of its stream was destroyed after the state''s events were read';

CREATE FUNCTION private.seal_personal_data(in_event_type text, in_event_data jsonb, in_stream_type text, in_stream_id uuid) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_registration data.personal_data;
    l_subject jsonb;
    l_key record;
    l_sealed jsonb := '{}';
    l_field text;
BEGIN
    SELECT * INTO l_registration FROM data.personal_data AS p WHERE p.event_type = in_event_type;
    IF NOT FOUND THEN
        RETURN in_event_data;
    END IF;
    IF pg_catalog.jsonb_path_exists(in_event_data, '$.* ? (exists (@."$es_sealed"))') THEN
        RAISE EXCEPTION 'an event of type % holds a field that looks sealed already ({"$es_sealed": ...})', in_event_type
            USING ERRCODE = 'ZE002',
                  HINT = 'Only the store seals personal data: append the plaintext.';
    END IF;
    FOREACH l_field IN ARRAY l_registration.fields LOOP
        CONTINUE WHEN COALESCE(pg_catalog.jsonb_typeof(in_event_data -> l_field), 'null') = 'null';  -- missing or null
        IF l_key IS NULL THEN  -- the first field to seal: the subject and its key
            l_subject := pg_catalog.jsonb_path_query_first(in_event_data, l_registration.subject_path);
            IF pg_catalog.jsonb_typeof(l_subject) IS DISTINCT FROM 'string' AND pg_catalog.jsonb_typeof(l_subject) IS DISTINCT FROM 'number'
               OR l_subject #>> '{}' = '' OR pg_catalog.char_length(l_subject #>> '{}') > 200 THEN
                RAISE EXCEPTION 'an event of type % holds personal data but no subject id at %: a string or number of 1 to 200 characters',
                        in_event_type, l_registration.subject_path
                    USING ERRCODE = 'ZE002',
                          HINT = 'Put the data subject''s id where api.register_personal_data said it is.';
            END IF;
            l_key := private.subject_key(l_subject #>> '{}');
        END IF;
        l_sealed := l_sealed || pg_catalog.jsonb_build_object(l_field, pg_catalog.jsonb_build_object('$es_sealed',
                        pg_catalog.jsonb_build_object('key', l_key.key_id,
                                                      'data', private.seal_value(in_event_data -> l_field, l_key.key))));
    END LOOP;
    IF l_key IS NULL THEN
        RETURN in_event_data;
    END IF;
    INSERT INTO data.subject_streams (key_id, stream_type, stream_id)
    VALUES (l_key.key_id, in_stream_type, in_stream_id)
    ON CONFLICT DO NOTHING;
    RETURN in_event_data || l_sealed;  -- the sealed fields replace their plaintext
END;
$_$;

COMMENT ON FUNCTION private.seal_personal_data(in_event_type text, in_event_data jsonb, in_stream_type text, in_stream_id uuid) IS 'An event payload as stored: its personal data fields sealed with its subject''s key (ZE002 without a subject id or with a look-alike sealed field)';

CREATE FUNCTION private.seal_value(in_value jsonb, in_key bytea) RETURNS text
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
            SELECT pg_catalog.translate(pg_catalog.encode(
                       r.iv || public.encrypt_iv(pg_catalog.convert_to(in_value::text, 'UTF8'), in_key, r.iv,
                                               'aes-cbc/pad:pkcs'), 'base64'), E'\n', '')
            FROM (SELECT public.gen_random_bytes(16) AS iv) AS r
        $$;

COMMENT ON FUNCTION private.seal_value(in_value jsonb, in_key bytea) IS 'A JSON value encrypted (AES-256-CBC, random IV), base64';

CREATE FUNCTION private.snapshot_is_current(in_stream_type text, in_reducer_version integer) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT in_reducer_version IS NOT DISTINCT FROM
           (SELECT r.reducer_version FROM data.reducers AS r WHERE r.stream_type = in_stream_type);
$$;

CREATE FUNCTION private.stamp_event_removal() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    NEW.removed_by := private.calling_role();
    NEW.transaction_id := pg_catalog.pg_current_xact_id();
    NEW.removed_at := pg_catalog.now();
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION private.stamp_event_removal() IS 'Trigger: sets removed_by, transaction_id and removed_at of a removal''s audit row (data.event_removals)';

CREATE FUNCTION private.status_horizon() RETURNS TABLE(generation integer, transaction_id xid8, fallback text, pid integer, database text, username text, age interval, query text)
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT h.generation, h.transaction_id, h.fallback, o.pid, o.database, o.username, o.age, o.query
    FROM private.read_horizon() AS h
    LEFT JOIN LATERAL private.horizon_holder(
        COALESCE(h.holder_pid, CASE WHEN h.fallback IS NOT NULL THEN private.oldest_transaction_pid() END),
        h.holder_gid) AS o ON true;
$$;

COMMENT ON FUNCTION private.status_horizon() IS 'The read horizon, why it is conservative if it is, and the transaction holding it (for the status views)';

CREATE FUNCTION private.stream_is_deleted(in_stream_type text, in_stream_id uuid) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT EXISTS (SELECT FROM data.event_streams AS s
                   WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id AND s.deleted_at IS NOT NULL);
$$;

CREATE FUNCTION private.subject_key(in_subject_id text, OUT key_id uuid, OUT key bytea) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    SELECT k.key_id, k.key INTO key_id, key FROM data.subject_keys AS k WHERE k.subject_id = in_subject_id;
    IF FOUND THEN
        RETURN;
    END IF;
    INSERT INTO data.subject_keys (subject_id, key) VALUES (in_subject_id, private.new_subject_key())
    ON CONFLICT (subject_id) DO NOTHING
    RETURNING subject_keys.key_id, subject_keys.key INTO key_id, key;
    IF key_id IS NULL THEN  -- made meanwhile by a concurrent append (committed: the insert waited for it)
        SELECT k.key_id, k.key INTO STRICT key_id, key FROM data.subject_keys AS k WHERE k.subject_id = in_subject_id;
    END IF;
END;
$$;

CREATE FUNCTION private.subscription_intake(in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8, OUT refs private.subscription_event_ref[], OUT events data.events[], OUT unreadable_ids uuid[], OUT unreadable_errors text[]) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_sort TO 'off'
    SET plan_cache_mode TO 'force_generic_plan'
    SET jit TO 'off'
    AS $$
DECLARE
    l_ref private.subscription_event_ref;
    l_event data.events;
    l_sqlstate text;
    l_message text;
BEGIN
    unreadable_ids := '{}';
    unreadable_errors := '{}';
    BEGIN
        -- The query of private.log_events, planned once (see the SET clauses above).
        events := ARRAY(
            SELECT ROW(e.id, e.stream_type, e.stream_id, e.version, e.event_type, e.event_data, e.metadata,
                       e.created_at, e.global_position, e.transaction_id, e.generation, e.schema_version,
                       e.log_number)::data.events
            FROM private.events_as_read AS e
            WHERE private.readable_after(e.generation, e.transaction_id, e.global_position,
                                         in_subscription.generation, in_subscription.transaction_id,
                                         in_subscription.global_position,
                                         in_horizon_generation, in_horizon_transaction_id)
              AND (in_subscription.event_types IS NULL OR e.event_type = ANY (in_subscription.event_types))
              AND (in_subscription.stream_types IS NULL OR e.stream_type = ANY (in_subscription.stream_types))
            ORDER BY e.generation, e.transaction_id, e.global_position
            LIMIT in_limit);
        refs := ARRAY(
            SELECT ROW(e.id, e.created_at, e.generation, e.transaction_id, e.global_position,
                       e.stream_type, e.stream_id, e.version)::private.subscription_event_ref
            FROM pg_catalog.unnest(events) WITH ORDINALITY AS e
            ORDER BY e.ordinality);
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        NULL;  -- an unreadable event among them: one by one
    END;
    -- Everything before the horizon was committed before the first read: this later
    -- snapshot sees the same events.
    refs := ARRAY(
        SELECT ROW(p.id, p.created_at, p.generation, p.transaction_id, p.global_position,
                   p.stream_type, p.stream_id, p.version)::private.subscription_event_ref
        FROM private.log_refs(in_subscription.generation, in_subscription.transaction_id,
                                   in_subscription.global_position, in_limit,
                                   in_subscription.event_types, in_subscription.stream_types,
                                   in_horizon_generation, in_horizon_transaction_id) AS p);
    events := '{}';
    FOREACH l_ref IN ARRAY refs LOOP
        BEGIN
            SELECT u.* INTO STRICT l_event
            FROM private.events_as_read AS u
            WHERE u.id = l_ref.id AND u.created_at = l_ref.created_at;
            events := events || l_event;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS l_sqlstate = RETURNED_SQLSTATE, l_message = MESSAGE_TEXT;
            unreadable_ids := unreadable_ids || l_ref.id;
            unreadable_errors := unreadable_errors || pg_catalog.left('unreadable: ' || l_sqlstate || ': ' || l_message, 2000);
        END;
    END LOOP;
END;
$$;

CREATE FUNCTION private.subscription_intake_unread(in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8, in_error text, OUT refs private.subscription_event_ref[], OUT events data.events[], OUT unreadable_ids uuid[], OUT unreadable_errors text[]) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    refs := ARRAY(
        SELECT ROW(p.id, p.created_at, p.generation, p.transaction_id, p.global_position,
                   p.stream_type, p.stream_id, p.version)::private.subscription_event_ref
        FROM private.log_refs(in_subscription.generation, in_subscription.transaction_id,
                                   in_subscription.global_position, in_limit,
                                   in_subscription.event_types, in_subscription.stream_types,
                                   in_horizon_generation, in_horizon_transaction_id) AS p);
    events := '{}';
    unreadable_ids := ARRAY(SELECT r.id FROM pg_catalog.unnest(refs) AS r);
    unreadable_errors := pg_catalog.array_fill(in_error, ARRAY[pg_catalog.cardinality(refs)]);
END;
$$;

CREATE FUNCTION private.subscription_status() RETURNS TABLE(subscription_name text, consumers integer, events_behind bigint, events_behind_exact boolean, in_flight bigint, waiting bigint, parked bigint, oldest_in_flight_age interval, last_claim_at timestamp with time zone, events_held_back bigint, oldest_xact_pid integer, oldest_xact_database text, oldest_xact_user text, oldest_xact_age interval, oldest_xact_query text, stream_types text[], event_types text[], max_attempts integer, lease interval, horizon_fallback text)
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT s.subscription_name,
           (SELECT count(*)::integer FROM data.subscription_consumers AS m
            WHERE m.subscription_name = s.subscription_name
              AND (m.last_claim_at > pg_catalog.now() - s.lease
                   OR EXISTS (SELECT FROM data.subscription_leases AS l
                              WHERE l.subscription_name = s.subscription_name AND l.consumer = m.consumer
                                AND l.leased_until > pg_catalog.now())
                   OR EXISTS (SELECT FROM data.subscription_events AS se
                              WHERE se.subscription_name = s.subscription_name AND se.consumer = m.consumer
                                AND se.leased_until > pg_catalog.now()))),
           counts.behind + taken.waiting,
           counts.exact AND taken.waiting <= 10000,
           taken.in_flight + first.in_flight, taken.waiting, taken.parked,
           pg_catalog.now() - LEAST(taken.oldest_leased_at, first.oldest_leased_at), last_claim.at,
           counts.held_back,
           h.pid, h.database, h.username, h.age, h.query,
           s.stream_types, s.event_types, s.max_attempts, s.lease, h.fallback
    FROM data.subscriptions AS s
    CROSS JOIN private.status_horizon() AS h
    CROSS JOIN LATERAL private.count_events_after(s.generation, s.transaction_id, s.global_position,
                                                  s.event_types, s.stream_types,
                                                  h.generation, h.transaction_id) AS counts
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE t.consumer IS NOT NULL) AS in_flight,
               count(*) FILTER (WHERE t.consumer IS NULL AND t.parked_at IS NULL) AS waiting,
               count(*) FILTER (WHERE t.parked_at IS NOT NULL) AS parked,
               min(t.leased_at) AS oldest_leased_at
        FROM (SELECT se.consumer, se.parked_at, se.leased_at
              FROM data.subscription_events AS se
              WHERE se.subscription_name = s.subscription_name
              LIMIT 30001) AS t) AS taken
    CROSS JOIN LATERAL (  -- one row per claim in flight: as many as consumers, give or take
        SELECT COALESCE(sum(pg_catalog.cardinality(l.events)), 0)::bigint AS in_flight, min(l.leased_at) AS oldest_leased_at
        FROM data.subscription_leases AS l
        WHERE l.subscription_name = s.subscription_name) AS first
    CROSS JOIN LATERAL (SELECT max(m.last_claim_at) AS at FROM data.subscription_consumers AS m
                        WHERE m.subscription_name = s.subscription_name) AS last_claim
    ORDER BY s.subscription_name;
$$;

CREATE FUNCTION private.sync_snapshot_projection() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    UPDATE data.projections AS p
    SET stream_types = ARRAY(SELECT r.stream_type FROM data.reducers AS r
                             WHERE r.snapshot_interval IS NOT NULL ORDER BY r.stream_type)
    WHERE p.version_of = 'snapshots';
    RETURN NULL;
END;
$$;

CREATE FUNCTION private.tag_items(in_query jsonb) RETURNS TABLE(types text[], tags text[])
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT NULL::text[], '{}'::text[]
    WHERE in_query IS NULL OR in_query = '[]'::jsonb
    UNION ALL
    SELECT NULLIF(ARRAY(SELECT pg_catalog.jsonb_array_elements_text(COALESCE(i.item -> 'types', '[]'))), '{}'),
           ARRAY(SELECT DISTINCT t FROM pg_catalog.jsonb_array_elements_text(COALESCE(i.item -> 'tags', '[]')) AS t ORDER BY t)
    FROM pg_catalog.jsonb_array_elements(CASE WHEN in_query <> '[]'::jsonb THEN in_query END) AS i(item);
$$;

COMMENT ON FUNCTION private.tag_items(in_query jsonb) IS 'The items of a query private.tag_query has checked: one row per item, types NULL for any, tags sorted';

CREATE FUNCTION private.tag_query(in_query jsonb, in_what text) RETURNS TABLE(types text[], tags text[])
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION private.tagged_positions(in_query jsonb, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8) RETURNS TABLE(generation integer, transaction_id xid8, global_position bigint, created_at timestamp with time zone, tags text[])
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_item record;
    l_horizon_generation integer := COALESCE(in_horizon_generation, 2147483647);
    l_horizon_transaction_id xid8 := CASE WHEN in_horizon_generation IS NULL THEN '18446744073709551615'::xid8
                                          ELSE in_horizon_transaction_id END;
BEGIN
    FOR l_item IN SELECT * FROM private.tag_items(in_query) LOOP
        IF cardinality(l_item.tags) > 0 THEN
            -- The events carrying the item's tags, by the GIN index alone, then the reader's
            -- range and log order: given the range too, the planner (whose estimates of a
            -- range of log positions are poor) may walk the log in order and filter it, a cost
            -- that follows the log, not the matches.
            RETURN QUERY
            WITH matched AS MATERIALIZED (
                SELECT t.generation, t.transaction_id, t.global_position, t.created_at, t.tags
                FROM data.event_tags AS t
                WHERE t.tags @> l_item.tags
                  AND (l_item.types IS NULL OR t.event_type = ANY (l_item.types)))
            SELECT t.generation, t.transaction_id, t.global_position, t.created_at, t.tags
            FROM matched AS t
            WHERE private.readable_after(t.generation, t.transaction_id, t.global_position,
                                         in_after_generation, in_after_transaction_id, in_after_global_position,
                                         l_horizon_generation, l_horizon_transaction_id)
              AND EXISTS (SELECT FROM data.events AS e
                          WHERE e.created_at = t.created_at AND e.generation = t.generation
                            AND e.transaction_id = t.transaction_id AND e.global_position = t.global_position)
            ORDER BY t.generation, t.transaction_id, t.global_position
            LIMIT in_limit;
        ELSIF l_item.types IS NOT NULL THEN
            RETURN QUERY
            SELECT t.generation, t.transaction_id, t.global_position, t.created_at, t.tags
            FROM unnest(l_item.types) AS y(event_type)
            CROSS JOIN LATERAL (
                SELECT t.* FROM data.event_tags AS t
                WHERE t.event_type = y.event_type
                  AND private.readable_after(t.generation, t.transaction_id, t.global_position,
                                             in_after_generation, in_after_transaction_id, in_after_global_position,
                                             l_horizon_generation, l_horizon_transaction_id)
                  AND EXISTS (SELECT FROM data.events AS e
                              WHERE e.created_at = t.created_at AND e.generation = t.generation
                                AND e.transaction_id = t.transaction_id AND e.global_position = t.global_position)
                ORDER BY t.generation, t.transaction_id, t.global_position
                LIMIT in_limit) AS t;
        ELSE
            RETURN QUERY
            SELECT t.generation, t.transaction_id, t.global_position, t.created_at, t.tags
            FROM data.event_tags AS t
            WHERE private.readable_after(t.generation, t.transaction_id, t.global_position,
                                         in_after_generation, in_after_transaction_id, in_after_global_position,
                                         l_horizon_generation, l_horizon_transaction_id)
              AND EXISTS (SELECT FROM data.events AS e
                          WHERE e.created_at = t.created_at AND e.generation = t.generation
                            AND e.transaction_id = t.transaction_id AND e.global_position = t.global_position)
            ORDER BY t.generation, t.transaction_id, t.global_position
            LIMIT in_limit;
        END IF;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION private.tagged_positions(in_query jsonb, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8) IS 'Log positions of the tagged events matching a query after a position (before a horizon, if given): at most in_limit per item';

CREATE FUNCTION private.upcast_event(in_event_type text, in_event_data jsonb, in_from_version integer, in_to_version integer) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    l_data jsonb := in_event_data;
    l_upcaster regprocedure;
BEGIN
    FOR l_version IN in_from_version .. in_to_version - 1 LOOP
        SELECT u.upcaster_invoker INTO l_upcaster FROM data.event_upcasters AS u
        WHERE u.event_type = in_event_type AND u.from_version = l_version;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no upcaster for % from version % to %', in_event_type, l_version, l_version + 1
                USING ERRCODE = 'ZE010';
        END IF;
        EXECUTE pg_catalog.format('SELECT %s($1)',
                                  private.invoker_call(l_upcaster, pg_catalog.format('the upcaster of %s from version %s',
                                                                                    in_event_type, l_version)))
            INTO l_data USING l_data;
    END LOOP;
    RETURN l_data;
END;
$_$;

COMMENT ON FUNCTION private.upcast_event(in_event_type text, in_event_data jsonb, in_from_version integer, in_to_version integer) IS 'An event payload of in_from_version as of in_to_version, through the registered upcasters';

CREATE FUNCTION private.uuidv7_time(in_id uuid) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE WHEN pg_catalog.substr(in_id::text, 15, 1) = '7'
                THEN pg_catalog.to_timestamp(
                         ('x' || pg_catalog.lpad(pg_catalog.substr(pg_catalog.replace(in_id::text, '-', ''), 1, 12), 16, '0'))
                         ::bit(64)::bigint / 1000.0) END;
$$;

COMMENT ON FUNCTION private.uuidv7_time(in_id uuid) IS 'When a UUID v7 was made; NULL for other UUIDs';

CREATE FUNCTION private.xid_near(in_xid xid, in_near bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT in_near + CASE WHEN d.t >= 2147483648 THEN d.t - 4294967296 ELSE d.t END
    FROM (SELECT (in_xid::text::bigint - in_near) & 4294967295 AS t) AS d;
$$;

CREATE FUNCTION registered.handler_maybe_create_snapshot_4cee14e3cc54(in_events data.events[]) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT private.maybe_create_snapshot(in_events) AS maybe_create_snapshot;
END;

COMMENT ON FUNCTION registered.handler_maybe_create_snapshot_4cee14e3cc54(in_events data.events[]) IS 'Runs handler private.maybe_create_snapshot(data.events[]) with the rights of postgres';

CREATE FUNCTION registered.handler_notify_events_9aff2957da5d(in_events data.events[]) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    BEGIN ATOMIC
 SELECT private.notify_events(in_events) AS notify_events;
END;

COMMENT ON FUNCTION registered.handler_notify_events_9aff2957da5d(in_events data.events[]) IS 'Runs handler private.notify_events(data.events[]) with the rights of postgres';

CREATE VIEW api.append_lock_waits AS
 SELECT w.pid AS waiting_pid,
    (wa.usename)::text AS waiting_user,
    (now() - wa.query_start) AS waiting_for,
    h.pid AS holder_pid,
    (ha.usename)::text AS holder_user,
    ha.application_name AS holder_application,
    ha.state AS holder_state,
    (now() - ha.xact_start) AS holder_xact_age,
    pg_has_role(ha.usesysid, 'eventstore_writer'::name, 'MEMBER'::text) AS holder_is_writer,
    (w.classid)::bigint AS key1,
    (w.objid)::bigint AS key2
   FROM (((pg_locks w
     JOIN pg_locks h ON (((h.locktype = 'advisory'::text) AND h.granted AND (h.pid <> w.pid) AND (h.database = w.database) AND (h.classid = w.classid) AND (h.objid = w.objid) AND (h.objsubid = w.objsubid))))
     JOIN pg_stat_activity wa ON ((wa.pid = w.pid)))
     JOIN pg_stat_activity ha ON ((ha.pid = h.pid)))
  WHERE ((w.locktype = 'advisory'::text) AND (NOT w.granted) AND (w.database = ( SELECT d.oid
           FROM pg_database d
          WHERE (d.datname = current_database()))));

COMMENT ON VIEW api.append_lock_waits IS 'Sessions waiting on an advisory lock of this database (appends queue on their stream with
one) and the session holding it: a holder that is not an appending writer (holder_is_writer
false, or idle in transaction) stalls that stream''s appends; end it with pg_terminate_backend.';

CREATE VIEW api.parked_events AS
 SELECT se.subscription_name,
    se.event_id AS id,
    se.stream_type,
    se.stream_id,
    se.version,
    se.attempts,
    se.last_error,
    se.parked_at
   FROM data.subscription_events se
  WHERE (se.parked_at IS NOT NULL);

COMMENT ON VIEW api.parked_events IS 'Events that failed max_attempts deliveries, with their last error: each holds back the later
events of its stream in its subscription. api.replay_parked delivers one again,
api.skip_parked steps past it.';

COMMENT ON COLUMN api.parked_events.subscription_name IS 'The subscription the event is parked in';

COMMENT ON COLUMN api.parked_events.id IS 'The event''s id (api.replay_parked and api.skip_parked take it)';

COMMENT ON COLUMN api.parked_events.stream_type IS 'The event''s stream type: the later events of its stream wait behind it';

COMMENT ON COLUMN api.parked_events.stream_id IS 'The event''s stream id';

COMMENT ON COLUMN api.parked_events.version IS 'The event''s version in its stream';

COMMENT ON COLUMN api.parked_events.attempts IS 'Deliveries that failed (the subscription''s max_attempts)';

COMMENT ON COLUMN api.parked_events.last_error IS 'The error the last failed delivery reported (api.nack_event), at most 2,000 characters';

COMMENT ON COLUMN api.parked_events.parked_at IS 'When the last failed delivery parked it';

CREATE VIEW api.projection_status AS
 SELECT s.projection_name,
    s.status,
    s.last_event_id,
    s.last_processed,
    s.events_applied,
    s.events_behind,
    s.events_held_back,
    s.oldest_xact_pid,
    s.oldest_xact_database,
    s.oldest_xact_user,
    s.oldest_xact_age,
    s.oldest_xact_query,
    s.error_message,
    s.failed_event_id,
    s.failed_at,
    s.events_behind_exact,
    s.horizon_fallback,
    s.version_of,
    s.version,
    s.live,
    s.events_behind_live,
    s.ready_to_promote
   FROM private.projection_status() s(projection_name, status, last_event_id, last_processed, events_applied, events_behind, events_held_back, oldest_xact_pid, oldest_xact_database, oldest_xact_user, oldest_xact_age, oldest_xact_query, error_message, failed_event_id, failed_at, events_behind_exact, horizon_fallback, version_of, version, live, events_behind_live, ready_to_promote);

COMMENT ON VIEW api.projection_status IS 'Per projection: status, checkpoint, events applied, committed events not applied yet
(events_behind), committed events an open appending transaction still holds back
(events_held_back), the appending transaction holding the horizon (pid, database, user, age,
and its query for those who may see it; a prepared transaction shows pid NULL), last error.
Its cost does not grow with the lag: the counts are exact up to 10,000 events
(events_behind_exact) and estimated beyond. One row per version of a projection: the live
one holds the name, another is name@version (version_of, version, live), with how far it is
behind the live one and whether it may be promoted now.';

COMMENT ON COLUMN api.projection_status.events_behind IS 'Committed events of its filters not applied yet: exact up to 10,000, estimated beyond (events_behind_exact)';

COMMENT ON COLUMN api.projection_status.events_held_back IS 'Committed events not yet readable because an older appending transaction is still open (at most the first 10,000 counted)';

COMMENT ON COLUMN api.projection_status.events_behind_exact IS 'false: more than 10,000 events behind; events_behind is then an estimate from log positions (docs/operations.md)';

COMMENT ON COLUMN api.projection_status.horizon_fallback IS 'NULL, or why whole-log readers run on the conservative horizon (it waits for the oldest transaction of the cluster, oldest_xact_*)';

COMMENT ON COLUMN api.projection_status.version_of IS 'The projection this row is a version of';

COMMENT ON COLUMN api.projection_status.live IS 'The version readers see (api.projection_live_version)';

COMMENT ON COLUMN api.projection_status.events_behind_live IS 'Events the live version has applied and this version not yet (0 for the live one)';

COMMENT ON COLUMN api.projection_status.ready_to_promote IS 'Not live, running, and within eventstore.promotion_max_lag events of the live version: api.promote_projection will take it (NULL when that setting is not a count)';

CREATE VIEW api.subscription_status AS
 SELECT s.subscription_name,
    s.consumers,
    s.events_behind,
    s.events_behind_exact,
    s.in_flight,
    s.waiting,
    s.parked,
    s.oldest_in_flight_age,
    s.last_claim_at,
    s.events_held_back,
    s.oldest_xact_pid,
    s.oldest_xact_database,
    s.oldest_xact_user,
    s.oldest_xact_age,
    s.oldest_xact_query,
    s.stream_types,
    s.event_types,
    s.max_attempts,
    s.lease,
    s.horizon_fallback
   FROM private.subscription_status() s(subscription_name, consumers, events_behind, events_behind_exact, in_flight, waiting, parked, oldest_in_flight_age, last_claim_at, events_held_back, oldest_xact_pid, oldest_xact_database, oldest_xact_user, oldest_xact_age, oldest_xact_query, stream_types, event_types, max_attempts, lease, horizon_fallback);

COMMENT ON VIEW api.subscription_status IS 'Per subscription: its members (consumers that claimed within one lease or hold a lease),
events not yet acknowledged and not in flight or parked (events_behind: exact up to 10,000,
estimated beyond, see events_behind_exact), in flight, waiting behind their stream, parked, the
age of the oldest lease, and the appending transaction holding the read horizon (pid NULL for
a prepared transaction; its query for those who may see it).';

COMMENT ON COLUMN api.subscription_status.events_behind IS 'Committed matching events not yet in flight, acknowledged or parked: exact up to 10,000, estimated beyond';

COMMENT ON COLUMN api.subscription_status.waiting IS 'Taken-in events waiting behind an event of their stream in flight or parked (counted up to 30,000 rows taken in)';

COMMENT ON COLUMN api.subscription_status.horizon_fallback IS 'NULL, or why whole-log readers run on the conservative horizon (it waits for the oldest transaction of the cluster, oldest_xact_*)';

CREATE TABLE data.event_removals (
    removal_id bigint NOT NULL,
    kind text NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid,
    before timestamp with time zone,
    transaction_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    removed_by name NOT NULL,
    removed_at timestamp with time zone DEFAULT now() NOT NULL,
    events_removed integer,
    CONSTRAINT event_removals_check CHECK ((((kind = 'purge'::text) AND (stream_id IS NOT NULL) AND (before IS NULL)) OR ((kind = 'retention'::text) AND (stream_id IS NULL) AND (before IS NOT NULL)))),
    CONSTRAINT event_removals_kind_check CHECK ((kind = ANY (ARRAY['purge'::text, 'retention'::text])))
);

COMMENT ON TABLE data.event_removals IS 'Audit of every sanctioned removal of events (purge of a deleted stream, retention of a stream type): who, when, how many';

ALTER TABLE data.event_removals ALTER COLUMN removal_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME data.event_removals_removal_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE data.event_schemas (
    event_type text NOT NULL,
    version integer NOT NULL,
    schema jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT event_schemas_version_check CHECK ((version > 0))
);

COMMENT ON TABLE data.event_schemas IS 'JSON schema of each version of an event type''s payload';

CREATE TABLE data.event_streams (
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    current_version integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    last_generation integer NOT NULL,
    last_transaction_id xid8 NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT event_streams_current_version_check CHECK ((current_version >= 0))
)
WITH (fillfactor='50');

COMMENT ON TABLE data.event_streams IS 'Stream state: current version and the append lock';

COMMENT ON COLUMN data.event_streams.current_version IS 'Version of the last event of the stream';

COMMENT ON COLUMN data.event_streams.last_generation IS 'Generation of the last append';

COMMENT ON COLUMN data.event_streams.last_transaction_id IS 'Transaction of the last append';

COMMENT ON COLUMN data.event_streams.deleted_at IS 'When api.delete_stream deleted the stream (NULL: not deleted)';

CREATE TABLE data.event_tags (
    generation integer NOT NULL,
    transaction_id xid8 NOT NULL,
    global_position bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    event_type text NOT NULL,
    tags text[] NOT NULL
);

COMMENT ON TABLE data.event_tags IS 'The tags and type of each event appended with tags (api.append_tagged), by log position';

COMMENT ON COLUMN data.event_tags.created_at IS 'The event''s created_at: the partition of data.events that holds it';

CREATE TABLE data.event_types (
    event_type text NOT NULL,
    current_version integer NOT NULL,
    CONSTRAINT event_types_current_version_check CHECK ((current_version > 0)),
    CONSTRAINT event_types_event_type_check CHECK ((event_type <> ''::text))
);

COMMENT ON TABLE data.event_types IS 'Current payload version per versioned event type (its highest schema version or the end of its upcaster chain)';

CREATE TABLE data.event_upcasters (
    event_type text NOT NULL,
    from_version integer NOT NULL,
    upcaster regprocedure NOT NULL,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    upcaster_invoker regprocedure,
    registered_by name,
    CONSTRAINT event_upcasters_from_version_check CHECK ((from_version > 0))
);

COMMENT ON TABLE data.event_upcasters IS 'Steps of each event type''s upcaster chain: from_version -> from_version + 1';

COMMENT ON COLUMN data.event_upcasters.upcaster_invoker IS 'What runs: registered.* calling upcaster as registered_by';

COMMENT ON COLUMN data.event_upcasters.registered_by IS 'The role whose rights the upcaster runs with';

CREATE SEQUENCE data.events_global_position_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE data.events_global_position_seq OWNED BY data.events.global_position;

CREATE TABLE data.events_YYYY_MM (
    id uuid DEFAULT private.uuidv7() NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    event_type text NOT NULL,
    event_data jsonb NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    global_position bigint DEFAULT nextval('data.events_global_position_seq'::regclass) NOT NULL,
    transaction_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    generation integer DEFAULT private.writer_generation() NOT NULL,
    schema_version integer DEFAULT 1 NOT NULL,
    log_number numeric NOT NULL,
    CONSTRAINT events_YYYY_MM_bound CHECK (((created_at >= 'YYYY-MM-01 00:00:00+00'::timestamp with time zone) AND (created_at < 'YYYY-MM-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT events_event_data_check CHECK ((jsonb_typeof(event_data) = 'object'::text)),
    CONSTRAINT events_event_type_check CHECK ((event_type <> ''::text)),
    CONSTRAINT events_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT events_schema_version_check CHECK ((schema_version > 0)),
    CONSTRAINT events_stream_type_check CHECK ((stream_type <> ''::text)),
    CONSTRAINT events_version_check CHECK ((version > 0))
);

COMMENT ON TABLE data.events_YYYY_MM IS 'Events created in YYYY-MM (UTC)';

CREATE TABLE data.events_YYYY_MM (
    id uuid DEFAULT private.uuidv7() NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    event_type text NOT NULL,
    event_data jsonb NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    global_position bigint DEFAULT nextval('data.events_global_position_seq'::regclass) NOT NULL,
    transaction_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    generation integer DEFAULT private.writer_generation() NOT NULL,
    schema_version integer DEFAULT 1 NOT NULL,
    log_number numeric NOT NULL,
    CONSTRAINT events_YYYY_MM_bound CHECK (((created_at >= 'YYYY-MM-01 00:00:00+00'::timestamp with time zone) AND (created_at < 'YYYY-MM-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT events_event_data_check CHECK ((jsonb_typeof(event_data) = 'object'::text)),
    CONSTRAINT events_event_type_check CHECK ((event_type <> ''::text)),
    CONSTRAINT events_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT events_schema_version_check CHECK ((schema_version > 0)),
    CONSTRAINT events_stream_type_check CHECK ((stream_type <> ''::text)),
    CONSTRAINT events_version_check CHECK ((version > 0))
);

COMMENT ON TABLE data.events_YYYY_MM IS 'Events created in YYYY-MM (UTC)';

CREATE TABLE data.events_YYYY_MM (
    id uuid DEFAULT private.uuidv7() NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    event_type text NOT NULL,
    event_data jsonb NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    global_position bigint DEFAULT nextval('data.events_global_position_seq'::regclass) NOT NULL,
    transaction_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    generation integer DEFAULT private.writer_generation() NOT NULL,
    schema_version integer DEFAULT 1 NOT NULL,
    log_number numeric NOT NULL,
    CONSTRAINT events_YYYY_MM_bound CHECK (((created_at >= 'YYYY-MM-01 00:00:00+00'::timestamp with time zone) AND (created_at < 'YYYY-MM-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT events_event_data_check CHECK ((jsonb_typeof(event_data) = 'object'::text)),
    CONSTRAINT events_event_type_check CHECK ((event_type <> ''::text)),
    CONSTRAINT events_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT events_schema_version_check CHECK ((schema_version > 0)),
    CONSTRAINT events_stream_type_check CHECK ((stream_type <> ''::text)),
    CONSTRAINT events_version_check CHECK ((version > 0))
);

COMMENT ON TABLE data.events_YYYY_MM IS 'Events created in YYYY-MM (UTC)';

CREATE TABLE data.events_YYYY_MM (
    id uuid DEFAULT private.uuidv7() NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    event_type text NOT NULL,
    event_data jsonb NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    global_position bigint DEFAULT nextval('data.events_global_position_seq'::regclass) NOT NULL,
    transaction_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    generation integer DEFAULT private.writer_generation() NOT NULL,
    schema_version integer DEFAULT 1 NOT NULL,
    log_number numeric NOT NULL,
    CONSTRAINT events_YYYY_MM_bound CHECK (((created_at >= 'YYYY-MM-01 00:00:00+00'::timestamp with time zone) AND (created_at < 'YYYY-MM-01 00:00:00+00'::timestamp with time zone))),
    CONSTRAINT events_event_data_check CHECK ((jsonb_typeof(event_data) = 'object'::text)),
    CONSTRAINT events_event_type_check CHECK ((event_type <> ''::text)),
    CONSTRAINT events_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT events_schema_version_check CHECK ((schema_version > 0)),
    CONSTRAINT events_stream_type_check CHECK ((stream_type <> ''::text)),
    CONSTRAINT events_version_check CHECK ((version > 0))
);

COMMENT ON TABLE data.events_YYYY_MM IS 'Events created in YYYY-MM (UTC)';

CREATE TABLE data.events_default (
    id uuid DEFAULT private.uuidv7() NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    event_type text NOT NULL,
    event_data jsonb NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    global_position bigint DEFAULT nextval('data.events_global_position_seq'::regclass) NOT NULL,
    transaction_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    generation integer DEFAULT private.writer_generation() NOT NULL,
    schema_version integer DEFAULT 1 NOT NULL,
    log_number numeric NOT NULL,
    CONSTRAINT events_event_data_check CHECK ((jsonb_typeof(event_data) = 'object'::text)),
    CONSTRAINT events_event_type_check CHECK ((event_type <> ''::text)),
    CONSTRAINT events_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT events_schema_version_check CHECK ((schema_version > 0)),
    CONSTRAINT events_stream_type_check CHECK ((stream_type <> ''::text)),
    CONSTRAINT events_version_check CHECK ((version > 0))
);

CREATE TABLE data.forgotten_subjects (
    key_id uuid NOT NULL,
    forgotten_by name NOT NULL,
    forgotten_at timestamp with time zone DEFAULT now() NOT NULL,
    streams integer NOT NULL,
    snapshots_removed integer NOT NULL,
    forgotten_xid xid8 DEFAULT pg_current_xact_id()
);

COMMENT ON TABLE data.forgotten_subjects IS 'Audit of api.forget_subject: which key was destroyed, by whom, when (no personal data)';

COMMENT ON COLUMN data.forgotten_subjects.forgotten_xid IS 'The erasing transaction: a snapshot folded from a read that did not see it committed is not saved';

CREATE TABLE data.idempotency_keys (
    idempotency_key uuid NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    first_version integer,
    new_version integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE data.idempotency_keys IS 'Keys of api.append_events_idempotent, written in the same transaction as their events';

COMMENT ON COLUMN data.idempotency_keys.first_version IS 'Version of the first event the key appended';

COMMENT ON COLUMN data.idempotency_keys.new_version IS 'Stream version after the append, returned to retries';

CREATE TABLE data.personal_data (
    event_type text NOT NULL,
    subject_path jsonpath NOT NULL,
    fields text[] NOT NULL,
    registered_by name NOT NULL,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT personal_data_event_type_check CHECK ((event_type <> ''::text)),
    CONSTRAINT personal_data_fields_check CHECK ((cardinality(fields) > 0))
);

COMMENT ON TABLE data.personal_data IS 'Event types whose fields are personal data: where the subject id is, which top-level fields are encrypted';

CREATE TABLE data.projection_checkpoints (
    projection_name text NOT NULL,
    last_event_id uuid,
    last_processed timestamp with time zone DEFAULT now() NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    error_message text,
    generation integer DEFAULT 0 NOT NULL,
    transaction_id xid8 DEFAULT '0'::xid8 NOT NULL,
    global_position bigint DEFAULT 0 NOT NULL,
    failed_event_id uuid,
    failed_at timestamp with time zone,
    events_applied bigint DEFAULT 0 NOT NULL,
    CONSTRAINT projection_checkpoints_status_check CHECK ((status = ANY (ARRAY['running'::text, 'failed'::text, 'paused'::text, 'rebuilding'::text])))
)
WITH (fillfactor='50');

COMMENT ON TABLE data.projection_checkpoints IS 'Position and status of each projection';

COMMENT ON COLUMN data.projection_checkpoints.last_event_id IS 'The last event applied';

COMMENT ON COLUMN data.projection_checkpoints.status IS 'running | failed | paused | rebuilding';

COMMENT ON COLUMN data.projection_checkpoints.failed_event_id IS 'The event the handler failed on (status failed)';

CREATE TABLE data.projection_skips (
    projection_name text NOT NULL,
    event_id uuid NOT NULL,
    error_message text,
    skipped_at timestamp with time zone DEFAULT now() NOT NULL,
    skipped_by text DEFAULT SESSION_USER NOT NULL
);

COMMENT ON TABLE data.projection_skips IS 'Events deliberately skipped by api.resume_projection';

CREATE TABLE data.projections (
    projection_name text NOT NULL,
    handler regprocedure NOT NULL,
    reset_handler regprocedure,
    event_types text[],
    stream_types text[],
    batch_size integer DEFAULT 500 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    handler_invoker regprocedure,
    reset_handler_invoker regprocedure,
    registered_by name,
    version_of text NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    replay_generation integer DEFAULT 0 NOT NULL,
    replay_transaction_id xid8 DEFAULT '0'::xid8 NOT NULL,
    replay_global_position bigint DEFAULT 0 NOT NULL,
    CONSTRAINT projections_batch_size_check CHECK (((batch_size >= 1) AND (batch_size <= 100000))),
    CONSTRAINT projections_projection_name_check CHECK ((projection_name ~ '^[a-z][a-z0-9_]{0,62}(@[1-9][0-9]{0,8})?$'::text)),
    CONSTRAINT projections_version_check CHECK ((version > 0)),
    CONSTRAINT projections_version_name_check CHECK (((projection_name = version_of) OR (projection_name = ((version_of || '@'::text) || (version)::text))))
);

COMMENT ON TABLE data.projections IS 'Registered projections: handler, reset handler, filters';

COMMENT ON COLUMN data.projections.projection_name IS 'The live version: the projection''s name; another version: name@version';

COMMENT ON COLUMN data.projections.handler IS 'FUNCTION (data.events[]) RETURNS void applying a batch in log order';

COMMENT ON COLUMN data.projections.reset_handler IS 'FUNCTION () RETURNS void emptying the read model (rebuilds)';

COMMENT ON COLUMN data.projections.handler_invoker IS 'What runs: registered.* calling handler as registered_by';

COMMENT ON COLUMN data.projections.reset_handler_invoker IS 'What runs: registered.* calling reset_handler as registered_by';

COMMENT ON COLUMN data.projections.registered_by IS 'The role whose rights the handlers run with';

COMMENT ON COLUMN data.projections.version_of IS 'The projection this row is a version of (its name)';

COMMENT ON COLUMN data.projections.version IS 'The version number (the first registration is 1)';

COMMENT ON COLUMN data.projections.replay_generation IS 'Replay mark (with replay_transaction_id, replay_global_position): events at or below it were acted on by an earlier live version or before a reset';

CREATE UNLOGGED SEQUENCE data.read_horizon
    START WITH 0
    INCREMENT BY 1
    MINVALUE 0
    NO MAXVALUE
    CACHE 1;

COMMENT ON SEQUENCE data.read_horizon IS 'The highest H any whole-log reader has published: a transaction with an older id may no longer append';

CREATE TABLE data.read_horizon_publisher (
);

COMMENT ON TABLE data.read_horizon_publisher IS 'Locked (briefly, in a subtransaction) by whole-log readers publishing their horizon: one publisher at a time';

CREATE TABLE data.reducers (
    stream_type text NOT NULL,
    reducer regprocedure NOT NULL,
    reducer_version integer NOT NULL,
    snapshot_interval integer,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    reducer_invoker regprocedure,
    registered_by name,
    CONSTRAINT reducers_reducer_version_check CHECK ((reducer_version > 0)),
    CONSTRAINT reducers_snapshot_interval_check CHECK ((snapshot_interval > 0)),
    CONSTRAINT reducers_stream_type_check CHECK ((stream_type <> ''::text))
);

COMMENT ON TABLE data.reducers IS 'Reducer per stream type, its version and snapshot interval';

COMMENT ON COLUMN data.reducers.reducer_invoker IS 'What runs: registered.* calling reducer as registered_by';

COMMENT ON COLUMN data.reducers.registered_by IS 'The role whose rights the reducer runs with';

CREATE TABLE data.removed_events (
    id uuid NOT NULL,
    generation integer NOT NULL,
    transaction_id xid8 NOT NULL,
    global_position bigint NOT NULL,
    removal_id bigint NOT NULL
);

COMMENT ON TABLE data.removed_events IS 'Where each removed event was in the log order: a cursor on it continues from there';

CREATE TABLE data.retention_policies (
    stream_type text NOT NULL,
    keep interval NOT NULL,
    set_by name NOT NULL,
    set_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT retention_policies_keep_check CHECK ((keep > '00:00:00'::interval)),
    CONSTRAINT retention_policies_stream_type_check CHECK ((stream_type <> ''::text))
);

COMMENT ON TABLE data.retention_policies IS 'How long events of a stream type are kept (api.set_retention); api.apply_retention removes older ones';

CREATE TABLE data.retired_event_partitions (
    partition_name text NOT NULL,
    range_from timestamp with time zone NOT NULL,
    range_to timestamp with time zone NOT NULL,
    first_generation integer,
    first_transaction_id xid8,
    first_global_position bigint,
    retired_at timestamp with time zone DEFAULT now() NOT NULL,
    retired_by text DEFAULT SESSION_USER NOT NULL
);

COMMENT ON TABLE data.retired_event_partitions IS 'Months detached from data.events by api.detach_event_partitions, with their first log position';

CREATE TABLE data.snapshots (
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    state jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    reducer_version integer,
    CONSTRAINT snapshots_version_check CHECK ((version > 0))
);

COMMENT ON TABLE data.snapshots IS 'Latest snapshot of an aggregate: its state at a version';

CREATE TABLE data.store_generations (
    generation integer NOT NULL,
    system_identifier bigint NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    server_started_at timestamp with time zone,
    CONSTRAINT store_generations_generation_check CHECK ((generation > 0))
);

COMMENT ON TABLE data.store_generations IS 'One row per cluster lifetime that wrote events; the newest row is the current generation';

COMMENT ON COLUMN data.store_generations.system_identifier IS 'pg_control_system().system_identifier of the cluster that wrote this generation';

COMMENT ON COLUMN data.store_generations.server_started_at IS 'Start time of the server that last confirmed, by its system identifier, that it writes this generation';

CREATE TABLE data.subject_keys (
    key_id uuid DEFAULT private.uuidv7() NOT NULL,
    subject_id text NOT NULL,
    key bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT subject_keys_key_check CHECK ((length(key) = 32))
);

COMMENT ON TABLE data.subject_keys IS 'One AES-256 key per data subject; deleting a row (api.forget_subject) makes that subject''s fields unreadable';

CREATE TABLE data.subject_streams (
    key_id uuid NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL
);

COMMENT ON TABLE data.subject_streams IS 'The streams holding events encrypted with a key (kept after the key is destroyed): their snapshots go when the key does';

CREATE TABLE data.subscription_consumers (
    subscription_name text NOT NULL,
    consumer text NOT NULL,
    first_claim_at timestamp with time zone DEFAULT now() NOT NULL,
    last_claim_at timestamp with time zone DEFAULT now() NOT NULL
)
WITH (fillfactor='50');

COMMENT ON TABLE data.subscription_consumers IS 'Who claims from a subscription: a consumer is a member while it claims at least once per lease';

CREATE TABLE data.subscription_leases (
    subscription_name text NOT NULL,
    lease_id bigint NOT NULL,
    consumer text NOT NULL,
    leased_at timestamp with time zone NOT NULL,
    leased_until timestamp with time zone NOT NULL,
    events private.subscription_event_ref[] NOT NULL,
    claimed_by name
);
ALTER TABLE ONLY data.subscription_leases ALTER COLUMN events SET STORAGE EXTERNAL;

COMMENT ON TABLE data.subscription_leases IS 'First deliveries of a subscription, one row per claim: the events leased to a consumer and not acknowledged yet';

COMMENT ON COLUMN data.subscription_leases.claimed_by IS 'The role that claimed: only it (or an admin) acknowledges or gives back these events';

ALTER TABLE data.subscription_leases ALTER COLUMN lease_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME data.subscription_leases_lease_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE data.subscription_skips (
    subscription_name text NOT NULL,
    event_id uuid NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    attempts integer NOT NULL,
    last_error text,
    skipped_at timestamp with time zone DEFAULT now() NOT NULL,
    skipped_by text DEFAULT SESSION_USER NOT NULL
);

COMMENT ON TABLE data.subscription_skips IS 'Parked events an admin stepped past (api.skip_parked); never delivered again, resets included';

CREATE TABLE data.tracker_roles (
    tracker text NOT NULL,
    consumer_role name NOT NULL,
    CONSTRAINT tracker_roles_tracker_check CHECK (((tracker <> ''::text) AND (char_length(tracker) <= 200)))
);

COMMENT ON TABLE data.tracker_roles IS 'Trackers reserved for a role by an admin (api.set_tracker_role): only members of consumer_role (and admins) record them';

CREATE TABLE data.tracking (
    tracker text NOT NULL,
    upstream text NOT NULL,
    "position" numeric NOT NULL,
    owner name NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tracking_position_check CHECK ((("position" >= (0)::numeric) AND ("position" = trunc("position")))),
    CONSTRAINT tracking_tracker_check CHECK (((tracker <> ''::text) AND (char_length(tracker) <= 200))),
    CONSTRAINT tracking_upstream_check CHECK (((upstream <> ''::text) AND (char_length(upstream) <= 200)))
);

COMMENT ON TABLE data.tracking IS 'How far each consumer (tracker) has processed each log it follows (upstream): a log number that only grows, moved by its owner role';

CREATE VIEW private.current_generation AS
 SELECT g.generation
   FROM ( SELECT x.generation,
            x.system_identifier,
            x.server_started_at
           FROM data.store_generations x
          ORDER BY x.generation DESC
         LIMIT 1) g
  WHERE ((g.server_started_at = pg_postmaster_start_time()) OR private.confirm_generation(g.generation, g.system_identifier));

COMMENT ON VIEW private.current_generation IS 'The generation this cluster writes; empty until its first write after a restore';

CREATE VIEW private.events_as_read AS
 SELECT e.id,
    e.stream_type,
    e.stream_id,
    e.version,
    e.event_type,
        CASE
            WHEN (e.schema_version < r.current_version) THEN private.upcast_event(e.event_type,
            CASE
                WHEN r.personal THEN private.reveal_personal_data(e.event_data)
                ELSE e.event_data
            END, e.schema_version, r.current_version)
            WHEN r.personal THEN private.reveal_personal_data(e.event_data)
            ELSE e.event_data
        END AS event_data,
        CASE
            WHEN ((e.schema_version < r.current_version) AND (e.metadata ? 'version'::text)) THEN (e.metadata || jsonb_build_object('version', r.current_version))
            ELSE e.metadata
        END AS metadata,
    e.created_at,
    e.global_position,
    e.transaction_id,
    e.generation,
    GREATEST(e.schema_version, r.current_version) AS schema_version,
    e.log_number
   FROM (data.events e
     CROSS JOIN LATERAL ( SELECT ((( SELECT jsonb_object_agg(t.event_type, t.current_version) AS jsonb_object_agg
                   FROM data.event_types t
                  WHERE (t.current_version > 1)) ->> e.event_type))::integer AS current_version,
            (e.event_type = ANY (ARRAY( SELECT p.event_type
                   FROM data.personal_data p))) AS personal) r);

COMMENT ON VIEW private.events_as_read IS 'data.events as readers read it: personal data opened (null once forgotten), payloads upcast to the current version';

ALTER TABLE ONLY data.events ATTACH PARTITION data.events_YYYY_MM FOR VALUES FROM ('YYYY-MM-01 00:00:00+00') TO ('YYYY-MM-01 00:00:00+00');

ALTER TABLE ONLY data.events ATTACH PARTITION data.events_YYYY_MM FOR VALUES FROM ('YYYY-MM-01 00:00:00+00') TO ('YYYY-MM-01 00:00:00+00');

ALTER TABLE ONLY data.events ATTACH PARTITION data.events_YYYY_MM FOR VALUES FROM ('YYYY-MM-01 00:00:00+00') TO ('YYYY-MM-01 00:00:00+00');

ALTER TABLE ONLY data.events ATTACH PARTITION data.events_YYYY_MM FOR VALUES FROM ('YYYY-MM-01 00:00:00+00') TO ('YYYY-MM-01 00:00:00+00');

ALTER TABLE ONLY data.events ATTACH PARTITION data.events_default DEFAULT;

ALTER TABLE ONLY data.events ALTER COLUMN global_position SET DEFAULT nextval('data.events_global_position_seq'::regclass);

ALTER TABLE ONLY data.event_removals
    ADD CONSTRAINT event_removals_pkey PRIMARY KEY (removal_id);

ALTER TABLE ONLY data.event_schemas
    ADD CONSTRAINT event_schemas_pkey PRIMARY KEY (event_type, version);

ALTER TABLE ONLY data.event_streams
    ADD CONSTRAINT event_streams_pkey PRIMARY KEY (stream_type, stream_id);

ALTER TABLE ONLY data.event_tags
    ADD CONSTRAINT event_tags_pkey PRIMARY KEY (generation, transaction_id, global_position);

ALTER TABLE ONLY data.event_types
    ADD CONSTRAINT event_types_pkey PRIMARY KEY (event_type);

ALTER TABLE ONLY data.event_upcasters
    ADD CONSTRAINT event_upcasters_pkey PRIMARY KEY (event_type, from_version);

ALTER TABLE ONLY data.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id, created_at);

ALTER TABLE ONLY data.events_YYYY_MM
    ADD CONSTRAINT events_YYYY_MM_pkey PRIMARY KEY (id, created_at);

ALTER TABLE ONLY data.events_YYYY_MM
    ADD CONSTRAINT events_YYYY_MM_pkey PRIMARY KEY (id, created_at);

ALTER TABLE ONLY data.events_YYYY_MM
    ADD CONSTRAINT events_YYYY_MM_pkey PRIMARY KEY (id, created_at);

ALTER TABLE ONLY data.events_YYYY_MM
    ADD CONSTRAINT events_YYYY_MM_pkey PRIMARY KEY (id, created_at);

ALTER TABLE ONLY data.events_default
    ADD CONSTRAINT events_default_pkey PRIMARY KEY (id, created_at);

ALTER TABLE ONLY data.forgotten_subjects
    ADD CONSTRAINT forgotten_subjects_pkey PRIMARY KEY (key_id);

ALTER TABLE ONLY data.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (idempotency_key);

ALTER TABLE ONLY data.personal_data
    ADD CONSTRAINT personal_data_pkey PRIMARY KEY (event_type);

ALTER TABLE ONLY data.projection_checkpoints
    ADD CONSTRAINT projection_checkpoints_pkey PRIMARY KEY (projection_name);

ALTER TABLE ONLY data.projection_skips
    ADD CONSTRAINT projection_skips_pkey PRIMARY KEY (projection_name, event_id);

ALTER TABLE ONLY data.projections
    ADD CONSTRAINT projections_pkey PRIMARY KEY (projection_name);

ALTER TABLE ONLY data.projections
    ADD CONSTRAINT projections_version_key UNIQUE (version_of, version);

ALTER TABLE ONLY data.reducers
    ADD CONSTRAINT reducers_pkey PRIMARY KEY (stream_type);

ALTER TABLE ONLY data.removed_events
    ADD CONSTRAINT removed_events_pkey PRIMARY KEY (id);

ALTER TABLE ONLY data.retention_policies
    ADD CONSTRAINT retention_policies_pkey PRIMARY KEY (stream_type);

ALTER TABLE ONLY data.retired_event_partitions
    ADD CONSTRAINT retired_event_partitions_pkey PRIMARY KEY (partition_name);

ALTER TABLE ONLY data.snapshots
    ADD CONSTRAINT snapshots_pkey PRIMARY KEY (stream_type, stream_id);

ALTER TABLE ONLY data.store_generations
    ADD CONSTRAINT store_generations_pkey PRIMARY KEY (generation);

ALTER TABLE ONLY data.subject_keys
    ADD CONSTRAINT subject_keys_pkey PRIMARY KEY (key_id);

ALTER TABLE ONLY data.subject_keys
    ADD CONSTRAINT subject_keys_subject_id_key UNIQUE (subject_id);

ALTER TABLE ONLY data.subject_streams
    ADD CONSTRAINT subject_streams_pkey PRIMARY KEY (key_id, stream_type, stream_id);

ALTER TABLE ONLY data.subscription_consumers
    ADD CONSTRAINT subscription_consumers_pkey PRIMARY KEY (subscription_name, consumer);

ALTER TABLE ONLY data.subscription_events
    ADD CONSTRAINT subscription_events_pkey PRIMARY KEY (subscription_name, event_id);

ALTER TABLE ONLY data.subscription_leases
    ADD CONSTRAINT subscription_leases_pkey PRIMARY KEY (subscription_name, lease_id);

ALTER TABLE ONLY data.subscription_skips
    ADD CONSTRAINT subscription_skips_pkey PRIMARY KEY (subscription_name, event_id);

ALTER TABLE ONLY data.subscriptions
    ADD CONSTRAINT subscriptions_pkey PRIMARY KEY (subscription_name);

ALTER TABLE ONLY data.tracker_roles
    ADD CONSTRAINT tracker_roles_pkey PRIMARY KEY (tracker);

ALTER TABLE ONLY data.tracking
    ADD CONSTRAINT tracking_pkey PRIMARY KEY (tracker, upstream);

CREATE INDEX event_removals_transaction_idx ON data.event_removals USING btree (transaction_id);

CREATE INDEX event_tags_tags_idx ON data.event_tags USING gin (tags) WITH (fastupdate=off);

CREATE INDEX event_tags_type_idx ON data.event_tags USING btree (event_type, generation, transaction_id, global_position);

CREATE INDEX events_created_idx ON ONLY data.events USING brin (created_at) WITH (autosummarize='on');

CREATE INDEX events_YYYY_MM_created_at_idx ON data.events_YYYY_MM USING brin (created_at) WITH (autosummarize='on');

CREATE INDEX events_type_idx ON ONLY data.events USING btree (event_type, generation, transaction_id, global_position);

CREATE INDEX events_YYYY_MM_event_type_generation_transaction_id_global__idx ON data.events_YYYY_MM USING btree (event_type, generation, transaction_id, global_position);

CREATE INDEX events_causation_idx ON ONLY data.events USING btree (((metadata ->> 'causation_id'::text))) WHERE (metadata ? 'causation_id'::text);

CREATE INDEX events_YYYY_MM_expr_idx ON data.events_YYYY_MM USING btree (((metadata ->> 'causation_id'::text))) WHERE (metadata ? 'causation_id'::text);

CREATE INDEX events_correlation_idx ON ONLY data.events USING btree (((metadata ->> 'correlation_id'::text))) WHERE (metadata ? 'correlation_id'::text);

CREATE INDEX events_YYYY_MM_expr_idx1 ON data.events_YYYY_MM USING btree (((metadata ->> 'correlation_id'::text))) WHERE (metadata ? 'correlation_id'::text);

CREATE INDEX events_log_idx ON ONLY data.events USING btree (generation, transaction_id, global_position);

CREATE INDEX events_YYYY_MM_generation_transaction_id_global_position_idx ON data.events_YYYY_MM USING btree (generation, transaction_id, global_position);

CREATE INDEX events_stream_idx ON ONLY data.events USING btree (stream_type, stream_id, version);

CREATE INDEX events_YYYY_MM_stream_type_stream_id_version_idx ON data.events_YYYY_MM USING btree (stream_type, stream_id, version);

CREATE INDEX events_YYYY_MM_created_at_idx ON data.events_YYYY_MM USING brin (created_at) WITH (autosummarize='on');

CREATE INDEX events_YYYY_MM_event_type_generation_transaction_id_global__idx ON data.events_YYYY_MM USING btree (event_type, generation, transaction_id, global_position);

CREATE INDEX events_YYYY_MM_expr_idx ON data.events_YYYY_MM USING btree (((metadata ->> 'causation_id'::text))) WHERE (metadata ? 'causation_id'::text);

CREATE INDEX events_YYYY_MM_expr_idx1 ON data.events_YYYY_MM USING btree (((metadata ->> 'correlation_id'::text))) WHERE (metadata ? 'correlation_id'::text);

CREATE INDEX events_YYYY_MM_generation_transaction_id_global_position_idx ON data.events_YYYY_MM USING btree (generation, transaction_id, global_position);

CREATE INDEX events_YYYY_MM_stream_type_stream_id_version_idx ON data.events_YYYY_MM USING btree (stream_type, stream_id, version);

CREATE INDEX events_YYYY_MM_created_at_idx ON data.events_YYYY_MM USING brin (created_at) WITH (autosummarize='on');

CREATE INDEX events_YYYY_MM_event_type_generation_transaction_id_global__idx ON data.events_YYYY_MM USING btree (event_type, generation, transaction_id, global_position);

CREATE INDEX events_YYYY_MM_expr_idx ON data.events_YYYY_MM USING btree (((metadata ->> 'causation_id'::text))) WHERE (metadata ? 'causation_id'::text);

CREATE INDEX events_YYYY_MM_expr_idx1 ON data.events_YYYY_MM USING btree (((metadata ->> 'correlation_id'::text))) WHERE (metadata ? 'correlation_id'::text);

CREATE INDEX events_YYYY_MM_generation_transaction_id_global_position_idx ON data.events_YYYY_MM USING btree (generation, transaction_id, global_position);

CREATE INDEX events_YYYY_MM_stream_type_stream_id_version_idx ON data.events_YYYY_MM USING btree (stream_type, stream_id, version);

CREATE INDEX events_YYYY_MM_created_at_idx ON data.events_YYYY_MM USING brin (created_at) WITH (autosummarize='on');

CREATE INDEX events_YYYY_MM_event_type_generation_transaction_id_global__idx ON data.events_YYYY_MM USING btree (event_type, generation, transaction_id, global_position);

CREATE INDEX events_YYYY_MM_expr_idx ON data.events_YYYY_MM USING btree (((metadata ->> 'causation_id'::text))) WHERE (metadata ? 'causation_id'::text);

CREATE INDEX events_YYYY_MM_expr_idx1 ON data.events_YYYY_MM USING btree (((metadata ->> 'correlation_id'::text))) WHERE (metadata ? 'correlation_id'::text);

CREATE INDEX events_YYYY_MM_generation_transaction_id_global_position_idx ON data.events_YYYY_MM USING btree (generation, transaction_id, global_position);

CREATE INDEX events_YYYY_MM_stream_type_stream_id_version_idx ON data.events_YYYY_MM USING btree (stream_type, stream_id, version);

CREATE INDEX events_default_causation_idx ON data.events_default USING btree (((metadata ->> 'causation_id'::text))) WHERE (metadata ? 'causation_id'::text);

CREATE INDEX events_default_correlation_key ON data.events_default USING btree (((metadata ->> 'correlation_id'::text))) WHERE (metadata ? 'correlation_id'::text);

CREATE INDEX events_default_created_brin ON data.events_default USING brin (created_at) WITH (autosummarize='on');

CREATE INDEX events_default_event_type_generation_transaction_id_global__idx ON data.events_default USING btree (event_type, generation, transaction_id, global_position);

CREATE INDEX events_default_generation_transaction_id_global_position_idx ON data.events_default USING btree (generation, transaction_id, global_position);

CREATE INDEX events_default_stream_type_stream_id_version_idx ON data.events_default USING btree (stream_type, stream_id, version);

CREATE INDEX idempotency_keys_created_idx ON data.idempotency_keys USING btree (created_at);

CREATE INDEX removed_events_log_idx ON data.removed_events USING btree (generation, transaction_id, global_position);

CREATE INDEX removed_events_removal_idx ON data.removed_events USING btree (removal_id);

CREATE INDEX snapshots_version_idx ON data.snapshots USING btree (stream_type, stream_id, version);

CREATE INDEX subject_streams_stream_idx ON data.subject_streams USING btree (stream_type, stream_id);

CREATE INDEX subscription_events_lease_idx ON data.subscription_events USING btree (subscription_name, leased_until) WHERE (consumer IS NOT NULL);

CREATE INDEX subscription_events_parked_idx ON data.subscription_events USING btree (subscription_name, parked_at) WHERE (parked_at IS NOT NULL);

CREATE INDEX subscription_events_stream_idx ON data.subscription_events USING btree (subscription_name, stream_type, stream_id, version);

CREATE INDEX subscription_events_waiting_idx ON data.subscription_events USING btree (subscription_name, generation, transaction_id, global_position) WHERE ((consumer IS NULL) AND (parked_at IS NULL));

CREATE INDEX subscription_leases_consumer_idx ON data.subscription_leases USING btree (subscription_name, consumer);

ALTER INDEX data.events_created_idx ATTACH PARTITION data.events_YYYY_MM_created_at_idx;

ALTER INDEX data.events_type_idx ATTACH PARTITION data.events_YYYY_MM_event_type_generation_transaction_id_global__idx;

ALTER INDEX data.events_causation_idx ATTACH PARTITION data.events_YYYY_MM_expr_idx;

ALTER INDEX data.events_correlation_idx ATTACH PARTITION data.events_YYYY_MM_expr_idx1;

ALTER INDEX data.events_log_idx ATTACH PARTITION data.events_YYYY_MM_generation_transaction_id_global_position_idx;

ALTER INDEX data.events_pkey ATTACH PARTITION data.events_YYYY_MM_pkey;

ALTER INDEX data.events_stream_idx ATTACH PARTITION data.events_YYYY_MM_stream_type_stream_id_version_idx;

ALTER INDEX data.events_created_idx ATTACH PARTITION data.events_YYYY_MM_created_at_idx;

ALTER INDEX data.events_type_idx ATTACH PARTITION data.events_YYYY_MM_event_type_generation_transaction_id_global__idx;

ALTER INDEX data.events_causation_idx ATTACH PARTITION data.events_YYYY_MM_expr_idx;

ALTER INDEX data.events_correlation_idx ATTACH PARTITION data.events_YYYY_MM_expr_idx1;

ALTER INDEX data.events_log_idx ATTACH PARTITION data.events_YYYY_MM_generation_transaction_id_global_position_idx;

ALTER INDEX data.events_pkey ATTACH PARTITION data.events_YYYY_MM_pkey;

ALTER INDEX data.events_stream_idx ATTACH PARTITION data.events_YYYY_MM_stream_type_stream_id_version_idx;

ALTER INDEX data.events_created_idx ATTACH PARTITION data.events_YYYY_MM_created_at_idx;

ALTER INDEX data.events_type_idx ATTACH PARTITION data.events_YYYY_MM_event_type_generation_transaction_id_global__idx;

ALTER INDEX data.events_causation_idx ATTACH PARTITION data.events_YYYY_MM_expr_idx;

ALTER INDEX data.events_correlation_idx ATTACH PARTITION data.events_YYYY_MM_expr_idx1;

ALTER INDEX data.events_log_idx ATTACH PARTITION data.events_YYYY_MM_generation_transaction_id_global_position_idx;

ALTER INDEX data.events_pkey ATTACH PARTITION data.events_YYYY_MM_pkey;

ALTER INDEX data.events_stream_idx ATTACH PARTITION data.events_YYYY_MM_stream_type_stream_id_version_idx;

ALTER INDEX data.events_created_idx ATTACH PARTITION data.events_YYYY_MM_created_at_idx;

ALTER INDEX data.events_type_idx ATTACH PARTITION data.events_YYYY_MM_event_type_generation_transaction_id_global__idx;

ALTER INDEX data.events_causation_idx ATTACH PARTITION data.events_YYYY_MM_expr_idx;

ALTER INDEX data.events_correlation_idx ATTACH PARTITION data.events_YYYY_MM_expr_idx1;

ALTER INDEX data.events_log_idx ATTACH PARTITION data.events_YYYY_MM_generation_transaction_id_global_position_idx;

ALTER INDEX data.events_pkey ATTACH PARTITION data.events_YYYY_MM_pkey;

ALTER INDEX data.events_stream_idx ATTACH PARTITION data.events_YYYY_MM_stream_type_stream_id_version_idx;

ALTER INDEX data.events_causation_idx ATTACH PARTITION data.events_default_causation_idx;

ALTER INDEX data.events_correlation_idx ATTACH PARTITION data.events_default_correlation_key;

ALTER INDEX data.events_created_idx ATTACH PARTITION data.events_default_created_brin;

ALTER INDEX data.events_type_idx ATTACH PARTITION data.events_default_event_type_generation_transaction_id_global__idx;

ALTER INDEX data.events_log_idx ATTACH PARTITION data.events_default_generation_transaction_id_global_position_idx;

ALTER INDEX data.events_pkey ATTACH PARTITION data.events_default_pkey;

ALTER INDEX data.events_stream_idx ATTACH PARTITION data.events_default_stream_type_stream_id_version_idx;

CREATE TRIGGER event_removals_stamp BEFORE INSERT OR UPDATE OF removed_by, transaction_id, removed_at ON data.event_removals FOR EACH ROW EXECUTE FUNCTION private.stamp_event_removal();

ALTER TABLE data.event_removals ENABLE ALWAYS TRIGGER event_removals_stamp;

CREATE TRIGGER event_streams_refuse_deleted BEFORE UPDATE ON data.event_streams FOR EACH ROW WHEN ((old.deleted_at IS NOT NULL)) EXECUTE FUNCTION private.refuse_deleted_stream();

ALTER TABLE data.event_streams ENABLE ALWAYS TRIGGER event_streams_refuse_deleted;

CREATE TRIGGER events_number BEFORE INSERT ON data.events FOR EACH ROW WHEN ((new.log_number IS NULL)) EXECUTE FUNCTION private.number_event();

ALTER TABLE data.events ENABLE ALWAYS TRIGGER events_number;

CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON data.events FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change();

ALTER TABLE data.events ENABLE ALWAYS TRIGGER events_refuse_truncate;

CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON data.events_YYYY_MM FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change();

ALTER TABLE data.events_YYYY_MM ENABLE ALWAYS TRIGGER events_refuse_truncate;

CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON data.events_YYYY_MM FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change();

ALTER TABLE data.events_YYYY_MM ENABLE ALWAYS TRIGGER events_refuse_truncate;

CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON data.events_YYYY_MM FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change();

ALTER TABLE data.events_YYYY_MM ENABLE ALWAYS TRIGGER events_refuse_truncate;

CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON data.events_YYYY_MM FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change();

ALTER TABLE data.events_YYYY_MM ENABLE ALWAYS TRIGGER events_refuse_truncate;

CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON data.events_default FOR EACH STATEMENT EXECUTE FUNCTION private.refuse_event_change();

ALTER TABLE data.events_default ENABLE ALWAYS TRIGGER events_refuse_truncate;

CREATE TRIGGER events_refuse_update_delete BEFORE DELETE OR UPDATE ON data.events FOR EACH ROW EXECUTE FUNCTION private.refuse_event_change();

ALTER TABLE data.events ENABLE ALWAYS TRIGGER events_refuse_update_delete;

CREATE TRIGGER reducers_sync_snapshot_projection AFTER INSERT OR DELETE OR UPDATE ON data.reducers FOR EACH STATEMENT EXECUTE FUNCTION private.sync_snapshot_projection();

ALTER TABLE ONLY data.projection_checkpoints
    ADD CONSTRAINT projection_checkpoints_projection_name_fkey FOREIGN KEY (projection_name) REFERENCES data.projections(projection_name) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY data.projection_skips
    ADD CONSTRAINT projection_skips_projection_name_fkey FOREIGN KEY (projection_name) REFERENCES data.projections(projection_name) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY data.removed_events
    ADD CONSTRAINT removed_events_removal_id_fkey FOREIGN KEY (removal_id) REFERENCES data.event_removals(removal_id);

ALTER TABLE ONLY data.subscription_consumers
    ADD CONSTRAINT subscription_consumers_subscription_name_fkey FOREIGN KEY (subscription_name) REFERENCES data.subscriptions(subscription_name) ON DELETE CASCADE;

ALTER TABLE ONLY data.subscription_events
    ADD CONSTRAINT subscription_events_subscription_name_fkey FOREIGN KEY (subscription_name) REFERENCES data.subscriptions(subscription_name) ON DELETE CASCADE;

ALTER TABLE ONLY data.subscription_leases
    ADD CONSTRAINT subscription_leases_subscription_name_fkey FOREIGN KEY (subscription_name) REFERENCES data.subscriptions(subscription_name) ON DELETE CASCADE;

ALTER TABLE ONLY data.subscription_skips
    ADD CONSTRAINT subscription_skips_subscription_name_fkey FOREIGN KEY (subscription_name) REFERENCES data.subscriptions(subscription_name) ON DELETE CASCADE;

GRANT USAGE ON SCHEMA api TO eventstore_reader;

GRANT USAGE ON SCHEMA data TO eventstore_admin;

REVOKE ALL ON FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[]) FROM PUBLIC;
GRANT ALL ON FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[]) TO eventstore_projector;

REVOKE ALL ON PROCEDURE api.append_events(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, INOUT io_new_version integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE api.append_events(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, INOUT io_new_version integer) TO eventstore_writer;

REVOKE ALL ON PROCEDURE api.append_events_idempotent(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, IN in_idempotency_key uuid, INOUT io_new_version integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE api.append_events_idempotent(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, IN in_idempotency_key uuid, INOUT io_new_version integer) TO eventstore_writer;

REVOKE ALL ON FUNCTION api.append_tagged(in_events jsonb, in_fail_if_match jsonb, in_after numeric) FROM PUBLIC;
GRANT ALL ON FUNCTION api.append_tagged(in_events jsonb, in_fail_if_match jsonb, in_after numeric) TO eventstore_writer;

REVOKE ALL ON FUNCTION api.append_versioned(in_stream_type text, in_streams jsonb, in_gaps boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION api.append_versioned(in_stream_type text, in_streams jsonb, in_gaps boolean) TO eventstore_writer;

REVOKE ALL ON PROCEDURE api.apply_retention(IN in_batch_size integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE api.apply_retention(IN in_batch_size integer) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.apply_retention_step(in_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.apply_retention_step(in_batch_size integer) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.call_append_events(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, INOUT io_new_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.call_append_events(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, INOUT io_new_version integer) TO eventstore_writer;

REVOKE ALL ON FUNCTION api.call_append_events_idempotent(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, in_idempotency_key uuid, INOUT io_new_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.call_append_events_idempotent(in_stream_type text, in_stream_id uuid, in_expected_version integer, in_events jsonb, in_idempotency_key uuid, INOUT io_new_version integer) TO eventstore_writer;

REVOKE ALL ON FUNCTION api.claim_events(in_subscription text, in_consumer text, in_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.claim_events(in_subscription text, in_consumer text, in_limit integer) TO eventstore_projector;

REVOKE ALL ON FUNCTION api.create_subscription(in_name text, in_stream_types text[], in_event_types text[], in_from_beginning boolean, in_max_attempts integer, in_lease interval) FROM PUBLIC;
GRANT ALL ON FUNCTION api.create_subscription(in_name text, in_stream_types text[], in_event_types text[], in_from_beginning boolean, in_max_attempts integer, in_lease interval) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer) TO eventstore_writer;

REVOKE ALL ON PROCEDURE api.detach_event_partitions(IN in_before date) FROM PUBLIC;
GRANT ALL ON PROCEDURE api.detach_event_partitions(IN in_before date) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.drop_projection_version(in_projection_name text, in_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.drop_projection_version(in_projection_name text, in_version integer) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.drop_subscription(in_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.drop_subscription(in_name text) TO eventstore_admin;

REVOKE ALL ON PROCEDURE api.ensure_event_partitions(IN in_months_ahead integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE api.ensure_event_partitions(IN in_months_ahead integer) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.error_codes() FROM PUBLIC;
GRANT ALL ON FUNCTION api.error_codes() TO eventstore_reader;

REVOKE ALL ON FUNCTION api.forget_subject(in_subject_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.forget_subject(in_subject_id text) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.get_aggregate_state(in_stream_type text, in_stream_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_aggregate_state(in_stream_type text, in_stream_id uuid) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.get_all_events(in_after_id uuid, in_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_all_events(in_after_id uuid, in_limit integer) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.get_causation_chain(in_event_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_causation_chain(in_event_id uuid) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.get_events(in_stream_type text, in_stream_id uuid, in_from_version integer, in_to_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_events(in_stream_type text, in_stream_id uuid, in_from_version integer, in_to_version integer) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.get_events_by_correlation(in_correlation_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_events_by_correlation(in_correlation_id text) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.get_events_by_type(in_event_types text[], in_after_id uuid, in_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_events_by_type(in_event_types text[], in_after_id uuid, in_limit integer) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.get_stream_version(in_stream_type text, in_stream_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_stream_version(in_stream_type text, in_stream_id uuid) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.last_log_number(in_stream_types text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION api.last_log_number(in_stream_types text[]) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.last_tagged_number() FROM PUBLIC;
GRANT ALL ON FUNCTION api.last_tagged_number() TO eventstore_reader;

REVOKE ALL ON FUNCTION api.load_aggregate(in_stream_type text, in_stream_id uuid, in_as_of_version integer, in_as_of timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION api.load_aggregate(in_stream_type text, in_stream_id uuid, in_as_of_version integer, in_as_of timestamp with time zone) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.nack_event(in_subscription text, in_consumer text, in_event_id uuid, in_error text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.nack_event(in_subscription text, in_consumer text, in_event_id uuid, in_error text) TO eventstore_projector;

REVOKE ALL ON FUNCTION api.pause_projection(in_projection_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.pause_projection(in_projection_name text) TO eventstore_projector;

REVOKE ALL ON FUNCTION api.projection_live_version(in_projection_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.projection_live_version(in_projection_name text) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.projection_replaying() FROM PUBLIC;
GRANT ALL ON FUNCTION api.projection_replaying() TO eventstore_reader;

REVOKE ALL ON FUNCTION api.promote_projection(in_projection_name text, in_version integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.promote_projection(in_projection_name text, in_version integer) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.purge_idempotency_keys(in_older_than interval) FROM PUBLIC;
GRANT ALL ON FUNCTION api.purge_idempotency_keys(in_older_than interval) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.purge_stream(in_stream_type text, in_stream_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.purge_stream(in_stream_type text, in_stream_id uuid) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.read_log(in_after numeric, in_limit integer, in_stream_types text[], in_event_types text[], in_up_to numeric) FROM PUBLIC;
GRANT ALL ON FUNCTION api.read_log(in_after numeric, in_limit integer, in_stream_types text[], in_event_types text[], in_up_to numeric) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.read_log_split(in_shards integer[], in_after numeric[], in_shard_count integer, in_limit integer, in_stream_types text[], in_event_types text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION api.read_log_split(in_shards integer[], in_after numeric[], in_shard_count integer, in_limit integer, in_stream_types text[], in_event_types text[]) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.read_tagged(in_query jsonb, in_after numeric, in_limit integer, in_up_to numeric) FROM PUBLIC;
GRANT ALL ON FUNCTION api.read_tagged(in_query jsonb, in_after numeric, in_limit integer, in_up_to numeric) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.read_versioned(in_stream_type text, in_stream_id uuid, in_after_version integer, in_up_to_version integer, in_descending boolean, in_limit integer, in_gaps boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION api.read_versioned(in_stream_type text, in_stream_id uuid, in_after_version integer, in_up_to_version integer, in_descending boolean, in_limit integer, in_gaps boolean) TO eventstore_reader;

REVOKE ALL ON PROCEDURE api.rebuild_projection(IN in_projection_name text) FROM PUBLIC;
GRANT ALL ON PROCEDURE api.rebuild_projection(IN in_projection_name text) TO eventstore_projector;

REVOKE ALL ON FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric) FROM PUBLIC;
GRANT ALL ON FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric) TO eventstore_writer;
GRANT ALL ON FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric) TO eventstore_projector;

REVOKE ALL ON FUNCTION api.register_event_schema(in_event_type text, in_version integer, in_schema jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION api.register_event_schema(in_event_type text, in_version integer, in_schema jsonb) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[]) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.register_projection(in_projection_name text, in_handler regprocedure, in_reset_handler regprocedure, in_event_types text[], in_stream_types text[], in_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.register_projection(in_projection_name text, in_handler regprocedure, in_reset_handler regprocedure, in_event_types text[], in_stream_types text[], in_batch_size integer) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.register_projection_version(in_projection_name text, in_version integer, in_handler regprocedure, in_reset_handler regprocedure) FROM PUBLIC;
GRANT ALL ON FUNCTION api.register_projection_version(in_projection_name text, in_version integer, in_handler regprocedure, in_reset_handler regprocedure) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.register_reducer(in_stream_type text, in_reducer regprocedure, in_reducer_version integer, in_snapshot_interval integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.register_reducer(in_stream_type text, in_reducer regprocedure, in_reducer_version integer, in_snapshot_interval integer) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure) FROM PUBLIC;
GRANT ALL ON FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.replay_parked(in_subscription text, in_event_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.replay_parked(in_subscription text, in_event_id uuid) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.reset_projection(in_projection_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.reset_projection(in_projection_name text) TO eventstore_projector;

REVOKE ALL ON FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean) TO eventstore_projector;

REVOKE ALL ON FUNCTION api.run_projection(in_projection_name text, in_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.run_projection(in_projection_name text, in_batch_size integer) TO eventstore_projector;

REVOKE ALL ON FUNCTION api.run_projections(in_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.run_projections(in_batch_size integer) TO eventstore_projector;

REVOKE ALL ON FUNCTION api.set_retention(in_stream_type text, in_keep interval) FROM PUBLIC;
GRANT ALL ON FUNCTION api.set_retention(in_stream_type text, in_keep interval) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.set_subscription_role(in_subscription text, in_role name) FROM PUBLIC;
GRANT ALL ON FUNCTION api.set_subscription_role(in_subscription text, in_role name) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.set_tracker_role(in_tracker text, in_role name) FROM PUBLIC;
GRANT ALL ON FUNCTION api.set_tracker_role(in_tracker text, in_role name) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.skip_parked(in_subscription text, in_event_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION api.skip_parked(in_subscription text, in_event_id uuid) TO eventstore_admin;

REVOKE ALL ON FUNCTION api.tracking_position(in_tracker text, in_upstream text) FROM PUBLIC;
GRANT ALL ON FUNCTION api.tracking_position(in_tracker text, in_upstream text) TO eventstore_reader;

REVOKE ALL ON FUNCTION api.uuidv7() FROM PUBLIC;
GRANT ALL ON FUNCTION api.uuidv7() TO eventstore_reader;

REVOKE ALL ON FUNCTION private.acts_for(in_registrant name, in_role oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.announced_before_xid() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.calling_admin() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.calling_role() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.check_event_batch(in_events jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.check_event_exists(in_event_id uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.check_event_schema(in_event_type text, in_version integer, in_event_data jsonb, in_position bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.check_interval(in_value interval, in_argument text, in_min interval, in_max interval) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.check_limit(in_limit integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.check_projection_handlers(in_handler regprocedure, in_reset_handler regprocedure) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.check_subscription_name(in_name text, in_argument text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.check_type_filter(in_types text[], in_argument text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.confirm_generation(in_generation integer, in_system_identifier bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.count_events_after(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8, OUT behind bigint, OUT held_back bigint, OUT exact boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.create_event_partition(in_month date) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.cron_jobs(in_version integer[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.cursor_position(in_event_id uuid, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.drop_unused_invokers() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.expired_event_partition() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.extension_schema(in_extension name) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.first_unreadable_event(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_limit integer, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8, OUT event_id uuid, OUT error_sqlstate text, OUT error_message text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.uuidv7() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.writer_generation() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.fold_events(in_reducer regprocedure, in_state jsonb, in_events data.events[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.forget_deliveries_created_before(in_before timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.forget_removed_deliveries(in_ids uuid[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.guard_drops() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.guard_events_ddl() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.hold_stream_keys(in_stream_type text, in_stream_id uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.horizon_holder(in_holder_pid integer, in_holder_gid text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.invoker_call(in_invoker regprocedure, in_what text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.json_path_member(in_path text, in_key text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.json_schema_error(in_schema jsonb, in_value jsonb, in_path text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.json_schema_problem(in_schema jsonb, in_path text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.lock_projection_versions(in_projection_name text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.lock_subscription(in_name text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.lock_tags(in_events jsonb, in_condition jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.log_block(in_generation integer, in_transaction_id xid8) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.log_events(in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.log_number(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_created_at timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.log_number_base(in_generation integer, in_transaction_id xid8, in_created_at timestamp with time zone) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.log_number_position(in_number numeric, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.log_refs(in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.make_invoker(in_function regprocedure, in_kind text, in_registrant name, in_check boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.make_read_guard(in_name text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.mark_projection_failed(in_projection_name text, in_sqlstate text, in_message text, in_event_id uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.maybe_create_snapshot(in_events data.events[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.new_subject_key() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.notify_events(in_events data.events[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.number_event() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.oldest_transaction_pid() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.open_sealed(in_sealed jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.open_value(in_sealed text, in_key bytea) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.own_version(in_metadata jsonb, in_version integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.parked_event(in_subscription text, in_event_id uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.projection_acted_until(in_projection_name text, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.projection_status() FROM PUBLIC;
GRANT ALL ON FUNCTION private.projection_status() TO eventstore_reader;

REVOKE ALL ON PROCEDURE private.projection_worker(IN in_seconds numeric) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.promotion_max_lag() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.publish_read_horizon(in_horizon bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.raise_append_conflict(in_stream_type text, in_stream_id uuid, in_expected_version integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.raise_if_locked(in_table regclass) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.raise_unknown_projection(in_projection_name text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.raise_unknown_projection_version(in_projection_name text, in_version integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.raise_unknown_subscription(in_name text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.read_deliveries_one_by_one(in_subscription text, in_ids uuid[], in_created timestamp with time zone[], in_attempts integer[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.read_event_alone(in_id uuid, in_created_at timestamp with time zone, OUT stream_type text, OUT stream_id uuid, OUT version integer, OUT event_type text, OUT event_data jsonb, OUT metadata jsonb, OUT error_sqlstate text, OUT error_message text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.read_horizon(OUT generation integer, OUT transaction_id xid8, OUT holder_pid integer, OUT holder_gid text, OUT fallback text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.readable_after(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_horizon_generation integer, in_horizon_transaction_id xid8) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.refresh_event_type(in_event_type text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.refuse_deleted_stream() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.refuse_event_change() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.refuse_passed_appender(in_xid xid8) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.regex_problem(in_pattern text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.registration_problem(in_function regprocedure, in_registrant name) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.reset_projection_state(in_projection_name text, in_status text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.retention_cutoff(in_keep interval) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.retire_event_partition(in_partition text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.reveal_personal_data(in_event_data jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.run_projection_batch(in_projection_name text, in_batch_size integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.run_projection_guarded(in_projection_name text, in_batch_size integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.run_with_lock_retries(in_sql text, in_what text) FROM PUBLIC;

REVOKE ALL ON PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb) FROM PUBLIC;

REVOKE ALL ON PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb, IN in_read_snapshot pg_snapshot) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.seal_personal_data(in_event_type text, in_event_data jsonb, in_stream_type text, in_stream_id uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.seal_value(in_value jsonb, in_key bytea) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.snapshot_is_current(in_stream_type text, in_reducer_version integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.stamp_event_removal() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.status_horizon() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.stream_is_deleted(in_stream_type text, in_stream_id uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.subject_key(in_subject_id text, OUT key_id uuid, OUT key bytea) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.subscription_intake(in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8, OUT refs private.subscription_event_ref[], OUT events data.events[], OUT unreadable_ids uuid[], OUT unreadable_errors text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.subscription_intake_unread(in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8, in_error text, OUT refs private.subscription_event_ref[], OUT events data.events[], OUT unreadable_ids uuid[], OUT unreadable_errors text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.subscription_status() FROM PUBLIC;
GRANT ALL ON FUNCTION private.subscription_status() TO eventstore_admin;

REVOKE ALL ON FUNCTION private.sync_snapshot_projection() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.tag_items(in_query jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.tag_query(in_query jsonb, in_what text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.tagged_positions(in_query jsonb, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.upcast_event(in_event_type text, in_event_data jsonb, in_from_version integer, in_to_version integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.uuidv7_time(in_id uuid) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.xid_near(in_xid xid, in_near bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION registered.handler_maybe_create_snapshot_4cee14e3cc54(in_events data.events[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION registered.handler_notify_events_9aff2957da5d(in_events data.events[]) FROM PUBLIC;

GRANT SELECT ON TABLE api.append_lock_waits TO eventstore_reader;

GRANT SELECT ON TABLE api.parked_events TO eventstore_admin;

GRANT SELECT ON TABLE api.projection_status TO eventstore_reader;

GRANT SELECT ON TABLE api.subscription_status TO eventstore_admin;

CREATE EVENT TRIGGER eventstore_guard_drops ON sql_drop
   EXECUTE FUNCTION private.guard_drops();

CREATE EVENT TRIGGER eventstore_guard_events_ddl ON ddl_command_end
         WHEN TAG IN ('ALTER TABLE')
   EXECUTE FUNCTION private.guard_events_ddl();
