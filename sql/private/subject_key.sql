-- The key of a subject, made on its first event (and again after it was forgotten: events
-- appended after api.forget_subject are readable, with a new key).

CREATE OR REPLACE FUNCTION private.subject_key(in_subject_id text, OUT key_id uuid, OUT key bytea)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT k.key_id, k.key INTO key_id, key FROM data.subject_keys AS k WHERE k.subject_id = in_subject_id;
    IF FOUND THEN
        RETURN;
    END IF;
    INSERT INTO data.subject_keys (subject_id, key) VALUES (in_subject_id, private.new_subject_key())
    ON CONFLICT (subject_id) DO NOTHING
    RETURNING subject_keys.key_id, subject_keys.key INTO key_id, key;
    IF key_id IS NULL THEN  -- made meanwhile by a concurrent append (committed: the insert waited for it)
        SELECT k.key_id, k.key INTO STRICT key_id, key FROM data.subject_keys AS k WHERE k.subject_id = in_subject_id;
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION private.subject_key(in_subject_id text, OUT key_id uuid, OUT key bytea) FROM PUBLIC;
