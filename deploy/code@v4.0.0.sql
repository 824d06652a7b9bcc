-- Deploy eventstore:code to pg
-- The current text of every function, procedure and view of the store, one file each under
-- sql/<schema>/<name>.sql: functions and procedures, then views (private before api). Each
-- file is idempotent (CREATE OR REPLACE, its comment, its grants). Tables, indexes and data
-- migrations are the changes before this one. Generated list: python -m harness.code write.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)
-- A function's body may name one whose file comes later in this list (as in pg_dump's output);
-- the tests run every function, and plpgsql_check checks the PL/pgSQL ones.
SET LOCAL check_function_bodies = off;

-- Dropped before the code files are applied (deploy/code.sql includes this file first): the
-- objects this code no longer has, and those whose shape CREATE OR REPLACE cannot change (a
-- function's result type, a view's columns), which their files then create again. IF EXISTS:
-- a fresh install never had them. After a release this file starts empty again (the released
-- code text keeps what it dropped). Proven complete by the upgrades: a database upgraded from
-- the release before keeps an object left out here, and then its catalog is not a fresh
-- install's (tests/test_migrations.py).
-- May in_role change code that runs with in_registrant's rights without gaining any? Yes
-- for the registrant itself, roles it can become, superusers and the bundle's owner.
-- pg_database_owner (owner of schema public) stands for the owner of this database.

CREATE OR REPLACE FUNCTION private.acts_for(in_registrant name, in_role oid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.acts_for(in_registrant name, in_role oid) FROM PUBLIC;
-- Was this transaction announced to whole-log readers before its transaction id was
-- assigned? Yes if it has appended already (its events are there: the append that wrote
-- them announced it), or if api.append_events_idempotent announced it before claiming a
-- key it inserted (the key row is this transaction's). Only appends of transactions that
-- had an id before this append ask. Nothing here can be set by a caller.

CREATE OR REPLACE FUNCTION private.announced_before_xid()
RETURNS boolean
LANGUAGE plpgsql
VOLATILE  -- private.current_generation may stamp the generation (it writes)
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

COMMENT ON FUNCTION private.announced_before_xid() IS 'Was this transaction announced to whole-log readers before it had its id? (its events, or its idempotency key)';
REVOKE ALL ON FUNCTION private.announced_before_xid() FROM PUBLIC;
-- ZE013 naming the subscription and the existing ones.
-- Is the calling role an admin of the store (it manages every subscription)?

CREATE OR REPLACE FUNCTION private.calling_admin()
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.pg_has_role(private.calling_role(), 'eventstore_admin', 'MEMBER');
$$;

COMMENT ON FUNCTION private.calling_admin() IS 'Is the calling role a member of eventstore_admin?';
REVOKE ALL ON FUNCTION private.calling_admin() FROM PUBLIC;
-- The role calling the SECURITY DEFINER function this runs in: its SET ROLE if any, else
-- the session user (inside a SECURITY DEFINER function current_user is the owner).

CREATE OR REPLACE FUNCTION private.calling_role()
RETURNS name
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') = 'none' THEN session_user
                ELSE pg_catalog.current_setting('role')::name END;
$$;

COMMENT ON FUNCTION private.calling_role() IS 'The role that called the SECURITY DEFINER function this runs in (its SET ROLE, else the session user)';
REVOKE ALL ON FUNCTION private.calling_role() FROM PUBLIC;
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
              DETAIL = pg_catalog.jsonb_build_object(
                           'index', l_bad.ord,
                           'event', CASE WHEN pg_catalog.length(l_bad.element::text) <= 500 THEN l_bad.element
                                         ELSE pg_catalog.to_jsonb(pg_catalog.left(l_bad.element::text, 500)) END)::text,
              HINT = 'Each event is {"event_type": text, "event_data": object, "metadata": object (optional)}.';
END;
$$;

COMMENT ON FUNCTION private.check_event_batch(in_events jsonb) IS 'Checks the shape of an in_events batch (ZE002 names the first bad event); returns its size';
REVOKE ALL ON FUNCTION private.check_event_batch(in_events jsonb) FROM PUBLIC;
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

REVOKE ALL ON FUNCTION private.check_event_exists(in_event_id uuid) FROM PUBLIC;
-- Called by api.append_events for every event of a versioned type (one with a row in
-- data.event_types): returns true, or raises ZE006 naming the event, type, version and path.

CREATE OR REPLACE FUNCTION private.check_event_schema(
    in_event_type text, in_version integer, in_event_data jsonb, in_position bigint)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.check_event_schema(in_event_type text, in_version integer, in_event_data jsonb, in_position bigint) FROM PUBLIC;
-- private.check_interval: the one check of an interval argument (a lease, a retention, a
-- retry window). PostgreSQL compares intervals with 1 month = 30 days and 1 day = 24 hours,
-- while now() + an interval follows the calendar: '-1 year 361 days' compares as 1 day but
-- lies in the past when added to now(). So the check is made on the effect, both ways:
-- now() + value and now() - value must fall between what the bounds give, which also refuses
-- a value whose parts pull in opposite directions across a bound.

CREATE OR REPLACE FUNCTION private.check_interval(in_value interval, in_argument text, in_min interval, in_max interval)
RETURNS interval
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.check_interval(in_value interval, in_argument text, in_min interval, in_max interval) FROM PUBLIC;
-- A positive page size or ZE003.

CREATE OR REPLACE FUNCTION private.check_limit(in_limit integer)
RETURNS integer
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.check_limit(in_limit integer) FROM PUBLIC;
-- A projection's handlers have the shapes the runner calls: in_handler(data.events[]) and
-- in_reset_handler() (or none). ZE010 otherwise. Whose rights they may run with is
-- private.make_invoker's check.

CREATE OR REPLACE FUNCTION private.check_projection_handlers(in_handler regprocedure, in_reset_handler regprocedure)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.check_projection_handlers(in_handler regprocedure, in_reset_handler regprocedure) FROM PUBLIC;
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

REVOKE ALL ON FUNCTION private.check_subscription_name(in_name text, in_argument text) FROM PUBLIC;
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

REVOKE ALL ON FUNCTION private.check_type_filter(in_types text[], in_argument text) FROM PUBLIC;
-- Is in_generation, whose row names in_system_identifier, this cluster's? If it is, stamp the
-- row with this server's start time, so that appends until the server stops know it without
-- reading the control file (private.current_generation). An appender that finds the row
-- locked by another one stamping it does not wait: the other's stamp will do. Called by
-- appends only (it writes), in the statement that announces them.
-- No SET search_path (every name is qualified): it runs on the first appends after a start.

CREATE OR REPLACE FUNCTION private.confirm_generation(in_generation integer, in_system_identifier bigint)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
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
REVOKE ALL ON FUNCTION private.confirm_generation(in_generation integer, in_system_identifier bigint) FROM PUBLIC;
-- The conservative horizon: the exclusive upper bound (generation, transaction_id) below which
-- every transaction of the cluster has ended, the xmin of the caller's snapshot. Everything
-- strictly before it is committed or never will be. Readers fall back to it where the read
-- horizon (private.read_horizon, which waits only for appenders) cannot be computed: a hot
-- standby, a repeatable-read or read-only transaction, a first append after a restore.

CREATE OR REPLACE FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN g.system_identifier = s.system_identifier THEN g.generation
                ELSE COALESCE(g.generation, 0) + 1 END,
           CASE WHEN g.system_identifier = s.system_identifier
                THEN pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
                ELSE '0'::xid8 END
    FROM pg_catalog.pg_control_system() AS s
    LEFT JOIN LATERAL (SELECT x.generation, x.system_identifier
                       FROM data.store_generations AS x
                       ORDER BY x.generation DESC LIMIT 1) AS g ON true;
$$;

COMMENT ON FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8) IS 'The conservative horizon: every transaction of the cluster before it has ended (what readers fall back to where private.read_horizon cannot be computed)';
REVOKE ALL ON FUNCTION private.conservative_horizon(OUT generation integer, OUT transaction_id xid8) FROM PUBLIC;
-- Events after a log position matching the filters: before the horizon (behind) and at or
-- past it (held_back: committed or not, an older appender still holds them). Exact while
-- each side has at most 10,000 events of the log (exact = true); past that, behind is the
-- log positions between the cursor and the newest position given out
-- (data.events_global_position_seq) times the share of matching events among the first
-- 10,000, and held_back counts the first 10,000 only. The estimate's error: positions given
-- to appends that rolled back count, and the share further on may differ from the first
-- 10,000's. Reads at most 2 x 10,001 index entries.

CREATE OR REPLACE FUNCTION private.count_events_after(
    in_generation integer,
    in_transaction_id xid8,
    in_global_position bigint,
    in_event_types text[],
    in_stream_types text[],
    in_horizon_generation integer,
    in_horizon_transaction_id xid8,
    OUT behind bigint,
    OUT held_back bigint,
    OUT exact boolean)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET enable_sort = off  -- an ordered Merge Append of the partitions' indexes (see private.log_events)
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
REVOKE ALL ON FUNCTION private.count_events_after(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8, OUT behind bigint, OUT held_back bigint, OUT exact boolean) FROM PUBLIC;
-- Create the partition of the month starting at in_month (a UTC month start) unless it
-- exists: a table of its own, then attached. Rows that already fell into the DEFAULT
-- partition for that month would make the ATTACH fail, so they are moved into the new
-- partition first (the DEFAULT partition is detached meanwhile; detaching drops its cloned
-- row guard, so the move can delete, and attaching clones it back, ENABLE ALWAYS included).
-- Waits at most 200 ms for each lock (55P03 then: the caller retries).

CREATE OR REPLACE FUNCTION private.create_event_partition(in_month date)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
SET lock_timeout = '200ms'
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
REVOKE ALL ON FUNCTION private.create_event_partition(in_month date) FROM PUBLIC;
-- The jobs, for a pg_cron of version in_version (major, minor).

CREATE OR REPLACE FUNCTION private.cron_jobs(in_version integer[])
RETURNS TABLE (job_name text, schedule text, command text)
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    VALUES ('eventstore-projections',
            CASE WHEN in_version >= ARRAY[1, 5] THEN '5 seconds' ELSE '* * * * *' END,
            CASE WHEN in_version >= ARRAY[1, 5] THEN 'CALL private.projection_worker(4)'
                 ELSE 'CALL private.projection_worker(59)' END),
           ('eventstore-partitions', '17 3 * * *', 'CALL api.ensure_event_partitions(3)'),
           ('eventstore-cron-history', '47 3 * * *',
            $job$DELETE FROM cron.job_run_details WHERE end_time < now() - interval '7 days' AND jobid IN (SELECT jobid FROM cron.job WHERE jobname LIKE 'eventstore-%')$job$),
           ('eventstore-idempotency-keys', '27 4 * * *', $job$SELECT api.purge_idempotency_keys('30 days')$job$),
           ('eventstore-retention', '37 4 * * *', 'CALL api.apply_retention()');
$$;

COMMENT ON FUNCTION private.cron_jobs(in_version integer[]) IS 'The bundle''s pg_cron jobs (name, schedule, command) for a pg_cron version: what cron_jobs schedules';
REVOKE ALL ON FUNCTION private.cron_jobs(in_version integer[]) FROM PUBLIC;
-- The cursor position of an event, its place in the log (generation, transaction_id,
-- global_position): the cursor behind the API's in_after_id / last_event_id.
-- NULL is the start of the log; an id that names no event is an error, not a restart. An
-- event of a retired month (its id's time falls in it, or within a day after: a
-- transaction's created_at is its start) is a position just before that month's first
-- event: the reader continues there, may see again events it read, and never misses one.

CREATE OR REPLACE FUNCTION private.cursor_position(
    in_event_id uuid,
    OUT generation integer,
    OUT transaction_id xid8,
    OUT global_position bigint)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.cursor_position(in_event_id uuid, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) FROM PUBLIC;
-- Drops the invokers no registration uses any more (after a registration changed).

CREATE OR REPLACE FUNCTION private.drop_unused_invokers()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.drop_unused_invokers() FROM PUBLIC;
-- One month whose events are all past retention, or NULL.

CREATE OR REPLACE FUNCTION private.expired_event_partition()
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
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
$$;

REVOKE ALL ON FUNCTION private.expired_event_partition() FROM PUBLIC;
-- The schema an extension was created in (NULL if it is not installed). Code that calls an
-- extension's functions is written for that schema when it is deployed, so that no
-- search_path decides which function runs (pgcrypto's, in private.new_subject_key,
-- private.seal_value and private.open_value).

CREATE OR REPLACE FUNCTION private.extension_schema(in_extension name)
RETURNS name
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT n.nspname
    FROM pg_catalog.pg_extension AS x
    JOIN pg_catalog.pg_namespace AS n ON n.oid = x.extnamespace
    WHERE x.extname = in_extension;
$$;

COMMENT ON FUNCTION private.extension_schema(in_extension name) IS 'The schema extension in_extension was created in, or NULL';
REVOKE ALL ON FUNCTION private.extension_schema(in_extension name) FROM PUBLIC;
-- The first event after a position that cannot be read (its upcast fails), or NULL: the
-- events read one at a time (private.read_event_alone).

CREATE OR REPLACE FUNCTION private.first_unreadable_event(
    in_generation integer, in_transaction_id xid8, in_global_position bigint, in_limit integer,
    in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8,
    OUT event_id uuid, OUT error_sqlstate text, OUT error_message text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.first_unreadable_event(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_limit integer, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8, OUT event_id uuid, OUT error_sqlstate text, OUT error_message text) FROM PUBLIC;
-- Folds events (in version order) into a state with a reducer's invoker
-- (data.reducers.reducer_invoker). One dynamic call per event: reducers are registered at
-- run time, and streams are short between snapshots.

CREATE OR REPLACE FUNCTION private.fold_events(in_reducer regprocedure, in_state jsonb, in_events data.events[])
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

COMMENT ON FUNCTION private.fold_events(in_reducer regprocedure, in_state jsonb, in_events data.events[]) IS 'Folds events into a state with a reducer''s invoker (registered.*)';
REVOKE ALL ON FUNCTION private.fold_events(in_reducer regprocedure, in_state jsonb, in_events data.events[]) FROM PUBLIC;
-- Subscription state that names events created before a retired month's end forgets them.

CREATE OR REPLACE FUNCTION private.forget_deliveries_created_before(in_before timestamptz)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.forget_deliveries_created_before(in_before timestamp with time zone) FROM PUBLIC;
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

REVOKE ALL ON FUNCTION private.forget_removed_deliveries(in_ids uuid[]) FROM PUBLIC;
CREATE OR REPLACE FUNCTION private.guard_drops()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER  -- it reads the registries, whoever runs the DDL
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

REVOKE ALL ON FUNCTION private.guard_drops() FROM PUBLIC;
-- Event triggers guard what the row and TRUNCATE triggers cannot: the owner of the bundle
-- (a superuser, often) could destroy events by DROP TABLE of a partition, by DETACH then
-- DELETE, or by disabling the append-only triggers; and anyone who can drop a registered
-- function with CASCADE, or an invoker, would leave a registration that fails every reader.
-- Refused, with ZE008 (events) and ZE010 (registrations):
--   * ALTER TABLE that leaves an append-only trigger of data.events or a partition not
--     ENABLE ALWAYS (DISABLE TRIGGER, ENABLE REPLICA TRIGGER ...);
--   * a month detached other than by api.detach_event_partitions (which records it in
--     data.retired_event_partitions);
--   * DROP of data.events, of a partition still attached, or of data.events_default;
--   * DROP of an invoker a registration uses (DROP FUNCTION ... CASCADE, DROP OWNED).
-- Creating event triggers takes a superuser: deployed by another role, this change creates
-- none and says so (README: Security lists what no trigger can guard).

CREATE OR REPLACE FUNCTION private.guard_events_ddl()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER  -- it reads the registries, whoever runs the DDL
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

REVOKE ALL ON FUNCTION private.guard_events_ddl() FROM PUBLIC;
-- Holds the keys of a stream's personal data (FOR KEY SHARE) until the transaction ends, so
-- that an erasure of one of them (api.forget_subject locks its key FOR UPDATE) waits for this
-- transaction, and then deletes the snapshot it saved. Returns false at once, holding nothing
-- new, when an erasure holds one of them now (it is being destroyed). The one way a snapshot
-- saver (private.save_snapshot, both forms) meets an erasure in progress.

CREATE OR REPLACE FUNCTION private.hold_stream_keys(in_stream_type text, in_stream_id uuid)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.hold_stream_keys(in_stream_type text, in_stream_id uuid) FROM PUBLIC;
-- The appending transaction (or prepared transaction) the read horizon waits for, as a
-- status view shows it: its query only to roles that could see it in pg_stat_activity
-- themselves (its own user, members of pg_read_all_stats). Run by SECURITY DEFINER status
-- functions: their owner sees every session.

CREATE OR REPLACE FUNCTION private.horizon_holder(in_holder_pid integer, in_holder_gid text)
RETURNS TABLE (pid integer, database text, username text, age interval, query text)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.horizon_holder(in_holder_pid integer, in_holder_gid text) FROM PUBLIC;
-- What a caller EXECUTEs to call an invoker, after checking that it is still one: its
-- owner could have made it SECURITY INVOKER (it would then run as the bundle's owner).

CREATE OR REPLACE FUNCTION private.invoker_call(in_invoker regprocedure, in_what text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.invoker_call(in_invoker regprocedure, in_what text) FROM PUBLIC;
-- The path of a member in messages: $.items[0].quantity, $["odd key"].

CREATE OR REPLACE FUNCTION private.json_path_member(in_path text, in_key text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT in_path || CASE WHEN in_key ~ '^[A-Za-z_][A-Za-z0-9_]*$' THEN '.' || in_key
                           ELSE '[' || pg_catalog.to_jsonb(in_key)::text || ']' END;
$$;

REVOKE ALL ON FUNCTION private.json_path_member(in_path text, in_key text) FROM PUBLIC;
-- Validation: NULL if in_value matches in_schema, else the first mismatch, with its path.

CREATE OR REPLACE FUNCTION private.json_schema_error(in_schema jsonb, in_value jsonb, in_path text DEFAULT '$')
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.json_schema_error(in_schema jsonb, in_value jsonb, in_path text) FROM PUBLIC;
-- Registration: NULL if in_schema uses only the supported subset correctly, else what is wrong.

CREATE OR REPLACE FUNCTION private.json_schema_problem(in_schema jsonb, in_path text DEFAULT '$')
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

REVOKE ALL ON FUNCTION private.json_schema_problem(in_schema jsonb, in_path text) FROM PUBLIC;
-- Locks every version of a projection, for changing which versions there are and which one
-- is live: first their checkpoints (waiting for a batch in progress to commit; the runner
-- locks a checkpoint, then reads its registration), then their registrations, each in name
-- order. ZE005 when in_projection_name is no projection's name.

CREATE OR REPLACE FUNCTION private.lock_projection_versions(in_projection_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.lock_projection_versions(in_projection_name text) FROM PUBLIC;
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

REVOKE ALL ON FUNCTION private.lock_subscription(in_name text) FROM PUBLIC;
-- Events after a log position, in log order, up to the horizon, optionally only of some
-- event types and stream types, payloads upcast (the gap-free condition is
-- private.readable_after, as in every whole-log reader). A caller that
-- must know exactly which horizon was used (the projection runner, which moves its
-- checkpoint to it) passes one; otherwise it is computed here.

CREATE OR REPLACE FUNCTION private.log_events(
    in_after_generation integer,
    in_after_transaction_id xid8,
    in_after_global_position bigint,
    in_limit integer,
    in_event_types text[] DEFAULT NULL,
    in_stream_types text[] DEFAULT NULL,
    in_horizon_generation integer DEFAULT NULL,
    in_horizon_transaction_id xid8 DEFAULT NULL)
RETURNS SETOF data.events
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
-- The planner cannot estimate row comparisons and guesses a handful of rows, so it sorts
-- the Append of all partitions: every page would read everything after the cursor
-- (measured: a rebuild of 1M events went quadratic). The query needs no sort: a Merge
-- Append of the partitions' ordered index scans stops after in_limit rows.
SET enable_sort = off
SET plan_cache_mode = force_generic_plan
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
REVOKE ALL ON FUNCTION private.log_events(in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8) FROM PUBLIC;
-- The log number of an event: an integer that grows strictly in log order, for readers that
-- need an integer cursor (eventsourcing's notification ids). An event's number is
--
--     ((generation - 1) * 2^64 + transaction id) * 2^32 + offset
--
-- where offset counts from 1 at the first log position its transaction took (removed events
-- included, so a purge renumbers nothing). Log order is (generation, transaction id, global
-- position), so the numbers follow it; one transaction's events form one block, in which no
-- other transaction's number falls (its offsets may skip positions other transactions took
-- meanwhile). A number is known when the event is appended (api.append_versioned returns them)
-- and never changes. Numbers stay below 2^63 (a bigint) in the first generation until the
-- cluster's transaction ids pass 2^31; after a restore (generation 2 and later) they are larger.
-- The number is private.log_number_base of the event's transaction plus its global position:
-- a reader of many events of one transaction looks the base up once.
-- A SQL function with no SET clause, so that the planner inlines it (a string body: the
-- function it calls comes later in the deploy).

CREATE OR REPLACE FUNCTION private.log_number(
    in_generation integer,
    in_transaction_id xid8,
    in_global_position bigint,
    in_created_at timestamptz)
RETURNS numeric
LANGUAGE sql
STABLE PARALLEL SAFE
AS $$ SELECT private.log_number_base(in_generation, in_transaction_id, in_created_at) + in_global_position $$;

COMMENT ON FUNCTION private.log_number(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_created_at timestamp with time zone) IS 'The log number of the event at a log position: strictly increasing in log order, one block per transaction, never changing';
REVOKE ALL ON FUNCTION private.log_number(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_created_at timestamp with time zone) FROM PUBLIC;
-- The base of a transaction's log numbers (private.log_number): an event's number is this
-- plus its global position. It is the transaction's block, ((generation - 1) * 2^64 +
-- transaction id) * 2^32, plus 1, less the first global position the transaction took (removed
-- events included: a purge renumbers nothing). All events of a transaction share created_at
-- (its start), so the lookup reads one partition. NULL for a transaction with no event.
-- PL/pgSQL, so that its two lookups are planned once per session (a SQL function with
-- subqueries is not inlined, and would be planned again on every call).

CREATE OR REPLACE FUNCTION private.log_number_base(
    in_generation integer,
    in_transaction_id xid8,
    in_created_at timestamptz)
RETURNS numeric
LANGUAGE plpgsql
STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
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
    RETURN ((in_generation - 1)::numeric * 18446744073709551616 + in_transaction_id::text::numeric) * 4294967296 + 1
           - LEAST(l_first, l_removed);
END;
$$;

COMMENT ON FUNCTION private.log_number_base(in_generation integer, in_transaction_id xid8, in_created_at timestamp with time zone) IS 'The base of a transaction''s log numbers: an event''s number is it plus the event''s global position';
REVOKE ALL ON FUNCTION private.log_number_base(in_generation integer, in_transaction_id xid8, in_created_at timestamp with time zone) FROM PUBLIC;
-- The cursor position of a log number (private.log_number): reading after it returns the
-- events whose numbers are greater. NULL and 0 are the start of the log. A number need not
-- name an event: one inside a transaction's block is the place between its events, and one
-- whose transaction left no event behind is the end of that transaction. Anything but an
-- integer from 0 to the largest number a log can have is ZE003.

CREATE OR REPLACE FUNCTION private.log_number_position(
    in_number numeric,
    OUT generation integer,
    OUT transaction_id xid8,
    OUT global_position bigint)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
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
    -- The inverse of private.log_number: the number less its transaction's base.
    l_base := private.log_number_base(l_generation, l_transaction_id,
                                      (SELECT e.created_at FROM data.events AS e
                                       WHERE e.generation = l_generation AND e.transaction_id = l_transaction_id
                                       LIMIT 1));
    generation := l_generation;
    transaction_id := l_transaction_id;
    global_position := CASE WHEN l_base IS NOT NULL THEN (in_number - l_base)::bigint
                            WHEN l_offset = 0 THEN 0
                            ELSE 9223372036854775807 END;
END;
$$;

COMMENT ON FUNCTION private.log_number_position(in_number numeric, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) IS 'The cursor position of a log number (the start of the log for NULL or 0); ZE003 for anything but an integer in range';
REVOKE ALL ON FUNCTION private.log_number_position(in_number numeric, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) FROM PUBLIC;
-- Refs of the events after a cursor position up to a horizon, in log order, optionally of
-- some types only: where events are (id, created_at, their place in the log, their stream),
-- not what they say (nothing upcast, nothing that can fail). The cursor position of one event
-- is private.cursor_position.

CREATE OR REPLACE FUNCTION private.log_refs(
    in_after_generation integer,
    in_after_transaction_id xid8,
    in_after_global_position bigint,
    in_limit integer,
    in_event_types text[],
    in_stream_types text[],
    in_horizon_generation integer,
    in_horizon_transaction_id xid8)
RETURNS TABLE (id uuid, created_at timestamptz, generation integer, transaction_id xid8,
               global_position bigint, stream_type text, stream_id uuid, version integer)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET enable_sort = off  -- an ordered Merge Append of the partitions' indexes (see private.log_events)
SET plan_cache_mode = force_generic_plan
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

REVOKE ALL ON FUNCTION private.log_refs(in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_limit integer, in_event_types text[], in_stream_types text[], in_horizon_generation integer, in_horizon_transaction_id xid8) FROM PUBLIC;
-- The invoker of in_function for in_registrant (made if missing): a SECURITY DEFINER
-- function owned by in_registrant whose body calls in_function. in_kind says the shape:
-- handler (data.events[]) -> void, reset () -> void, upcaster (jsonb) -> jsonb, reducer
-- (jsonb, data.events) -> jsonb. in_check = false skips the checks (upgrade of
-- registrations made before this change: they run as the function's owner).

CREATE OR REPLACE FUNCTION private.make_invoker(
    in_function regprocedure,
    in_kind text,
    in_registrant name,
    in_check boolean DEFAULT true)
RETURNS regprocedure
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.make_invoker(in_function regprocedure, in_kind text, in_registrant name, in_check boolean) FROM PUBLIC;
-- A new read guard for a subscription: an unlogged sequence (no WAL per claim; after a crash
-- it starts from 0 again, which forgets cut-off claims, never invents them).

CREATE OR REPLACE FUNCTION private.make_read_guard(in_name text)
RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.make_read_guard(in_name text) FROM PUBLIC;
-- Marks a projection failed (with the event it cannot get past, when known) unless it is
-- paused or failed already.

CREATE OR REPLACE FUNCTION private.mark_projection_failed(
    in_projection_name text, in_sqlstate text, in_message text, in_event_id uuid DEFAULT NULL)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE data.projection_checkpoints AS c
    SET status = 'failed',
        error_message = in_sqlstate || ': ' || in_message,
        failed_event_id = in_event_id,
        failed_at = pg_catalog.now()
    WHERE c.projection_name = in_projection_name AND c.status IN ('running', 'rebuilding');
$$;

REVOKE ALL ON FUNCTION private.mark_projection_failed(in_projection_name text, in_sqlstate text, in_message text, in_event_id uuid) FROM PUBLIC;
-- Automatic snapshots, taken off the append's critical path:
-- projection "snapshots" follows the stream types whose reducer has a snapshot interval N,
-- and whenever a stream passes a multiple of N it folds the state at that version from
-- the latest current snapshot and saves it. Appends do not pay for it.

CREATE OR REPLACE FUNCTION private.maybe_create_snapshot(in_events data.events[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.maybe_create_snapshot(in_events data.events[]) FROM PUBLIC;
-- Written for pgcrypto's schema, wherever CREATE EXTENSION put it (private.extension_schema).

DO $$
BEGIN
    EXECUTE pg_catalog.format($f$
        CREATE OR REPLACE FUNCTION private.new_subject_key()
        RETURNS bytea
        LANGUAGE sql
        VOLATILE
        SET search_path = pg_catalog, pg_temp
        AS $b$ SELECT %1$I.gen_random_bytes(32) $b$ $f$, private.extension_schema('pgcrypto'));
END
$$;

REVOKE ALL ON FUNCTION private.new_subject_key() FROM PUBLIC;
-- LISTEN/NOTIFY: channel eventstore_events hears {"stream_type", "stream_id", "version"} for
-- every stream an append wrote to, so a consumer can wait instead of polling. Sent by a
-- registered projection, "notifications", not by the append itself:
--   * a NOTIFY in the appending transaction serializes every append's commit on
--     PostgreSQL's notify lock (measured: it halved append throughput);
--   * from the runner, a notification goes out once the event is readable by the
--     whole-log readers (at commit it could come while an older open transaction still
--     holds the event back), in log order, one per stream and batch.
-- The cost: it comes up to one worker poll (0.2 s) after the commit, and only where the
-- projections run (pg_cron, or api.run_projections). api.pause_projection('notifications')
-- turns it off. Replayed events (a rebuild, a version that is not live) are not sent
-- again. A notification PostgreSQL cannot send (a payload past its
-- 8000 bytes) is sent without the stream type, never failing the projection.

CREATE OR REPLACE FUNCTION private.notify_events(in_events data.events[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.notify_events(in_events data.events[]) FROM PUBLIC;
-- The session whose transaction the conservative horizon waits for: the oldest transaction
-- id still running in the cluster, any database (NULL if that is a prepared transaction).

CREATE OR REPLACE FUNCTION private.oldest_transaction_pid()
RETURNS integer
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.pid
    FROM pg_catalog.pg_stat_activity AS a
    WHERE a.backend_xid IS NOT NULL AND a.pid <> pg_catalog.pg_backend_pid()
    ORDER BY pg_catalog.age(a.backend_xid) DESC
    LIMIT 1;
$$;

COMMENT ON FUNCTION private.oldest_transaction_pid() IS 'The session holding the oldest running transaction id of the cluster (what the conservative horizon waits for)';
REVOKE ALL ON FUNCTION private.oldest_transaction_pid() FROM PUBLIC;
-- One sealed value opened: its JSON while its key exists, NULL when the key is gone or the
-- value does not open (a look-alike: no key of that id, or not our ciphertext). Only a value
-- whose key exists costs a decryption (and a subtransaction, to catch what does not decrypt).

CREATE OR REPLACE FUNCTION private.open_sealed(in_sealed jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

COMMENT ON FUNCTION private.open_sealed(in_sealed jsonb) IS 'A sealed value opened ({key, data}): its JSON while the key exists, NULL otherwise (never raises on bad ciphertext)';
REVOKE ALL ON FUNCTION private.open_sealed(in_sealed jsonb) FROM PUBLIC;
-- Written for pgcrypto's schema, wherever CREATE EXTENSION put it (private.extension_schema).

DO $$
BEGIN
    EXECUTE pg_catalog.format($f$
        CREATE OR REPLACE FUNCTION private.open_value(in_sealed text, in_key bytea)
        RETURNS jsonb
        LANGUAGE sql
        IMMUTABLE
        SET search_path = pg_catalog, pg_temp
        AS $b$
            SELECT pg_catalog.convert_from(%1$I.decrypt_iv(pg_catalog.substr(r.raw, 17), in_key,
                                                           pg_catalog.substr(r.raw, 1, 16), 'aes-cbc/pad:pkcs'),
                                           'UTF8')::jsonb
            FROM (SELECT pg_catalog.decode(in_sealed, 'base64') AS raw) AS r
        $b$ $f$, private.extension_schema('pgcrypto'));
END
$$;

COMMENT ON FUNCTION private.open_value(in_sealed text, in_key bytea) IS 'The JSON value private.seal_value sealed';
REVOKE ALL ON FUNCTION private.open_value(in_sealed text, in_key bytea) FROM PUBLIC;
-- The version an event carries of its own (api.append_versioned: metadata.originator_version),
-- else its store version. Any writer can append metadata of any shape with api.append_events:
-- a value that is not an integer of the integer range (a fraction, 1e20, "abc", an object) is
-- not a version of its own, and the store version stands, so that no event of a stream makes
-- every read of it fail. A SQL function with no SET clause, so that the planner inlines it.

CREATE OR REPLACE FUNCTION private.own_version(in_metadata jsonb, in_version integer)
RETURNS integer
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    -- Nested, so that not even the planner's folding of a constant casts a text that is no number.
    SELECT CASE WHEN pg_catalog.jsonb_typeof(in_metadata -> 'originator_version') IN ('number', 'string')
                     AND (in_metadata ->> 'originator_version') OPERATOR(pg_catalog.~) '^-?[0-9]{1,10}$'
                THEN CASE WHEN (in_metadata ->> 'originator_version')::bigint BETWEEN -2147483648 AND 2147483647
                          THEN (in_metadata ->> 'originator_version')::integer
                          ELSE in_version END
                ELSE in_version END;
$$;

COMMENT ON FUNCTION private.own_version(in_metadata jsonb, in_version integer) IS 'An event''s own version (metadata.originator_version, an integer), else its store version';
REVOKE ALL ON FUNCTION private.own_version(in_metadata jsonb, in_version integer) FROM PUBLIC;
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

REVOKE ALL ON FUNCTION private.parked_event(in_subscription text, in_event_id uuid) FROM PUBLIC;
-- How far the live version of a projection has acted on the log: the later of its checkpoint
-- and its replay mark (what earlier live versions, or itself before a reset, acted on). A
-- version that is not live never goes past it, and replays everything up to it: so each event
-- has its side effects once, from whichever version was live when the log first reached it.

CREATE OR REPLACE FUNCTION private.projection_acted_until(
    in_projection_name text,
    OUT generation integer,
    OUT transaction_id xid8,
    OUT global_position bigint)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.projection_acted_until(in_projection_name text, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) FROM PUBLIC;
-- Projection lag, and who causes it.

CREATE OR REPLACE FUNCTION private.projection_status()
RETURNS TABLE (
    projection_name text,
    status text,
    last_event_id uuid,
    last_processed timestamptz,
    events_applied bigint,
    events_behind bigint,
    events_held_back bigint,
    oldest_xact_pid integer,
    oldest_xact_database text,
    oldest_xact_user text,
    oldest_xact_age interval,
    oldest_xact_query text,
    error_message text,
    failed_event_id uuid,
    failed_at timestamptz,
    events_behind_exact boolean,
    horizon_fallback text,
    version_of text,
    version integer,
    live boolean,
    events_behind_live bigint,
    ready_to_promote boolean
)
LANGUAGE sql
VOLATILE  -- private.status_horizon reads (and publishes) the horizon
SECURITY DEFINER  -- pg_stat_activity shows other users' queries to its owner only
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.projection_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION private.projection_status() TO eventstore_reader;
-- The scheduled worker (pg_cron): batches of every projection, each committed on its own,
-- until in_seconds have passed. When there is nothing to do it sleeps 10 ms,
-- doubling up to 0.2 s while nothing comes: under load a notification (the notifications
-- projection; consumers wait on it with LISTEN) goes out within ~10-40 ms of an event becoming
-- readable; idle, it polls 5 times a second. A procedure
-- (not SECURITY DEFINER) because it commits; pg_cron runs it as the role that deployed.
-- No SET search_path: PostgreSQL refuses COMMIT in a procedure with a SET clause; every
-- name here is qualified and the functions it calls pin their own.

CREATE OR REPLACE PROCEDURE private.projection_worker(in_seconds numeric DEFAULT 55)
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
REVOKE ALL ON PROCEDURE private.projection_worker(IN in_seconds numeric) FROM PUBLIC;
-- How many events a version may be behind the live one and still be promoted (its promotion
-- applies them): the setting eventstore.promotion_max_lag (ALTER DATABASE/ROLE ... SET, or
-- SET in the session), 1000 when unset, NULL when it is not a count. Each caller decides what
-- NULL means: api.promote_projection refuses it (ZE003), api.projection_status shows
-- ready_to_promote NULL (a bad setting must not break the status view).

CREATE OR REPLACE FUNCTION private.promotion_max_lag()
RETURNS bigint
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

REVOKE ALL ON FUNCTION private.promotion_max_lag() FROM PUBLIC;
-- Raises H into data.read_horizon unless it is there already; one publisher at a time, so the
-- value only grows. The lock lives in a subtransaction that always ends by rolling back: the
-- lock goes with it at once, and setval (not transactional) stays. A cancel or timeout ends
-- the subtransaction as well, so nothing outlives the call. False when the lock was not had
-- within 50 ms (busy): the caller then uses the conservative horizon.

CREATE OR REPLACE FUNCTION private.publish_read_horizon(in_horizon bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '50ms'
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

REVOKE ALL ON FUNCTION private.publish_read_horizon(in_horizon bigint) FROM PUBLIC;
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
REVOKE ALL ON FUNCTION private.raise_append_conflict(in_stream_type text, in_stream_id uuid, in_expected_version integer) FROM PUBLIC;
-- Raises 55P03 once in_what has not got its lock in every try; runs in_sql (one statement
-- or a call) with retries otherwise. The statements pin lock_timeout themselves.
--
-- Raises 55P03 (a try to retry later) while another session holds any lock on in_table.
-- An ACCESS EXCLUSIVE lock request takes a transaction id (it is logged for standbys), and
-- a transaction id held while waiting would hold every whole-log reader back: look first.

CREATE OR REPLACE FUNCTION private.raise_if_locked(in_table regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.raise_if_locked(in_table regclass) FROM PUBLIC;
-- Raises ZE005 naming in_projection_name and the registered projections.

CREATE OR REPLACE FUNCTION private.raise_unknown_projection(in_projection_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'unknown projection: %', COALESCE(in_projection_name, 'NULL')
        USING ERRCODE = 'ZE005',
              HINT = 'Registered: ' || COALESCE((SELECT pg_catalog.string_agg(p.projection_name, ', '
                                                        ORDER BY p.projection_name)
                                                 FROM data.projections AS p), 'none');
END;
$$;

REVOKE ALL ON FUNCTION private.raise_unknown_projection(in_projection_name text) FROM PUBLIC;
-- Raises ZE005 naming the projection's versions.

CREATE OR REPLACE FUNCTION private.raise_unknown_projection_version(in_projection_name text, in_version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.raise_unknown_projection_version(in_projection_name text, in_version integer) FROM PUBLIC;
-- ZE013 naming the subscription; to admins, the hint lists the existing ones (a consumer
-- learns no other subscription's name from a typo).

CREATE OR REPLACE FUNCTION private.raise_unknown_subscription(in_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.raise_unknown_subscription(in_name text) FROM PUBLIC;
-- The deliveries of events delivered again (rows of data.subscription_events leased in
-- this claim), read one by one (private.read_event_alone): an event that cannot be read (its
-- upcaster fails) is parked with the error (its stream waits behind it; an admin replays it
-- after fixing the upcaster, or skips it), and later events of its stream in this claim go
-- back to waiting. Only called when reading them all at once failed.

CREATE OR REPLACE FUNCTION private.read_deliveries_one_by_one(
    in_subscription text, in_ids uuid[], in_created timestamptz[], in_attempts integer[])
RETURNS private.subscription_delivery[]
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.read_deliveries_one_by_one(in_subscription text, in_ids uuid[], in_created timestamp with time zone[], in_attempts integer[]) FROM PUBLIC;
-- One event as every reader gets it (private.events_as_read: upcast, personal data revealed),
-- or why it cannot be read. The step both slow paths take once reading a whole batch failed:
-- the projection runner looks for the event that stops it (private.first_unreadable_event),
-- a claim parks the event it cannot hand out (private.read_deliveries_one_by_one). Each call is
-- a subtransaction of its own: an event that fails rolls back only its own read.

CREATE OR REPLACE FUNCTION private.read_event_alone(
    in_id uuid, in_created_at timestamptz,
    OUT stream_type text, OUT stream_id uuid, OUT version integer, OUT event_type text,
    OUT event_data jsonb, OUT metadata jsonb, OUT error_sqlstate text, OUT error_message text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.read_event_alone(in_id uuid, in_created_at timestamp with time zone, OUT stream_type text, OUT stream_id uuid, OUT version integer, OUT event_type text, OUT event_data jsonb, OUT metadata jsonb, OUT error_sqlstate text, OUT error_message text) FROM PUBLIC;
CREATE OR REPLACE FUNCTION private.read_horizon(
    OUT generation integer,
    OUT transaction_id xid8,
    OUT holder_pid integer,
    OUT holder_gid text,
    OUT fallback text)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
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
    -- the moment it is assigned; its lock in pg_locks comes a little later).
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
    -- does not lower it: a transaction with an id below H that is not announced yet may still
    -- pass its check against the published H, and must stay behind the horizon.)
    transaction_id := LEAST(l_oldest.xid, l_h)::text::xid8;
    -- The oldest open appender is who readers wait for (as soon as anything newer commits).
    holder_pid := l_oldest.pid;
    holder_gid := l_oldest.gid;
END;
$$;

COMMENT ON FUNCTION private.read_horizon(OUT generation integer, OUT transaction_id xid8, OUT holder_pid integer, OUT holder_gid text, OUT fallback text) IS 'Horizon of a whole-log read in a later statement: waits only for appenders (docs/read-horizon.md); fallback says why not';
REVOKE ALL ON FUNCTION private.read_horizon(OUT generation integer, OUT transaction_id xid8, OUT holder_pid integer, OUT holder_gid text, OUT fallback text) FROM PUBLIC;
-- The store's gap-free read, as one predicate: the event at log position (generation,
-- transaction_id, global_position) comes after a reader's cursor and is readable, i.e. before
-- the read horizon (private.read_horizon): no transaction that could still commit an event
-- before it is open. Every reader of the whole log (private.log_events, private.log_refs,
-- private.first_unreadable_event, private.subscription_intake, private.count_events_after, the
-- projection runner) filters with it, and nothing else writes the comparison.
--
-- A SQL function with a RETURN body and no SET clause, so the planner inlines it: the row
-- comparisons it becomes are index conditions on the log order index of every partition, and
-- an ordered Merge Append of them stops after the reader's LIMIT.

CREATE OR REPLACE FUNCTION private.readable_after(
    in_generation integer,
    in_transaction_id xid8,
    in_global_position bigint,
    in_after_generation integer,
    in_after_transaction_id xid8,
    in_after_global_position bigint,
    in_horizon_generation integer,
    in_horizon_transaction_id xid8)
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN (in_generation, in_transaction_id, in_global_position)
       > (in_after_generation, in_after_transaction_id, in_after_global_position)
   AND (in_generation, in_transaction_id) < (in_horizon_generation, in_horizon_transaction_id);

COMMENT ON FUNCTION private.readable_after(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_horizon_generation integer, in_horizon_transaction_id xid8) IS 'The gap-free read: the event at a log position is after the cursor and before the read horizon';
REVOKE ALL ON FUNCTION private.readable_after(in_generation integer, in_transaction_id xid8, in_global_position bigint, in_after_generation integer, in_after_transaction_id xid8, in_after_global_position bigint, in_horizon_generation integer, in_horizon_transaction_id xid8) FROM PUBLIC;
-- Recomputes the current version of an event type from its schemas and upcasters.

CREATE OR REPLACE FUNCTION private.refresh_event_type(in_event_type text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO data.event_types AS t (event_type, current_version)
    SELECT in_event_type, v.current_version
    FROM (SELECT GREATEST((SELECT max(s.version) FROM data.event_schemas AS s WHERE s.event_type = in_event_type),
                          (SELECT max(u.from_version) + 1 FROM data.event_upcasters AS u
                           WHERE u.event_type = in_event_type)) AS current_version) AS v
    WHERE v.current_version IS NOT NULL
    ON CONFLICT (event_type) DO UPDATE SET current_version = excluded.current_version;
$$;

REVOKE ALL ON FUNCTION private.refresh_event_type(in_event_type text) FROM PUBLIC;
-- Trigger (BEFORE UPDATE of a deleted stream's row: only an append does that): ZE015.

CREATE OR REPLACE FUNCTION private.refuse_deleted_stream()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'stream %/% was deleted at %: nothing can be appended to it', OLD.stream_type, OLD.stream_id, OLD.deleted_at
        USING ERRCODE = 'ZE015',
              HINT = 'A deleted stream stays deleted; an admin may purge it (api.purge_stream), which frees its id.';
END;
$$;

REVOKE ALL ON FUNCTION private.refuse_deleted_stream() FROM PUBLIC;
-- Events are facts: UPDATE, DELETE and TRUNCATE of data.events are refused for every
-- role, the owner and superusers included. The row trigger is cloned onto every partition
-- (present and future); a TRUNCATE trigger is per table, so each partition gets its own
-- (private.create_event_partition adds it to new months). ENABLE ALWAYS keeps them firing
-- under session_replication_role = replica. Disabling them takes an explicit ALTER TABLE.

CREATE OR REPLACE FUNCTION private.refuse_event_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.refuse_event_change() FROM PUBLIC;
-- Raises 40001 if a reader may have read past in_xid: called by an append whose transaction
-- had its id before it announced itself (it wrote something else first).

CREATE OR REPLACE FUNCTION private.refuse_passed_appender(in_xid xid8)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.refuse_passed_appender(in_xid xid8) FROM PUBLIC;
-- NULL if in_pattern is a valid regular expression, else the error.

CREATE OR REPLACE FUNCTION private.regex_problem(in_pattern text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.regex_problem(in_pattern text) FROM PUBLIC;
-- Why in_function cannot run with in_registrant's rights, or NULL if it can.

CREATE OR REPLACE FUNCTION private.registration_problem(in_function regprocedure, in_registrant name)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.registration_problem(in_function regprocedure, in_registrant name) FROM PUBLIC;
-- Empties the read model and moves the checkpoint to the start, once any batch in
-- progress has committed (the blocking lock); shared by the two rebuilds. The replay mark
-- keeps how far the projection had acted, so that its handler sends nothing again.

CREATE OR REPLACE FUNCTION private.reset_projection_state(in_projection_name text, in_status text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.reset_projection_state(in_projection_name text, in_status text) FROM PUBLIC;
-- Where a policy cuts: events created before now() - keep go; NULL (nothing goes) unless
-- that is at least a day ago. The one place the bundle turns a keep into a cutoff (the
-- append-only guard asks it too).

CREATE OR REPLACE FUNCTION private.retention_cutoff(in_keep interval)
RETURNS timestamptz
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.cutoff FROM (SELECT pg_catalog.now() - in_keep AS cutoff) AS c
    WHERE c.cutoff <= pg_catalog.now() - interval '1 day';
$$;

COMMENT ON FUNCTION private.retention_cutoff(in_keep interval) IS 'now() - in_keep if that is a day or more ago, else NULL: what a retention policy removes (events created before it)';
REVOKE ALL ON FUNCTION private.retention_cutoff(in_keep interval) FROM PUBLIC;
-- Detaches one month and records it (first log position) for readers whose cursor was in it.

CREATE OR REPLACE FUNCTION private.retire_event_partition(in_partition text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
SET lock_timeout = '200ms'
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

REVOKE ALL ON FUNCTION private.retire_event_partition(in_partition text) FROM PUBLIC;
-- A payload with its sealed fields opened: the plaintext while the key exists, JSON null
-- once it is gone. One pass over the top-level fields; a payload without sealed fields is
-- returned as it is.

CREATE OR REPLACE FUNCTION private.reveal_personal_data(in_event_data jsonb)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.jsonb_typeof(in_event_data) IS DISTINCT FROM 'object'
                     OR NOT pg_catalog.jsonb_path_exists(in_event_data, '$.* ? (exists (@."$es_sealed"))')
                THEN in_event_data
                ELSE (SELECT pg_catalog.jsonb_object_agg(
                                 f.key,
                                 CASE WHEN pg_catalog.jsonb_typeof(f.value) = 'object' AND f.value ? '$es_sealed'
                                      THEN COALESCE(private.open_sealed(f.value -> '$es_sealed'), 'null'::jsonb)
                                      ELSE f.value END)
                      FROM pg_catalog.jsonb_each(in_event_data) AS f) END;
$$;

COMMENT ON FUNCTION private.reveal_personal_data(in_event_data jsonb) IS 'An event payload with its sealed personal data opened (JSON null where the subject was forgotten); O(size)';
REVOKE ALL ON FUNCTION private.reveal_personal_data(in_event_data jsonb) FROM PUBLIC;
-- Applies the next batch of one projection in the caller's transaction; returns the number
-- of events applied (0: caught up, not running, or another run holds the projection).
-- A version that is not live (its name is name@N) goes no further than the live version has
-- acted (private.projection_acted_until); events at or below a replay mark are applied apart
-- from the others, with api.projection_replaying() true, so that a handler sends nothing twice.

CREATE OR REPLACE FUNCTION private.run_projection_batch(
    in_projection_name text,
    in_batch_size integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

COMMENT ON FUNCTION private.run_projection_batch(in_projection_name text, in_batch_size integer) IS 'Applies the next batch of one projection with its checkpoint, in the caller''s transaction';
REVOKE ALL ON FUNCTION private.run_projection_batch(in_projection_name text, in_batch_size integer) FROM PUBLIC;
-- One batch of one projection for the runners of every projection: an error that is not
-- the transaction's (deadlock, resources, cancel) marks the projection failed with the
-- reason, instead of being retried for ever behind a status that says running.

CREATE OR REPLACE FUNCTION private.run_projection_guarded(in_projection_name text, in_batch_size integer)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.run_projection_guarded(in_projection_name text, in_batch_size integer) FROM PUBLIC;
CREATE OR REPLACE FUNCTION private.run_with_lock_retries(in_sql text, in_what text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION private.run_with_lock_retries(in_sql text, in_what text) FROM PUBLIC;
-- Saves the state of an aggregate folded from events read with in_read_snapshot (the
-- pg_current_snapshot() of a statement before that read). The state may hold personal data
-- in plaintext: it is saved only if no key of the stream was destroyed by a transaction that
-- read did not see committed. The stream's keys are held (FOR KEY SHARE) until this
-- transaction ends, so a later erasure waits for this save and then deletes the snapshot with
-- the others (api.forget_subject); an erasure in progress makes this save give up at once (a
-- snapshot is only a shortcut: no load waits for an erasure).

CREATE OR REPLACE PROCEDURE private.save_snapshot(
    in_stream_type text,
    in_stream_id uuid,
    in_version integer,
    in_state jsonb,
    in_read_snapshot pg_snapshot
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb, IN in_read_snapshot pg_snapshot) FROM PUBLIC;

-- The specification's form, for a state computed by hand: it does not say when the state's
-- events were read, so it cannot tell whether an erasure came after that read. It refuses
-- (ZE020) for any stream a key of which has ever been destroyed or is being destroyed now, and
-- otherwise saves as above (holding the stream's keys, so that a later erasure waits for it and
-- then deletes the snapshot).

CREATE OR REPLACE PROCEDURE private.save_snapshot(
    in_stream_type text,
    in_stream_id uuid,
    in_version integer,
    in_state jsonb
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb) FROM PUBLIC;
-- What api.append_events stores as an event's event_data while some event type has personal
-- data (the append calls it only then: a store that registers nothing pays one EXISTS per
-- append): as written, unless its type has personal data; then the marked fields are sealed
-- with the subject's key. An event that carries personal data (a marked field, not null) must
-- carry its subject id (a string or number at the registered path, 1 to 200 characters), and
-- no top-level field of it may look sealed already: ZE002 otherwise, and the append writes
-- nothing.

CREATE OR REPLACE FUNCTION private.seal_personal_data(
    in_event_type text,
    in_event_data jsonb,
    in_stream_type text,
    in_stream_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

COMMENT ON FUNCTION private.seal_personal_data(in_event_type text, in_event_data jsonb, in_stream_type text, in_stream_id uuid) IS 'An event payload as stored: its personal data fields sealed with its subject''s key (ZE002 without a subject id or with a look-alike sealed field)';
REVOKE ALL ON FUNCTION private.seal_personal_data(in_event_type text, in_event_data jsonb, in_stream_type text, in_stream_id uuid) FROM PUBLIC;
-- Written for pgcrypto's schema, wherever CREATE EXTENSION put it (private.extension_schema).

DO $$
BEGIN
    -- A value, sealed: base64 of a random 16-byte IV followed by the AES-256-CBC ciphertext of
    -- its JSON text.
    EXECUTE pg_catalog.format($f$
        CREATE OR REPLACE FUNCTION private.seal_value(in_value jsonb, in_key bytea)
        RETURNS text
        LANGUAGE sql
        VOLATILE
        SET search_path = pg_catalog, pg_temp
        AS $b$
            SELECT pg_catalog.translate(pg_catalog.encode(
                       r.iv || %1$I.encrypt_iv(pg_catalog.convert_to(in_value::text, 'UTF8'), in_key, r.iv,
                                               'aes-cbc/pad:pkcs'), 'base64'), E'\n', '')
            FROM (SELECT %1$I.gen_random_bytes(16) AS iv) AS r
        $b$ $f$, private.extension_schema('pgcrypto'));
END
$$;

COMMENT ON FUNCTION private.seal_value(in_value jsonb, in_key bytea) IS 'A JSON value encrypted (AES-256-CBC, random IV), base64';
REVOKE ALL ON FUNCTION private.seal_value(in_value jsonb, in_key bytea) FROM PUBLIC;
-- (Its table is that of the first version of this change.)

-- Is a snapshot taken with this reducer version usable for this stream type now?

CREATE OR REPLACE FUNCTION private.snapshot_is_current(in_stream_type text, in_reducer_version integer)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT in_reducer_version IS NOT DISTINCT FROM
           (SELECT r.reducer_version FROM data.reducers AS r WHERE r.stream_type = in_stream_type);
$$;

REVOKE ALL ON FUNCTION private.snapshot_is_current(in_stream_type text, in_reducer_version integer) FROM PUBLIC;
-- Trigger: an audit row of a removal says who removed, in which transaction and when as the
-- bundle sees it, whatever the writer put there.

CREATE OR REPLACE FUNCTION private.stamp_event_removal()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.removed_by := private.calling_role();
    NEW.transaction_id := pg_catalog.pg_current_xact_id();
    NEW.removed_at := pg_catalog.now();
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION private.stamp_event_removal() IS 'Trigger: sets removed_by, transaction_id and removed_at of a removal''s audit row (data.event_removals)';
REVOKE ALL ON FUNCTION private.stamp_event_removal() FROM PUBLIC;
-- The read horizon as the status views show it: where whole-log readers stop now, why it is
-- the conservative horizon if it is (fallback), and the transaction that holds it: the
-- appender it waits for, or on the conservative horizon the oldest transaction of the cluster.
-- One read of the horizon per call (private.read_horizon publishes what it reads).

CREATE OR REPLACE FUNCTION private.status_horizon()
RETURNS TABLE (
    generation integer,
    transaction_id xid8,
    fallback text,
    pid integer,
    database text,
    username text,
    age interval,
    query text
)
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.generation, h.transaction_id, h.fallback, o.pid, o.database, o.username, o.age, o.query
    FROM private.read_horizon() AS h
    LEFT JOIN LATERAL private.horizon_holder(
        COALESCE(h.holder_pid, CASE WHEN h.fallback IS NOT NULL THEN private.oldest_transaction_pid() END),
        h.holder_gid) AS o ON true;
$$;

COMMENT ON FUNCTION private.status_horizon() IS 'The read horizon, why it is conservative if it is, and the transaction holding it (for the status views)';
REVOKE ALL ON FUNCTION private.status_horizon() FROM PUBLIC;
-- Soft deletion of a stream (api.delete_stream, writer). The stream gets a last event, the
-- tombstone $StreamDeleted, so whole-log readers, projections and subscriptions see it and
-- read models can react; then it is closed: an append to it fails with ZE015 (KurrentDB
-- recreates a deleted stream on append; here a deleted stream stays deleted until an admin
-- purges it, after which its id is free). Stream reads (api.get_events, api.load_aggregate,
-- api.get_aggregate_state, reworked after this change) return no events; the log keeps them
-- and whole-log readers still read them. api.get_stream_version returns the tombstone's
-- version.

CREATE OR REPLACE FUNCTION private.stream_is_deleted(in_stream_type text, in_stream_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM data.event_streams AS s
                   WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id AND s.deleted_at IS NOT NULL);
$$;

REVOKE ALL ON FUNCTION private.stream_is_deleted(in_stream_type text, in_stream_id uuid) FROM PUBLIC;
-- The key of a subject, made on its first event (and again after it was forgotten: events
-- appended after api.forget_subject are readable, with a new key).

CREATE OR REPLACE FUNCTION private.subject_key(in_subject_id text, OUT key_id uuid, OUT key bytea)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.subject_key(in_subject_id text, OUT key_id uuid, OUT key bytea) FROM PUBLIC;
-- The events after a subscription's cursor up to the horizon, for its intake: what the claim
-- will deliver for the first time (payloads upcast, in_events, in log order) and where each
-- is (in_refs). An event whose payload cannot be read (its upcaster fails) is in in_refs
-- only, with its error in unreadable_errors (same order as unreadable_ids).

CREATE OR REPLACE FUNCTION private.subscription_intake(
    in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8,
    OUT refs private.subscription_event_ref[], OUT events data.events[],
    OUT unreadable_ids uuid[], OUT unreadable_errors text[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- An ordered Merge Append of the partitions' indexes, never a sort (see private.log_events),
-- planned once: planning the read over the partitions for every claim cost 0.2 ms, more than
-- reading 100 events. No JIT: with sorts priced out, an upcaster's query could look costly
-- enough to compile.
SET enable_sort = off
SET plan_cache_mode = force_generic_plan
SET jit = off
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
                       e.created_at, e.global_position, e.transaction_id, e.generation, e.schema_version)::data.events
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

REVOKE ALL ON FUNCTION private.subscription_intake(in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8, OUT refs private.subscription_event_ref[], OUT events data.events[], OUT unreadable_ids uuid[], OUT unreadable_errors text[]) FROM PUBLIC;
-- The intake of a claim that must not read payloads (earlier claims were cut off reading
-- them): the next events after the cursor, each marked unreadable with in_error, so that the
-- claim parks them as it parks events whose upcaster fails.

CREATE OR REPLACE FUNCTION private.subscription_intake_unread(
    in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8,
    in_error text,
    OUT refs private.subscription_event_ref[], OUT events data.events[],
    OUT unreadable_ids uuid[], OUT unreadable_errors text[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.subscription_intake_unread(in_subscription data.subscriptions, in_limit integer, in_horizon_generation integer, in_horizon_transaction_id xid8, in_error text, OUT refs private.subscription_event_ref[], OUT events data.events[], OUT unreadable_ids uuid[], OUT unreadable_errors text[]) FROM PUBLIC;
-- What an operator watches: per subscription its members, lag, events in flight, waiting and
-- parked, the oldest lease, and the appending transaction that holds the read horizon; and
-- the parked events with their errors. The cost does not grow with the lag: every count stops
-- at 10,000 or is estimated beyond (private.count_events_after). horizon_fallback: NULL, or why
-- whole-log readers run on the conservative horizon (oldest_xact_* then name the oldest
-- transaction of the cluster).

CREATE OR REPLACE FUNCTION private.subscription_status()
RETURNS TABLE (
    subscription_name text,
    consumers integer,
    events_behind bigint,
    events_behind_exact boolean,
    in_flight bigint,
    waiting bigint,
    parked bigint,
    oldest_in_flight_age interval,
    last_claim_at timestamptz,
    events_held_back bigint,
    oldest_xact_pid integer,
    oldest_xact_database text,
    oldest_xact_user text,
    oldest_xact_age interval,
    oldest_xact_query text,
    stream_types text[],
    event_types text[],
    max_attempts integer,
    lease interval,
    horizon_fallback text
)
LANGUAGE sql
VOLATILE  -- private.status_horizon reads (and publishes) the horizon
SECURITY DEFINER  -- pg_stat_activity shows other users' queries to its owner only
SET search_path = pg_catalog, pg_temp
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

REVOKE ALL ON FUNCTION private.subscription_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION private.subscription_status() TO eventstore_admin;
-- The projection (every version of it) follows exactly the stream types that have a snapshot
-- interval.

CREATE OR REPLACE FUNCTION private.sync_snapshot_projection()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE data.projections AS p
    SET stream_types = ARRAY(SELECT r.stream_type FROM data.reducers AS r
                             WHERE r.snapshot_interval IS NOT NULL ORDER BY r.stream_type)
    WHERE p.version_of = 'snapshots';
    RETURN NULL;
END;
$$;

REVOKE ALL ON FUNCTION private.sync_snapshot_projection() FROM PUBLIC;
-- The payload of an event of in_from_version as of in_to_version, through the registered
-- upcasters (one step per version). A missing step is ZE010.

CREATE OR REPLACE FUNCTION private.upcast_event(
    in_event_type text,
    in_event_data jsonb,
    in_from_version integer,
    in_to_version integer
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

COMMENT ON FUNCTION private.upcast_event(in_event_type text, in_event_data jsonb, in_from_version integer, in_to_version integer) IS 'An event payload of in_from_version as of in_to_version, through the registered upcasters';
REVOKE ALL ON FUNCTION private.upcast_event(in_event_type text, in_event_data jsonb, in_from_version integer, in_to_version integer) FROM PUBLIC;
-- A time-ordered UUID (RFC 9562 version 7) usable as a column default. PostgreSQL 18 has
-- uuidv7() built in; on 15-17 we build the same layout: 48 bits of Unix milliseconds,
-- version 7, 12 bits of sub-millisecond fraction (as PostgreSQL 18 does, so ids from one
-- backend sort in creation order), variant 10, 62 random bits.
-- No SET search_path: every name is qualified and the function is not SECURITY DEFINER;
-- the clause costs a GUC switch per call, on every event appended. PL/pgSQL because a SQL
-- body that reads the clock once needs a FROM, which is not inlined and measured slower
-- (11 us against 7 us a call here).

DO $$
BEGIN
    IF pg_catalog.current_setting('server_version_num')::integer >= 180000 THEN
        EXECUTE $fn$
            CREATE OR REPLACE FUNCTION private.uuidv7()
            RETURNS uuid
            LANGUAGE sql
            VOLATILE PARALLEL SAFE
            RETURN pg_catalog.uuidv7()
        $fn$;
    ELSE
        EXECUTE $fn$
            CREATE OR REPLACE FUNCTION private.uuidv7()
            RETURNS uuid
            LANGUAGE plpgsql
            VOLATILE PARALLEL SAFE
            AS $body$
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
            $body$
        $fn$;
    END IF;
END
$$;

COMMENT ON FUNCTION private.uuidv7() IS 'Time-ordered UUID version 7 (RFC 9562); the built-in uuidv7() on PostgreSQL 18+';
REVOKE ALL ON FUNCTION private.uuidv7() FROM PUBLIC;
-- The time a UUID v7 was made (its first 48 bits, Unix milliseconds); NULL for another
-- kind of UUID.

CREATE OR REPLACE FUNCTION private.uuidv7_time(in_id uuid)
RETURNS timestamptz
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.substr(in_id::text, 15, 1) = '7'
                THEN pg_catalog.to_timestamp(
                         ('x' || pg_catalog.lpad(pg_catalog.substr(pg_catalog.replace(in_id::text, '-', ''), 1, 12), 16, '0'))
                         ::bit(64)::bigint / 1000.0) END;
$$;

COMMENT ON FUNCTION private.uuidv7_time(in_id uuid) IS 'When a UUID v7 was made; NULL for other UUIDs';
REVOKE ALL ON FUNCTION private.uuidv7_time(in_id uuid) FROM PUBLIC;
-- The generation an append writes: the newest row when this cluster wrote it, else a new
-- row (first write after a restore). Concurrent first writers meet on the primary key.
-- No SET search_path (every name is qualified): it runs on every append.

CREATE OR REPLACE FUNCTION private.writer_generation()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
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
REVOKE ALL ON FUNCTION private.writer_generation() FROM PUBLIC;
-- The 64-bit transaction id of a running transaction's 32-bit one, in_near being a 64-bit id
-- less than 2^31 away from it (ids of running transactions are: wraparound protection).

CREATE OR REPLACE FUNCTION private.xid_near(in_xid xid, in_near bigint)
RETURNS bigint
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT in_near + CASE WHEN d.t >= 2147483648 THEN d.t - 4294967296 ELSE d.t END
    FROM (SELECT (in_xid::text::bigint - in_near) & 4294967295 AS t) AS d;
$$;

REVOKE ALL ON FUNCTION private.xid_near(in_xid xid, in_near bigint) FROM PUBLIC;
CREATE OR REPLACE FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.ack_events(in_subscription text, in_consumer text, in_event_ids uuid[]) TO eventstore_projector;
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
    l_base text;
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
             transaction_id, generation, schema_version)
        SELECT in_stream_type, in_stream_id, l_version, e.event_type,
               CASE WHEN EXISTS (SELECT FROM data.personal_data)
                    THEN private.seal_personal_data(e.event_type, e.event_data, in_stream_type, in_stream_id)
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
        -- A batch's ids come from one private.uuidv7() (2 us a call, a tenth of a batched
        -- event's cost): its time and first 38 random bits, then the event's ordinal in the
        -- last 24 bits, so they are version-7 ids in the batch's order. 24 bits outnumber the
        -- events a jsonb array (at most 255 MB) can hold.
        l_base := pg_catalog.left(private.uuidv7()::text, 30);
        INSERT INTO data.events
            (id, stream_type, stream_id, version, event_type, event_data, metadata,
             transaction_id, generation, schema_version)
        SELECT (l_base || pg_catalog.lpad(pg_catalog.to_hex(e.ord), 6, '0'))::uuid,
               in_stream_type,
               in_stream_id,
               l_version - l_count + e.ord::integer,
               e.element ->> 'event_type',
               CASE WHEN EXISTS (SELECT FROM data.personal_data)
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

COMMENT ON PROCEDURE api.append_events(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, INOUT io_new_version integer) IS 'Appends in_events (a JSON array of {event_type, event_data, metadata}) to a stream.
in_expected_version: 0 = the stream must be new, N = the stream must be at version N,
NULL = any. io_new_version returns the stream''s version after the append.
Errors: ZE001 wrong expected version, ZE002 malformed in_events, ZE003 bad argument,
ZE006 event_data does not match the registered schema of its type and version,
40001 the stream was appended by a newer transaction (retry). Listeners of channel
eventstore_events hear of it once it is readable (projection notifications).';
REVOKE ALL ON PROCEDURE api.append_events(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, INOUT io_new_version integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.append_events(IN in_stream_type text, IN in_stream_id uuid, IN in_expected_version integer, IN in_events jsonb, INOUT io_new_version integer) TO eventstore_writer;
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
        -- any synchronous standby has it; taking a transaction id makes this call's commit write
        -- a record and wait for synchronous replication like any write, and the WAL up to it
        -- holds the replayed append's commit (docs/high-availability.md).
        PERFORM pg_catalog.pg_current_xact_id();
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
-- Appends events that carry versions of their own (an eventsourcing aggregate's
-- originator_version, in metadata.originator_version) to one or more streams of one type, in
-- one transaction, and returns each event's log number (private.log_number) in the order
-- given. The store's versions stay 1, 2, 3, ...; a new stream may start at any version of its
-- own, and each later event must be the one after the stream's last (in_gaps = false: an
-- aggregate's events) or any later one (in_gaps = true: snapshots). Each stream's events are
-- appended by one api.append_events call, with the stream's version as the expected version:
-- a version taken, or a concurrent append, is ZE001 and nothing of the call is written.

CREATE OR REPLACE FUNCTION api.append_versioned(
    in_stream_type text,
    in_streams jsonb,  -- Array of {stream_id, events}; events as api.append_events takes them
    in_gaps boolean DEFAULT false
)
RETURNS numeric[]
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_run record;
    l_stream_id uuid;
    l_versions integer[];
    l_count integer;
    l_current integer;
    l_last integer;
    l_new integer;
    l_generation integer;
    l_positions bigint[] := '{}';
    l_run_positions bigint[];
    l_base numeric;
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
        SELECT pg_catalog.array_agg(e.global_position ORDER BY e.version), pg_catalog.min(e.generation)
        INTO l_run_positions, l_generation
        FROM data.events AS e
        WHERE e.created_at = pg_catalog.now()
          AND e.stream_type = in_stream_type AND e.stream_id = l_stream_id
          AND e.version > l_current AND e.version <= l_new;
        l_positions := l_positions || l_run_positions;
    END LOOP;

    -- Every event of the call is this transaction's: one base for all their numbers.
    l_base := private.log_number_base(l_generation, pg_catalog.pg_current_xact_id(), pg_catalog.now());
    IF l_base + l_positions[pg_catalog.array_length(l_positions, 1)]
       - pg_catalog.div(l_base + l_positions[1], 4294967296) * 4294967296 >= 4294967296 THEN
        -- Offsets past 2^32 would run into the next transaction's numbers.
        RAISE EXCEPTION 'this transaction has spanned 2^32 log positions: its events cannot be numbered; append in a new transaction'
            USING ERRCODE = 'ZE003';
    END IF;
    RETURN ARRAY(SELECT l_base + p.position FROM pg_catalog.unnest(l_positions) WITH ORDINALITY AS p(position, ord)
                 ORDER BY p.ord);
END;
$$;

COMMENT ON FUNCTION api.append_versioned(in_stream_type text, in_streams jsonb, in_gaps boolean) IS 'Appends to streams of in_stream_type: in_streams is a JSON array of {stream_id, events}, events as
api.append_events takes them, each with its own version in metadata.originator_version. Returns
the events'' log numbers in the order given. A new stream starts at any version; then each
event is the one after the stream''s last (in_gaps: any later one).
Errors: ZE001 a version taken (or appended concurrently), ZE002 malformed in_streams, ZE003 a
gap without in_gaps or a bad argument, and those of api.append_events.';
REVOKE ALL ON FUNCTION api.append_versioned(in_stream_type text, in_streams jsonb, in_gaps boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.append_versioned(in_stream_type text, in_streams jsonb, in_gaps boolean) TO eventstore_writer;
-- Steps until nothing is left, each in a transaction of its own (call it as a statement of
-- its own, not inside a transaction block). Not SECURITY DEFINER, so that it may commit; the
-- step it calls is.

CREATE OR REPLACE PROCEDURE api.apply_retention(in_batch_size integer DEFAULT 10000)
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
REVOKE ALL ON PROCEDURE api.apply_retention(IN in_batch_size integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.apply_retention(IN in_batch_size integer) TO eventstore_admin;
-- One step of api.apply_retention, in the caller's transaction: a whole expired month retired
-- and dropped, or else at most in_batch_size expired events deleted. Returns the number of
-- events removed (0: nothing left to do).

CREATE OR REPLACE FUNCTION api.apply_retention_step(in_batch_size integer DEFAULT 10000)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.apply_retention_step(in_batch_size integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.apply_retention_step(in_batch_size integer) TO eventstore_admin;
CREATE OR REPLACE FUNCTION api.claim_events(
    in_subscription text,
    in_consumer text,
    in_limit integer DEFAULT 100)
RETURNS TABLE (
    id uuid,
    stream_type text,
    stream_id uuid,
    version integer,
    event_type text,
    event_data jsonb,
    metadata jsonb,
    created_at timestamptz,
    attempt integer
)
LANGUAGE plpgsql
VOLATILE  -- its intake needs a snapshot taken after its horizon (docs/read-horizon.md)
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan  -- measured: 10% of a claim went to planning its statements again
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
REVOKE ALL ON FUNCTION api.claim_events(in_subscription text, in_consumer text, in_limit integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.claim_events(in_subscription text, in_consumer text, in_limit integer) TO eventstore_projector;
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
REVOKE ALL ON FUNCTION api.create_subscription(in_name text, in_stream_types text[], in_event_types text[], in_from_beginning boolean, in_max_attempts integer, in_lease interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.create_subscription(in_name text, in_stream_types text[], in_event_types text[], in_from_beginning boolean, in_max_attempts integer, in_lease interval) TO eventstore_admin;
CREATE OR REPLACE FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

COMMENT ON FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer) IS 'Deletes a stream (soft): appends its tombstone $StreamDeleted (returns its version) and closes
it. Stream reads return no events from then on; whole-log readers still read every event and
the tombstone; appending fails with ZE015. in_expected_version: the stream''s version, or NULL
(any). Errors: ZE001 wrong expected version, ZE003 bad argument, ZE004 no such stream, ZE015
deleted already.';
REVOKE ALL ON FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer) TO eventstore_writer;
-- Retention: detach (never drop) whole months that end on or before in_before. Their
-- events leave every reader, stream reads and rebuilds included; the detached tables stay
-- in schema data for the DBA to archive (pg_dump -t) and drop.

CREATE OR REPLACE PROCEDURE api.detach_event_partitions(in_before date)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
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
$$;

COMMENT ON PROCEDURE api.detach_event_partitions(IN in_before date) IS 'Retention: detaches the monthly partitions that end on or before in_before (kept as tables,
recorded in data.retired_event_partitions). Waits at most 200 ms at a time for its lock,
retrying for about a minute (then 55P03). Errors: ZE003 in_before NULL or in this month.';
REVOKE ALL ON PROCEDURE api.detach_event_partitions(IN in_before date) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.detach_event_partitions(IN in_before date) TO eventstore_admin;
-- Removes a version of a projection that is not live: its registration, checkpoint and
-- recorded skips. Its read model is the application's to drop (the store does not know which
-- tables a handler writes).

CREATE OR REPLACE FUNCTION api.drop_projection_version(in_projection_name text, in_version integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.drop_projection_version(in_projection_name text, in_version integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.drop_projection_version(in_projection_name text, in_version integer) TO eventstore_admin;
CREATE OR REPLACE FUNCTION api.drop_subscription(in_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.drop_subscription(in_name text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.drop_subscription(in_name text) TO eventstore_admin;
CREATE OR REPLACE PROCEDURE api.ensure_event_partitions(in_months_ahead integer DEFAULT 3)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
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
REVOKE ALL ON PROCEDURE api.ensure_event_partitions(IN in_months_ahead integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.ensure_event_partitions(IN in_months_ahead integer) TO eventstore_admin;
CREATE OR REPLACE FUNCTION api.forget_subject(in_subject_id text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

COMMENT ON FUNCTION api.forget_subject(in_subject_id text) IS 'Destroys the key of a data subject: every reader then sees its personal data fields as JSON
null. Removes the snapshots of its streams (and no snapshot folded from a read before the
erasure is saved after it), appends $SubjectForgotten (stream type $subject, event_data
{subject_id, streams}) for read models and consumers, records who and when in
data.forgotten_subjects. Returns false when the subject has no key (unknown, or forgotten
already). Call it in a transaction of its own: in a transaction that wrote before it, its
append can meet 40001 (retry the transaction), as any append after another write can.
Errors: ZE003 bad argument; 40001 see above.';
REVOKE ALL ON FUNCTION api.forget_subject(in_subject_id text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.forget_subject(in_subject_id text) TO eventstore_admin;
CREATE OR REPLACE FUNCTION api.get_aggregate_state(
    in_stream_type text,
    in_stream_id uuid
)
RETURNS TABLE (
    state jsonb,
    version integer,
    pending_events jsonb
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.get_aggregate_state(in_stream_type text, in_stream_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_aggregate_state(in_stream_type text, in_stream_id uuid) TO eventstore_reader;
-- The whole log, gap-free (see change log_order), paged by the id of the last event read.

CREATE OR REPLACE FUNCTION api.get_all_events(
    in_after_id uuid DEFAULT NULL,
    in_limit integer DEFAULT 1000
)
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
VOLATILE  -- its read needs a snapshot taken after its horizon (docs/read-horizon.md)
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.get_all_events(in_after_id uuid, in_limit integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_all_events(in_after_id uuid, in_limit integer) TO eventstore_reader;
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
    JOIN private.events_as_read AS u ON u.id = r.id AND u.created_at = r.created_at
    WHERE r.id = ANY (l_seen)
    ORDER BY r.generation, r.transaction_id, r.global_position;
END;
$$;

COMMENT ON FUNCTION api.get_causation_chain(in_event_id uuid) IS 'The event in_event_id, every event that led to it (its metadata.causation_id, and that event''s,
...) and every event that followed from it (events whose causation_id names it, and theirs, ...),
in log order (the columns of api.get_all_events). Errors: ZE003 NULL, ZE004 no such event.';
REVOKE ALL ON FUNCTION api.get_causation_chain(in_event_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_causation_chain(in_event_id uuid) TO eventstore_reader;
-- The events of one stream in version order, payloads upcast to the current version. Stream order needs no horizon: versions
-- are taken under the stream row lock, so a stream never shows a gap.

CREATE OR REPLACE FUNCTION api.get_events(
    in_stream_type text,
    in_stream_id uuid,
    in_from_version integer DEFAULT 0,
    in_to_version integer DEFAULT NULL
)
RETURNS TABLE (
    id uuid,
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
REVOKE ALL ON FUNCTION api.get_events(in_stream_type text, in_stream_id uuid, in_from_version integer, in_to_version integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_events(in_stream_type text, in_stream_id uuid, in_from_version integer, in_to_version integer) TO eventstore_reader;
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
    JOIN private.events_as_read AS u ON u.id = r.id AND u.created_at = r.created_at
    WHERE r.metadata ? 'correlation_id'
      AND (r.metadata ->> 'correlation_id') = in_correlation_id
    ORDER BY r.generation, r.transaction_id, r.global_position;
END;
$$;

COMMENT ON FUNCTION api.get_events_by_correlation(in_correlation_id text) IS 'Every committed event whose metadata.correlation_id is in_correlation_id, across streams, in
log order (the columns of api.get_all_events). Errors: ZE003 NULL or empty id.';
REVOKE ALL ON FUNCTION api.get_events_by_correlation(in_correlation_id text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_events_by_correlation(in_correlation_id text) TO eventstore_reader;
-- The log restricted to some event types, gap-free like api.get_all_events.

CREATE OR REPLACE FUNCTION api.get_events_by_type(
    in_event_types text[],
    in_after_id uuid DEFAULT NULL,
    in_limit integer DEFAULT 1000
)
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
VOLATILE  -- its read needs a snapshot taken after its horizon (docs/read-horizon.md)
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.get_events_by_type(in_event_types text[], in_after_id uuid, in_limit integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_events_by_type(in_event_types text[], in_after_id uuid, in_limit integer) TO eventstore_reader;
CREATE OR REPLACE FUNCTION api.get_stream_version(in_stream_type text, in_stream_id uuid)
RETURNS integer
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.get_stream_version(in_stream_type text, in_stream_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.get_stream_version(in_stream_type text, in_stream_id uuid) TO eventstore_reader;
-- The log number of the last event a gap-free reader can read now (api.read_log), optionally
-- of some stream types only: where a reader that starts from "now" begins.

CREATE OR REPLACE FUNCTION api.last_log_number(in_stream_types text[] DEFAULT NULL)
RETURNS numeric
LANGUAGE plpgsql
VOLATILE  -- its read needs a snapshot taken after its horizon (docs/read-horizon.md)
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_sort = off  -- a backward Merge Append of the partitions' log order indexes
AS $$
DECLARE
    l_stream_types text[] := private.check_type_filter(in_stream_types, 'in_stream_types');
    l_horizon record;
    l_number numeric;
BEGIN
    l_horizon := private.read_horizon();
    SELECT private.log_number(e.generation, e.transaction_id, e.global_position, e.created_at)
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
REVOKE ALL ON FUNCTION api.last_log_number(in_stream_types text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.last_log_number(in_stream_types text[]) TO eventstore_reader;
CREATE OR REPLACE FUNCTION api.load_aggregate(
    in_stream_type text,
    in_stream_id uuid,
    in_as_of_version integer DEFAULT NULL,
    in_as_of timestamptz DEFAULT NULL)
RETURNS TABLE (state jsonb, version integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.load_aggregate(in_stream_type text, in_stream_id uuid, in_as_of_version integer, in_as_of timestamp with time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.load_aggregate(in_stream_type text, in_stream_id uuid, in_as_of_version integer, in_as_of timestamp with time zone) TO eventstore_reader;
CREATE OR REPLACE FUNCTION api.nack_event(in_subscription text, in_consumer text, in_event_id uuid, in_error text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.nack_event(in_subscription text, in_consumer text, in_event_id uuid, in_error text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.nack_event(in_subscription text, in_consumer text, in_event_id uuid, in_error text) TO eventstore_projector;
CREATE OR REPLACE FUNCTION api.pause_projection(in_projection_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.pause_projection(in_projection_name text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.pause_projection(in_projection_name text) TO eventstore_projector;
-- Which version of a projection readers should see: for a view over the versions' read
-- models, each arm filtered by it (the planner evaluates it once per query, so a read scans
-- one version's table). A promotion changes it in one transaction.

CREATE OR REPLACE FUNCTION api.projection_live_version(in_projection_name text)
RETURNS integer
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
its versions'' read models with it (README: Changing a projection without downtime).
Errors: ZE005 unknown projection.';
REVOKE ALL ON FUNCTION api.projection_live_version(in_projection_name text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.projection_live_version(in_projection_name text) TO eventstore_reader;
-- The side-effect gate: true inside a projection handler's call whose events the projection
-- has acted on already (a version that is not live, one just promoted that was behind, or a
-- projection reset or rebuilt). The runner sets it before every handler call.

CREATE OR REPLACE FUNCTION api.projection_replaying()
RETURNS boolean
LANGUAGE sql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE(pg_catalog.current_setting('eventstore.projection_replaying', true), '') = 'on';
$$;

COMMENT ON FUNCTION api.projection_replaying() IS 'True inside a projection handler call that replays events the projection has acted on already
(a version that is not live, a promoted one that was behind, a reset or rebuilt projection):
update the read model, send nothing again. False elsewhere.';
REVOKE ALL ON FUNCTION api.projection_replaying() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.projection_replaying() TO eventstore_reader;
-- Makes a version of a projection the live one, in one transaction: it finishes catching up
-- with the live version here (at most eventstore.promotion_max_lag events, 1000 when unset),
-- takes the projection's name, and the version that was live stops (paused, as name@N, its
-- read model kept). Readers that choose their read model by api.projection_live_version
-- switch at their next snapshot, each seeing one complete version. A paused version (one
-- that was live before) is promoted the same way: a rollback is one call.

CREATE OR REPLACE FUNCTION api.promote_projection(in_projection_name text, in_version integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.promote_projection(in_projection_name text, in_version integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.promote_projection(in_projection_name text, in_version integer) TO eventstore_admin;
-- Idempotency keys are kept for a retry window, not for ever: data.idempotency_keys would
-- otherwise grow by one row per idempotent append. A retry older than the window appends
-- again (clients retry within seconds or hours; the default window is 30 days).

CREATE OR REPLACE FUNCTION api.purge_idempotency_keys(in_older_than interval DEFAULT '30 days')
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.purge_idempotency_keys(in_older_than interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.purge_idempotency_keys(in_older_than interval) TO eventstore_admin;
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

COMMENT ON FUNCTION api.purge_stream(in_stream_type text, in_stream_id uuid) IS 'Removes a deleted stream for good: its events (the only removal the append-only guard lets
through), snapshot, idempotency keys and subscription state, with an audit row in
data.event_removals. Returns the number of events removed. A reader whose cursor is one of
them continues from where it was. Errors: ZE003 NULL argument, ZE004 no such stream, ZE016
the stream is not deleted (api.delete_stream first).';
REVOKE ALL ON FUNCTION api.purge_stream(in_stream_type text, in_stream_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.purge_stream(in_stream_type text, in_stream_id uuid) TO eventstore_admin;
-- The whole log, gap-free, as api.get_all_events reads it, paged by log number
-- (private.log_number) instead of event id: for readers that need an integer cursor, such as
-- eventsourcing's notification log. Each row carries its number.

CREATE OR REPLACE FUNCTION api.read_log(
    in_after numeric DEFAULT NULL,
    in_limit integer DEFAULT 1000,
    in_stream_types text[] DEFAULT NULL,
    in_event_types text[] DEFAULT NULL,
    in_up_to numeric DEFAULT NULL
)
RETURNS TABLE (
    log_number numeric,
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
VOLATILE  -- its read needs a snapshot taken after its horizon (docs/read-horizon.md)
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
    RETURN QUERY
    WITH page AS MATERIALIZED (
        SELECT e.* FROM private.log_events(l_after.generation, l_after.transaction_id, l_after.global_position,
                                           l_limit, l_event_types, l_stream_types,
                                           l_horizon.generation, l_horizon.transaction_id) AS e
    ), blocks AS MATERIALIZED (  -- a transaction's base once, not once per event
        SELECT b.generation, b.transaction_id,
               private.log_number_base(b.generation, b.transaction_id, b.created_at) AS base
        FROM (SELECT DISTINCT p.generation, p.transaction_id, p.created_at FROM page AS p) AS b
    )
    SELECT k.base + p.global_position, p.id, p.stream_type, p.stream_id, p.version, p.event_type, p.event_data,
           p.metadata, p.created_at
    FROM page AS p
    JOIN blocks AS k ON k.generation = p.generation AND k.transaction_id = p.transaction_id
    WHERE in_up_to IS NULL OR k.base + p.global_position <= in_up_to
    ORDER BY p.generation, p.transaction_id, p.global_position;
END;
$$;

COMMENT ON FUNCTION api.read_log(in_after numeric, in_limit integer, in_stream_types text[], in_event_types text[], in_up_to numeric) IS 'Every committed event whose log number is greater than in_after (NULL = from the start) and at most
in_up_to (NULL = no bound), in log order, at most in_limit, optionally of some stream and event
types only. Gap-free, as api.get_all_events: paging with the last number returned yields every
committed event exactly once. Log numbers grow strictly in log order, one transaction''s events
forming one block; api.append_versioned returns them at append time.
Errors: ZE003 bad in_limit, type filter or number.';
REVOKE ALL ON FUNCTION api.read_log(in_after numeric, in_limit integer, in_stream_types text[], in_event_types text[], in_up_to numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.read_log(in_after numeric, in_limit integer, in_stream_types text[], in_event_types text[], in_up_to numeric) TO eventstore_reader;
-- Reads a stream appended with api.append_versioned by the versions its events carry
-- (metadata.originator_version): after one version, up to another, forwards or backwards,
-- at most in_limit, as readers read events (upcast, personal data revealed). Without gaps a
-- stream's own versions are its store versions shifted by its first one, so a range is an
-- index range; with gaps (snapshots) each event's own version is compared, from the end
-- backwards or from the start. An originator_version that is not an integer is no version of
-- the event's own (private.own_version).

CREATE OR REPLACE FUNCTION api.read_versioned(
    in_stream_type text,
    in_stream_id uuid,
    in_after_version integer DEFAULT NULL,
    in_up_to_version integer DEFAULT NULL,
    in_descending boolean DEFAULT false,
    in_limit integer DEFAULT NULL,
    in_gaps boolean DEFAULT false
)
RETURNS TABLE (
    version integer,
    event_type text,
    event_data jsonb,
    metadata jsonb,
    id uuid,
    created_at timestamptz
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.read_versioned(in_stream_type text, in_stream_id uuid, in_after_version integer, in_up_to_version integer, in_descending boolean, in_limit integer, in_gaps boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.read_versioned(in_stream_type text, in_stream_id uuid, in_after_version integer, in_up_to_version integer, in_descending boolean, in_limit integer, in_gaps boolean) TO eventstore_reader;
CREATE OR REPLACE PROCEDURE api.rebuild_projection(in_projection_name text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON PROCEDURE api.rebuild_projection(IN in_projection_name text) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.rebuild_projection(IN in_projection_name text) TO eventstore_projector;
-- Records that a consumer (in_tracker: an eventsourcing process application, a follower of
-- api.read_log) has processed the log it follows (in_upstream) up to in_position, in the
-- caller's transaction: together with what the consumer wrote, or not at all. A position is
-- recorded once and only grows (ZE018 otherwise: the event was processed already), and is a
-- number some log of this store can reach: an integer from 0 below (newest generation + 1) *
-- 2^96 (private.log_number), so that no position recorded by mistake (NaN, Infinity, 1e30)
-- stops the tracker for good. Who may move a tracker: the members of the role an admin
-- reserved it for (api.set_tracker_role), else the role that first recorded it; another
-- role's record is ZE019 (an admin may move any), so one consumer cannot move or stop
-- another's.

CREATE OR REPLACE FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric) TO eventstore_writer, eventstore_projector;
CREATE OR REPLACE FUNCTION api.register_event_schema(in_event_type text, in_version integer, in_schema jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
                         'maximum, minLength, maxLength, minItems, maxItems, pattern (README: Event versioning).';
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
REVOKE ALL ON FUNCTION api.register_event_schema(in_event_type text, in_version integer, in_schema jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_event_schema(in_event_type text, in_version integer, in_schema jsonb) TO eventstore_admin;
CREATE OR REPLACE FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[])
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

COMMENT ON FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[]) IS 'Marks top-level fields of in_event_type''s event_data as personal data of the subject whose id
is at in_subject_path (a JSON path, e.g. $.customer_id). Events appended from then on store
them encrypted with the subject''s key. Registering again replaces (events keep the fields
they were encrypted with). Events appended before are not encrypted: crypto-shredding cannot
reach them. Errors: ZE003 bad argument.';
REVOKE ALL ON FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[]) TO eventstore_admin;
-- Registering a projection (its first registration is its version 1, live; redefining it
-- redefines the live version). Handlers run
-- with their registrant's rights (invokers, change registered_code); a skipped event stays
-- skipped through rebuilds and resets; the projection's lock is its checkpoint row.

CREATE OR REPLACE FUNCTION api.register_projection(
    in_projection_name text,
    in_handler regprocedure,
    in_reset_handler regprocedure DEFAULT NULL,
    in_event_types text[] DEFAULT NULL,
    in_stream_types text[] DEFAULT NULL,
    in_batch_size integer DEFAULT 500)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

COMMENT ON FUNCTION api.register_projection(in_projection_name text, in_handler regprocedure, in_reset_handler regprocedure, in_event_types text[], in_stream_types text[], in_batch_size integer) IS 'Registers (or redefines, keeping its position) a projection: in_handler(data.events[]) applies
a batch of events in log order; in_reset_handler() empties the read model for rebuilds;
in_event_types / in_stream_types restrict what it is given (NULL: everything). A new
projection starts at the beginning of the log and is its version 1; redefining one redefines
its live version, and its other versions follow the new filters. The handlers run with the rights of the
role that registers them. Errors: ZE003 bad name, batch size or filter, ZE010 handler of
the wrong shape, or one that could run with rights its registrant does not have (a
temporary function, one owned by another role, or in a schema others can create in).';
REVOKE ALL ON FUNCTION api.register_projection(in_projection_name text, in_handler regprocedure, in_reset_handler regprocedure, in_event_types text[], in_stream_types text[], in_batch_size integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_projection(in_projection_name text, in_handler regprocedure, in_reset_handler regprocedure, in_event_types text[], in_stream_types text[], in_batch_size integer) TO eventstore_admin;
-- Another version of a projection: a new handler (writing a read model of its own) that the
-- runner catches up from the beginning of the log beside the live version, which goes on
-- serving. It follows the live version's event and stream types and batch size.

CREATE OR REPLACE FUNCTION api.register_projection_version(
    in_projection_name text,
    in_version integer,
    in_handler regprocedure,
    in_reset_handler regprocedure DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.register_projection_version(in_projection_name text, in_version integer, in_handler regprocedure, in_reset_handler regprocedure) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_projection_version(in_projection_name text, in_version integer, in_handler regprocedure, in_reset_handler regprocedure) TO eventstore_admin;
-- (Its tables are those of the first version of this change.)

CREATE OR REPLACE FUNCTION api.register_reducer(
    in_stream_type text,
    in_reducer regprocedure,
    in_reducer_version integer,
    in_snapshot_interval integer DEFAULT 100)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.register_reducer(in_stream_type text, in_reducer regprocedure, in_reducer_version integer, in_snapshot_interval integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_reducer(in_stream_type text, in_reducer regprocedure, in_reducer_version integer, in_snapshot_interval integer) TO eventstore_admin;
CREATE OR REPLACE FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure) TO eventstore_admin;
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

COMMENT ON FUNCTION api.replay_parked(in_subscription text, in_event_id uuid) IS 'Delivers a parked event again, with in_max_attempts fresh attempts; its stream flows on
once it is acknowledged. Errors: ZE003 NULL argument, ZE004 no such event, ZE013 unknown
subscription, ZE014 the event is not parked there.';
REVOKE ALL ON FUNCTION api.replay_parked(in_subscription text, in_event_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.replay_parked(in_subscription text, in_event_id uuid) TO eventstore_admin;
CREATE OR REPLACE FUNCTION api.reset_projection(in_projection_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM private.reset_projection_state(in_projection_name, 'rebuilding');
END;
$$;

COMMENT ON FUNCTION api.reset_projection(in_projection_name text) IS 'Online rebuild: empties the read model and restarts the projection from the first event with
status rebuilding; the scheduled runner catches it up batch by batch (short transactions)
and sets it running. The read model is partial meanwhile. Errors: ZE005, ZE010.';
REVOKE ALL ON FUNCTION api.reset_projection(in_projection_name text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.reset_projection(in_projection_name text) TO eventstore_projector;
CREATE OR REPLACE FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid) TO eventstore_admin;
CREATE OR REPLACE FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.resume_projection(in_projection_name text, in_skip_failed_event boolean) TO eventstore_projector;
-- One batch of one projection, for a projector role driving projections itself.

CREATE OR REPLACE FUNCTION api.run_projection(in_projection_name text, in_batch_size integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.run_projection(in_projection_name text, in_batch_size integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.run_projection(in_projection_name text, in_batch_size integer) TO eventstore_projector;
-- One batch of every running projection, each in a subtransaction of its own so that one
-- projection's unexpected error does not undo the others.

CREATE OR REPLACE FUNCTION api.run_projections(in_batch_size integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.run_projections(in_batch_size integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.run_projections(in_batch_size integer) TO eventstore_projector;
CREATE OR REPLACE FUNCTION api.set_retention(in_stream_type text, in_keep interval)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.set_retention(in_stream_type text, in_keep interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.set_retention(in_stream_type text, in_keep interval) TO eventstore_admin;
CREATE OR REPLACE FUNCTION api.set_subscription_role(in_subscription text, in_role name)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.set_subscription_role(in_subscription text, in_role name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.set_subscription_role(in_subscription text, in_role name) TO eventstore_admin;
-- Reserves a tracker (api.record_tracking) for one role, or hands it to another: from then on
-- only members of that role (and admins) record it, whatever role recorded it first. What
-- roles that are not members recorded for it is deleted: a position someone else recorded
-- under the name (a squatter's, or a mistake) is not the new owner's progress. NULL lifts the
-- reservation (the tracker is moved by the role that recorded each upstream's row).

CREATE OR REPLACE FUNCTION api.set_tracker_role(in_tracker text, in_role name)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION api.set_tracker_role(in_tracker text, in_role name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.set_tracker_role(in_tracker text, in_role name) TO eventstore_admin;
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

COMMENT ON FUNCTION api.skip_parked(in_subscription text, in_event_id uuid) IS 'Steps past a parked event: it is recorded in data.subscription_skips, never delivered again
(resets included), and the later events of its stream flow on. Errors: as api.replay_parked.';
REVOKE ALL ON FUNCTION api.skip_parked(in_subscription text, in_event_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.skip_parked(in_subscription text, in_event_id uuid) TO eventstore_admin;
-- How far a consumer has processed a log it follows (api.record_tracking): NULL if it has
-- recorded nothing.

CREATE OR REPLACE FUNCTION api.tracking_position(in_tracker text, in_upstream text)
RETURNS numeric
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.position FROM data.tracking AS t WHERE t.tracker = in_tracker AND t.upstream = in_upstream;
$$;

COMMENT ON FUNCTION api.tracking_position(in_tracker text, in_upstream text) IS 'The position in_tracker has recorded for in_upstream (api.record_tracking), NULL if none';
REVOKE ALL ON FUNCTION api.tracking_position(in_tracker text, in_upstream text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.tracking_position(in_tracker text, in_upstream text) TO eventstore_reader;
-- Time-ordered ids for an application's streams and rows: the UUID version 7 the store gives
-- its events (private.uuidv7; PostgreSQL 18's built-in where there is one). Ids made one after
-- the other sort in time order, which keeps a B-tree index on them appending at its end.

CREATE OR REPLACE FUNCTION api.uuidv7()
RETURNS uuid
LANGUAGE sql
VOLATILE
SECURITY DEFINER  -- private.uuidv7 is the store's; callers need no right on schema private
SET search_path = pg_catalog, pg_temp
AS $$ SELECT private.uuidv7() $$;

COMMENT ON FUNCTION api.uuidv7() IS 'A new time-ordered UUID (version 7, RFC 9562), as the store makes event ids';
REVOKE ALL ON FUNCTION api.uuidv7() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.uuidv7() TO eventstore_reader;
-- The generation this cluster is writing: one row if the newest generation is this
-- cluster's, no row before its first write after a restore. Appends join it into their
-- stream statement (no separate query on the hot path). Known by the stamp of the server
-- that confirmed it while that server runs (change generation_stamps), else by the system
-- identifier (private.confirm_generation, which stamps it for the appends after).

CREATE OR REPLACE VIEW private.current_generation AS
SELECT g.generation
FROM (SELECT x.generation, x.system_identifier, x.server_started_at
      FROM data.store_generations AS x
      ORDER BY x.generation DESC
      LIMIT 1) AS g
WHERE g.server_started_at = pg_catalog.pg_postmaster_start_time()
   OR private.confirm_generation(g.generation, g.system_identifier);

COMMENT ON VIEW private.current_generation IS 'The generation this cluster writes; empty until its first write after a restore';
-- private.events_as_read: data.events as every reader reads it (stream, whole log, by type,
-- correlation, subscriptions, aggregates and snapshots, projection handlers). Each payload
-- has its personal data opened (change personal_data: the plaintext while the subject's key
-- exists, JSON null after) and is upcast to the current version of its type. Only event types registered with
-- api.register_personal_data pay for the opening.

CREATE OR REPLACE VIEW private.events_as_read AS
SELECT e.id, e.stream_type, e.stream_id, e.version, e.event_type,
       CASE WHEN e.schema_version < t.current_version
            THEN private.upcast_event(e.event_type,
                                      CASE WHEN p.event_type IS NULL THEN e.event_data
                                           ELSE private.reveal_personal_data(e.event_data) END,
                                      e.schema_version, t.current_version)
            WHEN p.event_type IS NULL THEN e.event_data
            ELSE private.reveal_personal_data(e.event_data) END AS event_data,
       CASE WHEN e.schema_version < t.current_version AND e.metadata ? 'version'
            THEN e.metadata || pg_catalog.jsonb_build_object('version', t.current_version)
            ELSE e.metadata END AS metadata,
       e.created_at, e.global_position, e.transaction_id, e.generation,
       GREATEST(e.schema_version, t.current_version) AS schema_version
FROM data.events AS e
LEFT JOIN data.event_types AS t ON t.event_type = e.event_type
LEFT JOIN data.personal_data AS p ON p.event_type = e.event_type;

COMMENT ON VIEW private.events_as_read IS 'data.events as readers read it: personal data opened (null once forgotten), payloads upcast to the current version';
-- An append queues on its stream with an advisory lock before it takes a transaction id
-- (change append_events): no row lock can do that, and any session of the database can
-- take any advisory lock. A role that holds one of those keys stalls that stream's appends.
-- This view shows who waits on an advisory lock and who holds it, so that an operator
-- finds such a holder at once (README: Security says how to keep other roles out).

CREATE OR REPLACE VIEW api.append_lock_waits AS
SELECT w.pid AS waiting_pid,
       wa.usename::text AS waiting_user,
       pg_catalog.now() - wa.query_start AS waiting_for,
       h.pid AS holder_pid,
       ha.usename::text AS holder_user,
       ha.application_name::text AS holder_application,
       ha.state AS holder_state,
       pg_catalog.now() - ha.xact_start AS holder_xact_age,
       pg_catalog.pg_has_role(ha.usesysid, 'eventstore_writer', 'MEMBER') AS holder_is_writer,
       w.classid::bigint AS key1,
       w.objid::bigint AS key2
FROM pg_catalog.pg_locks AS w
JOIN pg_catalog.pg_locks AS h
  ON h.locktype = 'advisory' AND h.granted AND h.pid <> w.pid
 AND h.database = w.database AND h.classid = w.classid AND h.objid = w.objid AND h.objsubid = w.objsubid
JOIN pg_catalog.pg_stat_activity AS wa ON wa.pid = w.pid
JOIN pg_catalog.pg_stat_activity AS ha ON ha.pid = h.pid
WHERE w.locktype = 'advisory' AND NOT w.granted
  AND w.database = (SELECT d.oid FROM pg_catalog.pg_database AS d WHERE d.datname = pg_catalog.current_database());

COMMENT ON VIEW api.append_lock_waits IS 'Sessions waiting on an advisory lock of this database (appends queue on their stream with
one) and the session holding it: a holder that is not an appending writer (holder_is_writer
false, or idle in transaction) stalls that stream''s appends; end it with pg_terminate_backend.';
GRANT SELECT ON TABLE api.append_lock_waits TO eventstore_reader;
CREATE OR REPLACE VIEW api.parked_events AS
SELECT se.subscription_name, se.event_id AS id, se.stream_type, se.stream_id, se.version, se.attempts,
       se.last_error, se.parked_at
FROM data.subscription_events AS se
WHERE se.parked_at IS NOT NULL;

COMMENT ON VIEW api.parked_events IS 'Events that failed max_attempts deliveries, with their last error: each holds back the later
events of its stream in its subscription. api.replay_parked delivers one again,
api.skip_parked steps past it.';
GRANT SELECT ON TABLE api.parked_events TO eventstore_admin;
CREATE OR REPLACE VIEW api.projection_status AS
SELECT s.projection_name, s.status, s.last_event_id, s.last_processed, s.events_applied,
       s.events_behind, s.events_held_back, s.oldest_xact_pid, s.oldest_xact_database,
       s.oldest_xact_user, s.oldest_xact_age, s.oldest_xact_query, s.error_message,
       s.failed_event_id, s.failed_at, s.events_behind_exact, s.horizon_fallback,
       s.version_of, s.version, s.live, s.events_behind_live, s.ready_to_promote
FROM private.projection_status() AS s;

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
COMMENT ON COLUMN api.projection_status.events_behind_exact IS 'false: more than 10,000 events behind; events_behind is then an estimate from log positions (README: Operating it)';
COMMENT ON COLUMN api.projection_status.horizon_fallback IS 'NULL, or why whole-log readers run on the conservative horizon (it waits for the oldest transaction of the cluster, oldest_xact_*)';
COMMENT ON COLUMN api.projection_status.version_of IS 'The projection this row is a version of';
COMMENT ON COLUMN api.projection_status.live IS 'The version readers see (api.projection_live_version)';
COMMENT ON COLUMN api.projection_status.events_behind_live IS 'Events the live version has applied and this version not yet (0 for the live one)';
COMMENT ON COLUMN api.projection_status.ready_to_promote IS 'Not live, running, and within eventstore.promotion_max_lag events of the live version: api.promote_projection will take it (NULL when that setting is not a count)';
GRANT SELECT ON TABLE api.projection_status TO eventstore_reader;
CREATE OR REPLACE VIEW api.subscription_status AS
SELECT s.subscription_name, s.consumers, s.events_behind, s.events_behind_exact, s.in_flight, s.waiting,
       s.parked, s.oldest_in_flight_age, s.last_claim_at, s.events_held_back, s.oldest_xact_pid,
       s.oldest_xact_database, s.oldest_xact_user, s.oldest_xact_age, s.oldest_xact_query,
       s.stream_types, s.event_types, s.max_attempts, s.lease, s.horizon_fallback
FROM private.subscription_status() AS s;

COMMENT ON VIEW api.subscription_status IS 'Per subscription: its members (consumers that claimed within one lease or hold a lease),
events not yet acknowledged and not in flight or parked (events_behind: exact up to 10,000,
estimated beyond, see events_behind_exact), in flight, waiting behind their stream, parked, the
age of the oldest lease, and the appending transaction holding the read horizon (pid NULL for
a prepared transaction; its query for those who may see it).';
COMMENT ON COLUMN api.subscription_status.events_behind IS 'Committed matching events not yet in flight, acknowledged or parked: exact up to 10,000, estimated beyond';
COMMENT ON COLUMN api.subscription_status.waiting IS 'Taken-in events waiting behind an event of their stream in flight or parked (counted up to 30,000 rows taken in)';
COMMENT ON COLUMN api.subscription_status.horizon_fallback IS 'NULL, or why whole-log readers run on the conservative horizon (it waits for the oldest transaction of the cluster, oldest_xact_*)';
GRANT SELECT ON TABLE api.subscription_status TO eventstore_admin;
COMMIT;
