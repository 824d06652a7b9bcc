-- Deploy eventstore:event_registry to pg
-- requires: schemas
-- Event versioning: JSON schemas per (event type, version), upcasters per (event type, from
-- version), and the current version of each type they imply. Events are written at the
-- current version of their type unless their metadata.version says otherwise, validated
-- against the schema of that version, and read upcast to the current version.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Event type registry
CREATE TABLE data.event_schemas (
    event_type      text NOT NULL,
    version         integer NOT NULL CHECK (version > 0),
    schema          jsonb NOT NULL,  -- JSON Schema (the subset of private.json_schema_error)
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),

    PRIMARY KEY (event_type, version)
);

COMMENT ON TABLE data.event_schemas IS 'JSON schema of each version of an event type''s payload';

CREATE TABLE data.event_upcasters (
    event_type    text NOT NULL,
    from_version  integer NOT NULL CHECK (from_version > 0),
    -- FUNCTION (in_event_data jsonb) RETURNS jsonb: the payload of from_version + 1
    upcaster      regprocedure NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),

    PRIMARY KEY (event_type, from_version)
);

COMMENT ON TABLE data.event_upcasters IS 'Steps of each event type''s upcaster chain: from_version -> from_version + 1';

CREATE TABLE data.event_types (
    event_type      text PRIMARY KEY CHECK (event_type <> ''),
    current_version integer NOT NULL CHECK (current_version > 0)
);

COMMENT ON TABLE data.event_types IS
    'Current payload version per versioned event type (its highest schema version or the end of its upcaster chain)';

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

REVOKE ALL ON FUNCTION private.refresh_event_type(text) FROM PUBLIC;

COMMIT;
