-- Deploy eventstore:append_events_idempotent to pg
-- requires: append_events
-- requires: idempotency_keys
-- requires: roles

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

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
        io_new_version := l_key.new_version;
        RETURN;
    END IF;

    -- The key travels with the events, as the seed shows, for readers of the log.
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

COMMENT ON PROCEDURE api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer) IS
$$api.append_events at most once per in_idempotency_key: a retry with a key already used
appends nothing, raises a NOTICE and returns the version the first call reached in
io_new_version. Errors: those of api.append_events, ZE003 NULL key, ZE007 the key was used
for another stream.$$;

REVOKE ALL ON PROCEDURE api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer) TO eventstore_writer;

COMMIT;
