-- Deploy eventstore:event_upcasters to pg
-- requires: event_registry
-- requires: events
-- requires: roles
-- Upcasting on read: every reader sees an event's payload at the current version of its
-- type, through the chain of registered upcasters. Stored events are never rewritten.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

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
        SELECT u.upcaster INTO l_upcaster FROM data.event_upcasters AS u
        WHERE u.event_type = in_event_type AND u.from_version = l_version;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no upcaster for % from version % to %', in_event_type, l_version, l_version + 1
                USING ERRCODE = 'ZE010';
        END IF;
        EXECUTE pg_catalog.format('SELECT %s($1)', l_upcaster::oid::regproc) INTO l_data USING l_data;
    END LOOP;
    RETURN l_data;
END;
$$;

COMMENT ON FUNCTION private.upcast_event(text, jsonb, integer, integer) IS
    'An event payload of in_from_version as of in_to_version, through the registered upcasters';

-- The log as readers see it: payloads upcast to the current version of their type.
CREATE OR REPLACE VIEW private.events_upcast AS
SELECT e.id, e.stream_type, e.stream_id, e.version, e.event_type,
       CASE WHEN e.schema_version < t.current_version
            THEN private.upcast_event(e.event_type, e.event_data, e.schema_version, t.current_version)
            ELSE e.event_data END AS event_data,
       CASE WHEN e.schema_version < t.current_version AND e.metadata ? 'version'
            THEN e.metadata || pg_catalog.jsonb_build_object('version', t.current_version)
            ELSE e.metadata END AS metadata,
       e.created_at, e.global_position, e.transaction_id, e.generation,
       GREATEST(e.schema_version, t.current_version) AS schema_version
FROM data.events AS e
LEFT JOIN data.event_types AS t ON t.event_type = e.event_type;

COMMENT ON VIEW private.events_upcast IS
    'data.events with each payload upcast to the current version of its type (what every reader reads)';

CREATE OR REPLACE FUNCTION api.register_upcaster(in_event_type text, in_from_version integer, in_upcaster regprocedure)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_low integer;
    l_high integer;
BEGIN
    IF in_event_type IS NULL OR in_event_type = '' THEN
        RAISE EXCEPTION 'in_event_type must be a non-empty text' USING ERRCODE = 'ZE003';
    END IF;
    IF in_from_version IS NULL OR in_from_version < 1 THEN
        RAISE EXCEPTION 'in_from_version must be a positive integer, got %', COALESCE(in_from_version::text, 'NULL')
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

    INSERT INTO data.event_upcasters AS u (event_type, from_version, upcaster)
    VALUES (in_event_type, in_from_version, in_upcaster)
    ON CONFLICT (event_type, from_version) DO UPDATE SET upcaster = excluded.upcaster, registered_at = pg_catalog.now();
    PERFORM private.refresh_event_type(in_event_type);
END;
$$;

COMMENT ON FUNCTION api.register_upcaster(text, integer, regprocedure) IS
$$Registers the step of an event type's payload from in_from_version to in_from_version + 1:
in_upcaster(event_data jsonb) returns the newer payload. Readers then see every event of the
type at the end of its chain. Errors: ZE003 bad argument, ZE010 wrong signature or a step
that would leave a gap in the chain.$$;

REVOKE ALL ON FUNCTION private.upcast_event(text, jsonb, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.register_upcaster(text, integer, regprocedure) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_upcaster(text, integer, regprocedure) TO eventstore_admin;

COMMIT;
