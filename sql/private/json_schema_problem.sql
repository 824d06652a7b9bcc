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
