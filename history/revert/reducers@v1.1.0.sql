-- Revert eventstore:reducers from pg

BEGIN;

DROP FUNCTION private.fold_events(regprocedure, jsonb, data.events[]);
DROP FUNCTION api.register_reducer(text, regprocedure, integer, integer);
DROP TABLE data.reducers;

COMMIT;
