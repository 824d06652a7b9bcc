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
