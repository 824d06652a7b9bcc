-- Verify eventstore:get_events_by_type on pg

BEGIN;

SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at
FROM api.get_events_by_type(ARRAY['Verified'], NULL, 1)
WHERE false;

DO $$
BEGIN
    ASSERT pg_catalog.has_function_privilege('eventstore_reader', 'api.get_events_by_type(text[], uuid, integer)', 'EXECUTE'),
        'readers read by type';
    ASSERT NOT pg_catalog.has_function_privilege('public', 'api.get_events_by_type(text[], uuid, integer)', 'EXECUTE'),
        'PUBLIC does not';
END
$$;

-- Since v1.1.0 (the reworked change): multi-dimensional in_event_types must be ZE003.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.get_events_by_type(text[], uuid, integer)'::pg_catalog.regprocedure), 'array_ndims') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked get_events_by_type: multi-dimensional in_event_types must be ZE003';
    END IF;
END
$$;

-- Since v1.2.0 (the reworked change): readers wait only for appenders.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.get_events_by_type(text[], uuid, integer)'::pg_catalog.regprocedure), 'read_horizon') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked get_events_by_type: the read horizon must wait only for appenders';
    END IF;
END
$$;

ROLLBACK;
