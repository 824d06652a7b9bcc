-- Verify eventstore:events_upcast on pg

BEGIN;

SELECT id, stream_type, stream_id, version, event_type, event_data, metadata, created_at,
       global_position, transaction_id, generation, schema_version
FROM private.events_as_read WHERE false;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS d
                   JOIN pg_catalog.pg_rewrite AS r ON r.oid = d.objid
                   WHERE r.ev_class = 'private.events_as_read'::pg_catalog.regclass
                     AND d.refobjid = 'private.reveal_personal_data(jsonb)'::pg_catalog.regprocedure) THEN
        RAISE EXCEPTION 'private.events_as_read must open personal data (private.reveal_personal_data)';
    END IF;
END
$$;

ROLLBACK;
