-- Revert eventstore:subscription_admin from pg: back to subscription_admin@v2.1.0 (its functions,
-- as below); the read guards, the subscription role function and the helpers go.
-- requires: subscriptions
-- requires: log_order
-- requires: registered_code
-- requires: roles
-- Managing subscriptions (admin): create, drop, reset (rewind or fast-forward), and the two
-- ways past a parked event: deliver it again, or step past it (recorded). Also the argument
-- checks the claim functions share.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- A subscription or consumer name: non-empty, at most 200 characters, or ZE003.
CREATE OR REPLACE FUNCTION private.check_subscription_name(in_name text, in_argument text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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

-- A type filter: NULL (everything) or a one-dimensional, non-empty array of non-empty names
-- of at most 200 characters, or ZE003.
CREATE OR REPLACE FUNCTION private.check_type_filter(in_types text[], in_argument text)
RETURNS text[]
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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

-- ZE013 naming the subscription and the existing ones.
CREATE OR REPLACE FUNCTION private.raise_unknown_subscription(in_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'unknown subscription: %', COALESCE(pg_catalog.quote_literal(pg_catalog.left(in_name, 200)), 'NULL')
        USING ERRCODE = 'ZE013',
              HINT = 'Subscriptions: ' || COALESCE((SELECT pg_catalog.string_agg(pg_catalog.left(s.subscription_name, 60), ', '
                                                             ORDER BY s.subscription_name)
                                                     FROM (SELECT x.subscription_name FROM data.subscriptions AS x
                                                           ORDER BY x.subscription_name LIMIT 20) AS s), 'none');
END;
$$;

-- The subscription's row, locked against claims and other admin calls (every change to what
-- a subscription holds takes this lock first), or ZE013.
CREATE OR REPLACE FUNCTION private.lock_subscription(in_name text)
RETURNS data.subscriptions
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

-- ZE004 when in_event_id names no event of the log (a NULL is ZE003).
CREATE OR REPLACE FUNCTION private.check_event_exists(in_event_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
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

CREATE OR REPLACE FUNCTION api.create_subscription(
    in_name text,
    in_stream_types text[] DEFAULT NULL,
    in_event_types text[] DEFAULT NULL,
    in_from_beginning boolean DEFAULT true,
    in_max_attempts integer DEFAULT 5,
    in_lease interval DEFAULT '30 seconds')
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
    IF in_lease IS NULL OR in_lease < '1 second' OR in_lease > '1 day' THEN
        RAISE EXCEPTION 'in_lease must be between 1 second and 1 day, got %', COALESCE(in_lease::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;

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
END;
$$;

COMMENT ON FUNCTION api.create_subscription(text, text[], text[], boolean, integer, interval) IS
$$Creates a subscription: a consumer group over the whole log, optionally only some stream
and event types, from the beginning of the log or from now. An event is delivered again after
a nack or an expired lease (in_lease), and parked after in_max_attempts failed deliveries.
Errors: ZE003 bad argument, ZE014 the name is taken.$$;

CREATE OR REPLACE FUNCTION api.drop_subscription(in_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM private.lock_subscription(in_name);
    DELETE FROM data.subscriptions AS s WHERE s.subscription_name = in_name;
END;
$$;

COMMENT ON FUNCTION api.drop_subscription(text) IS
$$Drops a subscription with its in-flight and parked events, members and skips.
Errors: ZE013 unknown subscription.$$;

CREATE OR REPLACE FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_position record;
BEGIN
    PERFORM private.lock_subscription(in_subscription);
    l_position := private.log_position(in_after_id);
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

COMMENT ON FUNCTION api.reset_subscription(text, uuid) IS
$$Moves a subscription to just after the event in_after_id (NULL: the beginning of the log),
back or forward. Everything it had in flight, waiting or parked is dropped; events after the
new position are delivered (again), except skipped ones.
Errors: ZE003 NULL name, ZE004 in_after_id names no event, ZE013 unknown subscription.$$;

-- The parked event in_event_id of a locked subscription, or ZE004 (no such event) / ZE014
-- (not parked there).
CREATE OR REPLACE FUNCTION private.parked_event(in_subscription text, in_event_id uuid)
RETURNS data.subscription_events
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

CREATE OR REPLACE FUNCTION api.replay_parked(in_subscription text, in_event_id uuid)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM private.lock_subscription(in_subscription);
    PERFORM private.parked_event(in_subscription, in_event_id);
    UPDATE data.subscription_events AS se
    SET parked_at = NULL, attempts = 0
    WHERE se.subscription_name = in_subscription AND se.event_id = in_event_id;
END;
$$;

COMMENT ON FUNCTION api.replay_parked(text, uuid) IS
$$Delivers a parked event again, with in_max_attempts fresh attempts; its stream flows on
once it is acknowledged. Errors: ZE003 NULL argument, ZE004 no such event, ZE013 unknown
subscription, ZE014 the event is not parked there.$$;

CREATE OR REPLACE FUNCTION api.skip_parked(in_subscription text, in_event_id uuid)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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

COMMENT ON FUNCTION api.skip_parked(text, uuid) IS
$$Steps past a parked event: it is recorded in data.subscription_skips, never delivered again
(resets included), and the later events of its stream flow on. Errors: as api.replay_parked.$$;

REVOKE ALL ON FUNCTION private.check_subscription_name(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.check_type_filter(text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.raise_unknown_subscription(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.lock_subscription(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.check_event_exists(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.parked_event(text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.create_subscription(text, text[], text[], boolean, integer, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.drop_subscription(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.reset_subscription(text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.replay_parked(text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.skip_parked(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.create_subscription(text, text[], text[], boolean, integer, interval) TO eventstore_admin;
GRANT EXECUTE ON FUNCTION api.drop_subscription(text) TO eventstore_admin;
GRANT EXECUTE ON FUNCTION api.reset_subscription(text, uuid) TO eventstore_admin;
GRANT EXECUTE ON FUNCTION api.replay_parked(text, uuid) TO eventstore_admin;
GRANT EXECUTE ON FUNCTION api.skip_parked(text, uuid) TO eventstore_admin;

DROP FUNCTION api.set_subscription_role(text, name);
DO $$
DECLARE
    l_guard regclass;
BEGIN
    FOR l_guard IN SELECT s.read_guard FROM data.subscriptions AS s WHERE s.read_guard IS NOT NULL LOOP
        EXECUTE pg_catalog.format('DROP SEQUENCE %s', l_guard);
    END LOOP;
END
$$;
UPDATE data.subscriptions SET read_guard = NULL WHERE read_guard IS NOT NULL;
DROP FUNCTION private.make_read_guard(text);
DROP FUNCTION private.calling_admin();

COMMIT;
