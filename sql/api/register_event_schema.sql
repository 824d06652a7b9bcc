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
REVOKE ALL ON FUNCTION api.register_event_schema(in_event_type text, in_version integer, in_schema jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_event_schema(in_event_type text, in_version integer, in_schema jsonb) TO eventstore_admin;
