-- Revert eventstore:event_schemas from pg (to its v1.5.0 version)
-- This version only added a requirement; its objects are those of v1.5.0: nothing to undo.

BEGIN;
SELECT 1;
COMMIT;
