-- Verify eventstore:append_events on pg

BEGIN;

DO $$
DECLARE
    l_stream uuid := private.uuidv7();
    l_version integer;
BEGIN
    ASSERT (SELECT p.prosecdef FROM pg_catalog.pg_proc AS p
            WHERE p.oid = 'api.append_events(text, uuid, integer, jsonb, integer)'::pg_catalog.regprocedure),
        'append_events is SECURITY DEFINER';
    ASSERT pg_catalog.has_function_privilege('eventstore_writer',
        'api.append_events(text, uuid, integer, jsonb, integer)', 'EXECUTE'), 'writers append';
    ASSERT pg_catalog.strpos(pg_catalog.pg_get_functiondef(
               'api.append_events(text, uuid, integer, jsonb, integer)'::pg_catalog.regprocedure),
               'pg_current_xact_id_if_assigned') > 0,
        'the queueing lock is only taken by a transaction''s first append';
    ASSERT NOT pg_catalog.has_function_privilege('eventstore_reader',
        'api.append_events(text, uuid, integer, jsonb, integer)', 'EXECUTE'), 'readers do not';

    CALL api.append_events('VerifyStream', l_stream, 0,
        '[{"event_type": "Verified", "event_data": {}}, {"event_type": "Verified", "event_data": {}}]', l_version);
    ASSERT l_version = 2, 'a new stream of two events is at version 2';
    ASSERT (SELECT pg_catalog.array_agg(e.version ORDER BY e.version) FROM data.events AS e
            WHERE e.stream_type = 'VerifyStream' AND e.stream_id = l_stream) = ARRAY[1, 2],
        'versions 1 and 2 were written';
END
$$;

-- Since v1.2.0 (the reworked change): readers wait only for appenders.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.append_events(text, uuid, integer, jsonb, integer)'::pg_catalog.regprocedure), 'announced_before_xid') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked append_events: the read horizon must wait only for appenders';
    END IF;
END
$$;

ROLLBACK;
