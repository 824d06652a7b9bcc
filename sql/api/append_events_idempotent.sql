CREATE OR REPLACE PROCEDURE api.append_events_idempotent(
    in_stream_type text,
    in_stream_id uuid,
    in_expected_version integer,
    in_events jsonb,
    in_idempotency_key uuid,
    INOUT io_new_version integer DEFAULT NULL
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON PROCEDURE api.append_events_idempotent(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, IN in_idempotency_key uuid, INOUT io_new_version integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.append_events_idempotent(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, IN in_idempotency_key uuid, INOUT io_new_version integer) TO eventstore_writer;
