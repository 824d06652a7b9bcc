-- Verify eventstore:get_all_events on pg

BEGIN;

SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at
FROM api.get_all_events(NULL, 1)
WHERE false;

DO $$
BEGIN
    ASSERT pg_catalog.has_function_privilege('eventstore_reader', 'api.get_all_events(uuid, integer)', 'EXECUTE'),
        'readers read the log';
    ASSERT NOT pg_catalog.has_function_privilege('public', 'api.get_all_events(uuid, integer)', 'EXECUTE'),
        'PUBLIC does not';
END
$$;

-- Since v1.2.0 (the reworked change): readers wait only for appenders.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.get_all_events(uuid, integer)'::pg_catalog.regprocedure), 'read_horizon') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked get_all_events: the read horizon must wait only for appenders';
    END IF;
END
$$;

ROLLBACK;
