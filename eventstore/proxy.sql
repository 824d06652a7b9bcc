-- The endpoint of a sharded event store (docs/sharding.md): the api of one store, each call
-- routed by PL/Proxy to the shard that holds its stream, or run on every shard. Deployed by
-- python -m eventstore proxy deploy (eventstore/proxy.py), after the group roles, the plproxy
-- extension, the cluster (server eventstore, one partition per shard, in order) and its user
-- mapping, in one transaction.
--
-- Every function here runs as its caller (none is SECURITY DEFINER): PL/Proxy connects to the
-- shard as the calling role, so the shard checks the same rights it checks for a direct call,
-- and the grants below only mirror them (tests/test_sharding.py compares them).
--
-- The shard key is the stream id: hashtext(stream id) & (shards - 1), PL/Proxy's partition.

CREATE SCHEMA api;
COMMENT ON SCHEMA api IS 'The event store''s api on a sharded store''s endpoint: the calls of one stream routed to its shard, registries on every shard, the log read shard by shard (docs/sharding.md)';
-- Calls run on every shard, for api's calls that say what they add up to.
CREATE SCHEMA shards;
COMMENT ON SCHEMA shards IS 'PL/Proxy calls run on every shard of a sharded store''s endpoint, for the api calls that wrap them';
GRANT USAGE ON SCHEMA api, shards TO eventstore_reader;
-- Functions are executable by PUBLIC when created: none of these (see the end).

SET LOCAL search_path = pg_catalog;

-- -- the shards -------------------------------------------------------------------------------

CREATE FUNCTION api.shard_count()
RETURNS integer
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.count(*)::integer
    FROM pg_catalog.pg_foreign_server AS s, pg_catalog.unnest(s.srvoptions) AS o(option)
    WHERE s.srvname = 'eventstore' AND o.option ~ '^p[0-9]+='
$$;
COMMENT ON FUNCTION api.shard_count() IS 'How many shards this endpoint routes to (a power of two)';

CREATE FUNCTION api.shard_of(in_stream_id uuid)
RETURNS integer
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.hashtext(in_stream_id::text) & (api.shard_count() - 1) $$;
COMMENT ON FUNCTION api.shard_of(in_stream_id uuid) IS 'The shard (0 to shard_count() - 1) that holds the streams with this id: the partition PL/Proxy routes their calls to';

GRANT EXECUTE ON FUNCTION api.shard_count(), api.shard_of(uuid) TO eventstore_reader;

-- -- appends: outside a transaction block only --------------------------------------------
-- A routed call commits on its shard by itself (PL/Proxy runs it in autocommit there): a
-- rollback of the caller's transaction on this endpoint could not undo it, and two appends
-- could not commit together. So an append inside a transaction block is refused rather than
-- seem part of it: the endpoint's append procedures begin with COMMIT (of the statement's own
-- empty transaction), which PostgreSQL refuses inside a block with 2D000 (invalid transaction
-- termination), before anything is sent to a shard. (They have no SET clause: a procedure
-- with one cannot COMMIT; every name in them is schema-qualified instead.) Functions cannot
-- tell: delete_stream, the registries and forget_subject commit on their shards even inside a
-- block (docs/sharding.md).

-- -- one stream: routed to its shard ------------------------------------------------------------

CREATE PROCEDURE shards.append_events(
    in_stream_type text,
    in_stream_id uuid,
    in_expected_version integer,
    in_events jsonb,
    INOUT io_new_version integer DEFAULT NULL
)
LANGUAGE plproxy
AS $$
    CLUSTER 'eventstore';
    RUN ON pg_catalog.hashtext(in_stream_id::text);
    TARGET api.call_append_events;
$$;
CREATE PROCEDURE api.append_events(
    in_stream_type text,
    in_stream_id uuid,
    in_expected_version integer,
    in_events jsonb,
    INOUT io_new_version integer DEFAULT NULL
)
LANGUAGE plpgsql
AS $$
BEGIN
    COMMIT;  -- 2D000 inside a transaction block: see above
    CALL shards.append_events(in_stream_type, in_stream_id, in_expected_version, in_events, io_new_version);
END;
$$;
COMMENT ON PROCEDURE api.append_events(text, uuid, integer, jsonb, integer) IS 'api.append_events on the stream''s shard, which commits it by itself. Errors: those of api.append_events, 2D000 inside a transaction block';
GRANT EXECUTE ON PROCEDURE shards.append_events(text, uuid, integer, jsonb, integer),
    api.append_events(text, uuid, integer, jsonb, integer) TO eventstore_writer;

CREATE PROCEDURE shards.append_events_idempotent(
    in_stream_type text,
    in_stream_id uuid,
    in_expected_version integer,
    in_events jsonb,
    in_idempotency_key uuid,
    INOUT io_new_version integer DEFAULT NULL
)
LANGUAGE plproxy
AS $$
    CLUSTER 'eventstore';
    RUN ON pg_catalog.hashtext(in_stream_id::text);
    TARGET api.call_append_events_idempotent;
$$;
CREATE PROCEDURE api.append_events_idempotent(
    in_stream_type text,
    in_stream_id uuid,
    in_expected_version integer,
    in_events jsonb,
    in_idempotency_key uuid,
    INOUT io_new_version integer DEFAULT NULL
)
LANGUAGE plpgsql
AS $$
BEGIN
    COMMIT;  -- 2D000 inside a transaction block: see above
    CALL shards.append_events_idempotent(in_stream_type, in_stream_id, in_expected_version, in_events,
                                         in_idempotency_key, io_new_version);
END;
$$;
COMMENT ON PROCEDURE api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer) IS 'api.append_events_idempotent on the stream''s shard: an idempotency key is kept by the shard of its stream (a key used for another stream is refused only if that stream is on the same shard). Errors: those of api.append_events_idempotent, 2D000 inside a transaction block';
GRANT EXECUTE ON PROCEDURE shards.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer),
    api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer) TO eventstore_writer;

CREATE FUNCTION api.get_events(
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
LANGUAGE plproxy
AS $$
    CLUSTER 'eventstore';
    RUN ON pg_catalog.hashtext(in_stream_id::text);
$$;
COMMENT ON FUNCTION api.get_events(text, uuid, integer, integer) IS 'api.get_events on the stream''s shard';
GRANT EXECUTE ON FUNCTION api.get_events(text, uuid, integer, integer) TO eventstore_reader;

CREATE FUNCTION api.get_stream_version(in_stream_type text, in_stream_id uuid)
RETURNS integer
LANGUAGE plproxy
AS $$
    CLUSTER 'eventstore';
    RUN ON pg_catalog.hashtext(in_stream_id::text);
$$;
COMMENT ON FUNCTION api.get_stream_version(text, uuid) IS 'api.get_stream_version on the stream''s shard';
GRANT EXECUTE ON FUNCTION api.get_stream_version(text, uuid) TO eventstore_reader;

CREATE FUNCTION api.load_aggregate(
    in_stream_type text,
    in_stream_id uuid,
    in_as_of_version integer DEFAULT NULL,
    in_as_of timestamptz DEFAULT NULL)
RETURNS TABLE (state jsonb, version integer)
LANGUAGE plproxy
AS $$
    CLUSTER 'eventstore';
    RUN ON pg_catalog.hashtext(in_stream_id::text);
$$;
COMMENT ON FUNCTION api.load_aggregate(text, uuid, integer, timestamptz) IS 'api.load_aggregate on the stream''s shard (with the reducer registered there: registries are on every shard)';
GRANT EXECUTE ON FUNCTION api.load_aggregate(text, uuid, integer, timestamptz) TO eventstore_reader;

CREATE FUNCTION shards.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer)
RETURNS integer
LANGUAGE plproxy
AS $$
    CLUSTER 'eventstore';
    RUN ON pg_catalog.hashtext(in_stream_id::text);
    TARGET api.delete_stream;
$$;
CREATE FUNCTION api.delete_stream(in_stream_type text, in_stream_id uuid, in_expected_version integer)
RETURNS integer
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT shards.delete_stream(in_stream_type, in_stream_id, in_expected_version) $$;
COMMENT ON FUNCTION api.delete_stream(text, uuid, integer) IS 'api.delete_stream on the stream''s shard, which commits it by itself (inside a caller''s transaction too)';
GRANT EXECUTE ON FUNCTION shards.delete_stream(text, uuid, integer), api.delete_stream(text, uuid, integer) TO eventstore_writer;

-- -- every shard --------------------------------------------------------------------------------

CREATE FUNCTION api.get_events_by_correlation(in_correlation_id text)
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
LANGUAGE plproxy
AS $$
    CLUSTER 'eventstore';
    RUN ON ALL;
$$;
COMMENT ON FUNCTION api.get_events_by_correlation(text) IS 'api.get_events_by_correlation on every shard: each shard''s events in its order, the shards one after the other (no order across shards)';
GRANT EXECUTE ON FUNCTION api.get_events_by_correlation(text) TO eventstore_reader;

CREATE FUNCTION shards.read_log_split(
    in_shards integer[],
    in_after numeric[],
    in_shard_count integer,
    in_limit integer,
    in_stream_types text[],
    in_event_types text[]
)
RETURNS TABLE (
    shard integer,
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
LANGUAGE plproxy
AS $$
    CLUSTER 'eventstore';
    SPLIT in_shards, in_after;
    RUN ON in_shards;
    TARGET api.read_log_split;
$$;
COMMENT ON FUNCTION shards.read_log_split(integer[], numeric[], integer, integer, text[], text[]) IS 'api.read_log_split on each shard named in in_shards, with its element of in_after';
GRANT EXECUTE ON FUNCTION shards.read_log_split(integer[], numeric[], integer, integer, text[], text[]) TO eventstore_reader;

CREATE FUNCTION api.read_log_shards(
    in_after numeric[] DEFAULT NULL,
    in_limit integer DEFAULT 1000,
    in_stream_types text[] DEFAULT NULL,
    in_event_types text[] DEFAULT NULL
)
RETURNS TABLE (
    shard integer,
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
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_shards integer := api.shard_count();
    l_after numeric[] := COALESCE(in_after, pg_catalog.array_fill(NULL::numeric, ARRAY[l_shards]));
    l_given integer := pg_catalog.cardinality(l_after);
BEGIN
    -- A cursor of fewer shards (a power of two that divides their number) is from before a
    -- reshard: shard i was copied from shard i mod (its length), so that shard's position is
    -- shard i's too.
    IF pg_catalog.array_ndims(l_after) IS DISTINCT FROM 1 OR pg_catalog.array_lower(l_after, 1) <> 1
       OR l_given > l_shards OR l_given & (l_given - 1) <> 0 THEN
        RAISE EXCEPTION 'in_after must hold one log number (or NULL) per shard, % of them (or a cursor from before a reshard), got %',
                l_shards, in_after
            USING ERRCODE = 'ZE003';
    END IF;
    IF l_given < l_shards THEN
        l_after := ARRAY(SELECT l_after[s % l_given + 1] FROM pg_catalog.generate_series(0, l_shards - 1) AS s);
    END IF;
    RETURN QUERY
        SELECT r.shard, r.log_number, r.id, r.stream_type, r.stream_id, r.version, r.event_type,
               r.event_data, r.metadata, r.created_at
        FROM shards.read_log_split(ARRAY(SELECT pg_catalog.generate_series(0, l_shards - 1)), l_after, l_shards,
                                   in_limit, in_stream_types, in_event_types) AS r;
END;
$$;
COMMENT ON FUNCTION api.read_log_shards(numeric[], integer, text[], text[]) IS 'The whole log of a sharded store: each shard''s api.read_log after its element of in_after (element i: shard i''s last log number read, NULL for its start), up to in_limit events a shard, each row with its shard. Gap-free and in log order within a shard; no order holds across shards (each stream is on one shard, so a stream''s events come in order). A cursor from before a reshard (fewer shards) reads on from where it was. Errors: those of api.read_log, ZE003 in_after not one element per shard.';
GRANT EXECUTE ON FUNCTION api.read_log_shards(numeric[], integer, text[], text[]) TO eventstore_reader;

-- Registries: the same on every shard. A call runs on every shard, each shard committing by
-- itself; if one fails, the call raises and the shards before it keep what they registered:
-- make the call again once the cause is fixed (registering what a shard has already is
-- refused by that shard as on one server: see docs/sharding.md).

CREATE FUNCTION shards.register_event_schema(in_event_type text, in_version integer, in_schema jsonb)
RETURNS SETOF void
LANGUAGE plproxy
AS $$ CLUSTER 'eventstore'; RUN ON ALL; TARGET api.register_event_schema; $$;
CREATE FUNCTION api.register_event_schema(in_event_type text, in_version integer, in_schema jsonb)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT FROM shards.register_event_schema(in_event_type, in_version, in_schema) $$;
COMMENT ON FUNCTION api.register_event_schema(text, integer, jsonb) IS 'api.register_event_schema on every shard';

-- An upcaster or a reducer is a function of the shards, not of this endpoint: it is named
-- here as text (a regprocedure would have to resolve here), and resolved on each shard.
CREATE FUNCTION shards.register_upcaster(in_event_type text, in_from_version integer, in_upcaster text)
RETURNS SETOF void
LANGUAGE plproxy
AS $$
    CLUSTER 'eventstore';
    RUN ON ALL;
    SELECT api.register_upcaster(in_event_type, in_from_version, in_upcaster::regprocedure);
$$;
CREATE FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT FROM shards.register_upcaster(in_event_type, in_from_version, in_upcaster) $$;
COMMENT ON FUNCTION api.register_upcaster(text, integer, text) IS 'api.register_upcaster on every shard; in_upcaster names the function as text (it must exist on every shard, as on one server; it need not exist here)';

CREATE FUNCTION shards.register_reducer(in_stream_type text, in_reducer text, in_reducer_version integer,
                                        in_snapshot_interval integer)
RETURNS SETOF void
LANGUAGE plproxy
AS $$
    CLUSTER 'eventstore';
    RUN ON ALL;
    SELECT api.register_reducer(in_stream_type, in_reducer::regprocedure, in_reducer_version, in_snapshot_interval);
$$;
CREATE FUNCTION api.register_reducer(in_stream_type text, in_reducer text, in_reducer_version integer,
                                     in_snapshot_interval integer)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT FROM shards.register_reducer(in_stream_type, in_reducer, in_reducer_version, in_snapshot_interval) $$;
COMMENT ON FUNCTION api.register_reducer(text, text, integer, integer) IS 'api.register_reducer on every shard; in_reducer names the function as text (it must exist on every shard, as on one server; it need not exist here)';

CREATE FUNCTION shards.register_personal_data(in_event_type text, in_subject_path text, in_fields text[])
RETURNS SETOF void
LANGUAGE plproxy
AS $$ CLUSTER 'eventstore'; RUN ON ALL; TARGET api.register_personal_data; $$;
CREATE FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[])
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT FROM shards.register_personal_data(in_event_type, in_subject_path, in_fields) $$;
COMMENT ON FUNCTION api.register_personal_data(text, text, text[]) IS 'api.register_personal_data on every shard';

CREATE FUNCTION shards.forget_subject(in_subject_id text)
RETURNS SETOF boolean
LANGUAGE plproxy
AS $$ CLUSTER 'eventstore'; RUN ON ALL; TARGET api.forget_subject; $$;
CREATE FUNCTION api.forget_subject(in_subject_id text)
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT COALESCE(pg_catalog.bool_or(f), false) FROM shards.forget_subject(in_subject_id) AS f $$;
COMMENT ON FUNCTION api.forget_subject(text) IS 'api.forget_subject on every shard (a subject''s streams may be on any of them): true when a shard held a key of the subject';

GRANT EXECUTE ON FUNCTION shards.register_event_schema(text, integer, jsonb), api.register_event_schema(text, integer, jsonb),
    shards.register_upcaster(text, integer, text), api.register_upcaster(text, integer, text),
    shards.register_reducer(text, text, integer, integer), api.register_reducer(text, text, integer, integer),
    shards.register_personal_data(text, text, text[]), api.register_personal_data(text, text, text[]),
    shards.forget_subject(text), api.forget_subject(text)
    TO eventstore_admin;

REVOKE ALL ON ALL ROUTINES IN SCHEMA api, shards FROM PUBLIC;
