-- Deploy eventstore:event_schemas to pg
-- requires: event_registry
-- requires: roles
-- Validation of event payloads against registered JSON schemas, on append. The supported
-- subset of JSON Schema (anything else is refused at registration, not silently ignored):
--   type (object, array, string, number, integer, boolean, null, or an array of them),
--   enum, const, required, properties, additionalProperties (boolean or schema), items
--   (one schema for every element), minimum, maximum, minLength, maxLength, minItems,
--   maxItems, pattern (a POSIX regular expression, as PostgreSQL's ~), and boolean schemas.
--   Annotations $schema, $id, $comment, title, description, default, examples are ignored.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

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

-- NULL if in_pattern is a valid regular expression, else the error.
CREATE OR REPLACE FUNCTION private.regex_problem(in_pattern text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM '' ~ in_pattern;
    RETURN NULL;
EXCEPTION WHEN invalid_regular_expression THEN
    RETURN 'pattern is not a valid regular expression: ' || SQLERRM;
END;
$$;

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
                          AND (l_value #>> '{}')::numeric = pg_catalog.trunc((l_value #>> '{}')::numeric) THEN NULL
                     ELSE l_key || ' must be a non-negative integer' END
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

COMMENT ON FUNCTION private.json_schema_error(jsonb, jsonb, text) IS
    'NULL when the value matches the schema (the supported JSON Schema subset), else the first mismatch and its path';

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

CREATE OR REPLACE FUNCTION api.register_event_schema(in_event_type text, in_version integer, in_schema jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_problem text;
BEGIN
    IF in_event_type IS NULL OR in_event_type = '' THEN
        RAISE EXCEPTION 'in_event_type must be a non-empty text' USING ERRCODE = 'ZE003';
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
END;
$$;

COMMENT ON FUNCTION api.register_event_schema(text, integer, jsonb) IS
$$Registers (or replaces) the JSON schema of a version of an event type. Appends of that type
are then validated: events are written at the type's latest version unless metadata.version
says otherwise, and refused (ZE006) when their event_data does not match. Types without a
schema are not checked. Errors: ZE003 bad argument, ZE010 a schema outside the supported subset.$$;

REVOKE ALL ON FUNCTION private.json_path_member(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.json_schema_problem(jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.regex_problem(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.json_schema_error(jsonb, jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.check_event_schema(text, integer, jsonb, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.register_event_schema(text, integer, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_event_schema(text, integer, jsonb) TO eventstore_admin;

COMMIT;
