-- Revert eventstore:personal_data from pg
-- Refused while a subject key exists: the events sealed with it would become unreadable for
-- good. (Forget the subjects, or keep this change.)

BEGIN;

DO $$
BEGIN
    IF EXISTS (SELECT FROM data.subject_keys) THEN
        RAISE EXCEPTION 'data.subject_keys holds keys: reverting personal_data would make their events'' personal data unreadable'
            USING ERRCODE = '55000', HINT = 'Keep this change, or api.forget_subject every subject first.';
    END IF;
END
$$;

DROP FUNCTION api.forget_subject(text);
DROP FUNCTION api.register_personal_data(text, text, text[]);
DROP FUNCTION private.reveal_personal_data(jsonb);
DROP FUNCTION private.seal_personal_data(text, jsonb, text, uuid);
DROP FUNCTION private.subject_key(text);
DROP FUNCTION private.new_subject_key();
DROP FUNCTION private.open_value(text, bytea);
DROP FUNCTION private.seal_value(jsonb, bytea);
DROP TABLE data.forgotten_subjects;
DROP TABLE data.subject_streams;
DROP TABLE data.subject_keys;
DROP TABLE data.personal_data;

COMMIT;
