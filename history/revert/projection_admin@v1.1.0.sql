-- Revert eventstore:projection_admin from pg

BEGIN;

DROP FUNCTION api.reset_projection(text);
DROP PROCEDURE api.rebuild_projection(text);
DROP FUNCTION private.reset_projection_state(text, text);
DROP FUNCTION api.resume_projection(text, boolean);
DROP FUNCTION api.pause_projection(text);
DROP FUNCTION api.register_projection(text, regprocedure, regprocedure, text[], text[], integer);
REVOKE USAGE ON SCHEMA data FROM eventstore_admin;

COMMIT;
