-- Verify eventstore:event_schemas on pg

BEGIN;

DO $$
BEGIN
    IF NOT (private.json_schema_error('{"type": "object", "required": ["a"]}', '{"a": 1}') IS NULL) THEN
        RAISE EXCEPTION 'expected: a match';
    END IF;
    IF NOT (private.json_schema_error('{"type": "object", "required": ["a"]}', '{}')
           = 'at $: required property a is missing') THEN
        RAISE EXCEPTION 'expected: a mismatch, with its path';
    END IF;
    IF NOT (private.json_schema_problem('{"oneOf": []}') = 'at $: unsupported keyword oneOf') THEN
        RAISE EXCEPTION 'expected: unsupported keywords';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('eventstore_admin', 'api.register_event_schema(text, integer, jsonb)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'expected: admins register schemas';
    END IF;
END
$$;

ROLLBACK;
