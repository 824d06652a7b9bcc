-- Revert eventstore:get_stream_version from pg

BEGIN;

DROP FUNCTION api.get_stream_version(text, uuid);

COMMIT;
