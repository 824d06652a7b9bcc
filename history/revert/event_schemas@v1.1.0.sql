-- Revert eventstore:event_schemas from pg

BEGIN;

DROP FUNCTION api.register_event_schema(text, integer, jsonb);
DROP FUNCTION private.check_event_schema(text, integer, jsonb, bigint);
DROP FUNCTION private.json_schema_error(jsonb, jsonb, text);
DROP FUNCTION private.json_schema_problem(jsonb, text);
DROP FUNCTION private.regex_problem(text);
DROP FUNCTION private.json_path_member(text, text);

COMMIT;
