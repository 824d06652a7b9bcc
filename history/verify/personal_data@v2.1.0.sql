-- Verify eventstore:personal_data on pg

BEGIN;

SELECT event_type, subject_path, fields, registered_by, registered_at FROM data.personal_data WHERE false;
SELECT key_id, subject_id, key, created_at FROM data.subject_keys WHERE false;
SELECT key_id, stream_type, stream_id FROM data.subject_streams WHERE false;
SELECT key_id, forgotten_by, forgotten_at, streams, snapshots_removed FROM data.forgotten_subjects WHERE false;
SELECT 'private.seal_value(jsonb, bytea)'::pg_catalog.regprocedure,
       'private.open_value(text, bytea)'::pg_catalog.regprocedure,
       'private.subject_key(text)'::pg_catalog.regprocedure,
       'private.reveal_personal_data(jsonb)'::pg_catalog.regprocedure,
       'private.seal_personal_data(text, jsonb, text, uuid)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_admin', 'api.register_personal_data(text, text, text[])', 'EXECUTE')
       OR NOT pg_catalog.has_function_privilege('eventstore_admin', 'api.forget_subject(text)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_writer', 'api.forget_subject(text)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_writer', 'api.register_personal_data(text, text, text[])', 'EXECUTE') THEN
        RAISE EXCEPTION 'admins, not writers, must register personal data and forget subjects';
    END IF;
    IF pg_catalog.has_table_privilege('eventstore_admin', 'data.subject_keys', 'SELECT')
       OR pg_catalog.has_function_privilege('public', 'private.open_value(text, bytea)', 'EXECUTE') THEN
        RAISE EXCEPTION 'the keys must be readable by the bundle''s owner only';
    END IF;
END
$$;

ROLLBACK;
