-- Verify eventstore:event_schemas on pg

BEGIN;

DO $$
BEGIN
    ASSERT private.json_schema_error('{"type": "object", "required": ["a"]}', '{"a": 1}') IS NULL, 'a match';
    ASSERT private.json_schema_error('{"type": "object", "required": ["a"]}', '{}')
           = 'at $: required property a is missing', 'a mismatch, with its path';
    ASSERT private.json_schema_problem('{"oneOf": []}') = 'at $: unsupported keyword oneOf', 'unsupported keywords';
    ASSERT pg_catalog.has_function_privilege('eventstore_admin', 'api.register_event_schema(text, integer, jsonb)', 'EXECUTE'),
        'admins register schemas';
END
$$;

-- Since v1.1.0 (the reworked change): patterns with back-references must be refused.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('private.regex_problem(text)'::pg_catalog.regprocedure), 'back-references') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked event_schemas: patterns with back-references must be refused';
    END IF;
END
$$;

ROLLBACK;
