-- Deploy eventstore:stream_purge to pg
-- requires: stream_deletion
-- requires: event_removals
-- requires: events_append_only
-- requires: log_position
-- requires: snapshots
-- requires: idempotency_keys
-- requires: subscriptions
-- requires: personal_data
-- requires: registered_code
-- requires: roles
-- api.purge_stream (admin): the hard delete of a soft-deleted stream (api.delete_stream), the
-- only sanctioned path past the append-only guard. It writes its audit row first
-- (data.event_removals: who, when, how many), which is what lets the guard pass these
-- deletes, keeps where each event was in the log (data.removed_events: a reader whose cursor
-- is one of them continues from there), and removes the stream with everything that refers
-- to it: its events, snapshot, idempotency keys, personal data streams, subscription state.
-- The stream's id is then free: an append with expected version 0 starts it anew.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Subscription state that names events no longer in the log forgets them (a lease keeps its
-- other events; an empty lease goes).
CREATE OR REPLACE FUNCTION private.forget_removed_deliveries(in_ids uuid[])
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM data.subscription_events AS v WHERE v.event_id = ANY (in_ids);
    UPDATE data.subscription_leases AS l
    SET events = ARRAY(SELECT r FROM pg_catalog.unnest(l.events) AS r WHERE NOT r.id = ANY (in_ids))
    WHERE EXISTS (SELECT FROM pg_catalog.unnest(l.events) AS r WHERE r.id = ANY (in_ids));
    DELETE FROM data.subscription_leases AS l WHERE pg_catalog.cardinality(l.events) = 0;
$$;

CREATE OR REPLACE FUNCTION api.purge_stream(in_stream_type text, in_stream_id uuid)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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

COMMENT ON FUNCTION api.purge_stream(text, uuid) IS
$$Removes a deleted stream for good: its events (the only removal the append-only guard lets
through), snapshot, idempotency keys and subscription state, with an audit row in
data.event_removals. Returns the number of events removed. A reader whose cursor is one of
them continues from where it was. Errors: ZE003 NULL argument, ZE004 no such stream, ZE016
the stream is not deleted (api.delete_stream first).$$;

REVOKE ALL ON FUNCTION private.forget_removed_deliveries(uuid[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.purge_stream(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.purge_stream(text, uuid) TO eventstore_admin;

COMMIT;
