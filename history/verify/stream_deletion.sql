-- Verify eventstore:stream_deletion on pg

BEGIN;

SELECT deleted_at FROM data.event_streams WHERE false;
SELECT 'private.stream_is_deleted(text, uuid)'::pg_catalog.regprocedure,
       'api.delete_stream(text, uuid, integer)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                   WHERE t.tgrelid = 'data.event_streams'::pg_catalog.regclass AND t.tgname = 'event_streams_refuse_deleted'
                     AND t.tgenabled = 'A') THEN
        RAISE EXCEPTION 'data.event_streams must refuse appends to deleted streams (trigger event_streams_refuse_deleted, ENABLE ALWAYS)';
    END IF;
    IF NOT pg_catalog.has_function_privilege('eventstore_writer', 'api.delete_stream(text, uuid, integer)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_reader', 'api.delete_stream(text, uuid, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'writers, not readers, must delete streams';
    END IF;
END
$$;

ROLLBACK;
