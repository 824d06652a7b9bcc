-- Verify eventstore:append_events_idempotent on pg

BEGIN;

DO $$
DECLARE
    l_stream uuid := private.uuidv7();
    l_key uuid := private.uuidv7();
    l_first integer;
    l_second integer;
BEGIN
    ASSERT pg_catalog.has_function_privilege('eventstore_writer',
        'api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer)', 'EXECUTE'),
        'writers append idempotently';
    CALL api.append_events_idempotent('VerifyStream', l_stream, 0,
        '[{"event_type": "Verified", "event_data": {}}]', l_key, l_first);
    CALL api.append_events_idempotent('VerifyStream', l_stream, 0,
        '[{"event_type": "Verified", "event_data": {}}]', l_key, l_second);
    ASSERT l_first = 1 AND l_second = 1, 'a retry reports the first version';
    ASSERT (SELECT count(*) FROM data.events AS e
            WHERE e.stream_type = 'VerifyStream' AND e.stream_id = l_stream) = 1,
        'and appends nothing';
END
$$;

-- Since v1.1.0 (the reworked change): idempotent appends must queue on the stream before claiming their key.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer)'::pg_catalog.regprocedure), 'pg_advisory_xact_lock') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked append_events_idempotent: idempotent appends must queue on the stream before claiming their key';
    END IF;
END
$$;

-- Since v1.2.0 (the reworked change): readers wait only for appenders.
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('api.append_events_idempotent(text, uuid, integer, jsonb, uuid, integer)'::pg_catalog.regprocedure), 'eventstore.idempotency_key') = 0 THEN
        RAISE EXCEPTION 'this is not the reworked append_events_idempotent: the read horizon must wait only for appenders';
    END IF;
END
$$;

ROLLBACK;
