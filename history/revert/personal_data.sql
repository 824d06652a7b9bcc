-- Revert eventstore:personal_data from pg
-- Back to personal_data@v2.1.0: its sealing, opening and forgetting; the erasure's transaction
-- id goes; streams of destroyed keys are no longer listed (as v2.1.0 kept it).

BEGIN;

SET LOCAL lock_timeout = '10s';

DROP FUNCTION private.open_sealed(jsonb);

-- What api.append_events stores as an event's event_data while some event type has personal
-- data (the append calls it only then: a store that registers nothing pays one EXISTS per
-- append): as written, unless its type has personal data; then the marked fields are sealed
-- with the subject's key. An event that carries personal data (a marked field, not null) must
-- carry its subject id (a string or number at the registered path, 1 to 200 characters): ZE002
-- otherwise, and the append writes nothing.
CREATE OR REPLACE FUNCTION private.seal_personal_data(
    in_event_type text,
    in_event_data jsonb,
    in_stream_type text,
    in_stream_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_registration data.personal_data;
    l_subject jsonb;
    l_key record;
    l_data jsonb := in_event_data;
    l_field text;
BEGIN
    SELECT * INTO l_registration FROM data.personal_data AS p WHERE p.event_type = in_event_type;
    IF NOT FOUND THEN
        RETURN in_event_data;
    END IF;
    FOREACH l_field IN ARRAY l_registration.fields LOOP
        CONTINUE WHEN COALESCE(pg_catalog.jsonb_typeof(l_data -> l_field), 'null') = 'null';  -- missing or null
        IF l_key IS NULL THEN  -- the first field to seal: the subject and its key
            l_subject := pg_catalog.jsonb_path_query_first(in_event_data, l_registration.subject_path);
            IF pg_catalog.jsonb_typeof(l_subject) IS DISTINCT FROM 'string' AND pg_catalog.jsonb_typeof(l_subject) IS DISTINCT FROM 'number'
               OR l_subject #>> '{}' = '' OR pg_catalog.char_length(l_subject #>> '{}') > 200 THEN
                RAISE EXCEPTION 'an event of type % holds personal data but no subject id at %: a string or number of 1 to 200 characters',
                        in_event_type, l_registration.subject_path
                    USING ERRCODE = 'ZE002',
                          HINT = 'Put the data subject''s id where api.register_personal_data said it is.';
            END IF;
            l_key := private.subject_key(l_subject #>> '{}');
        END IF;
        l_data := pg_catalog.jsonb_set(l_data, ARRAY[l_field], pg_catalog.jsonb_build_object('$es_sealed',
                      pg_catalog.jsonb_build_object('key', l_key.key_id,
                                                    'data', private.seal_value(l_data -> l_field, l_key.key))));
    END LOOP;
    IF l_key IS NOT NULL THEN
        INSERT INTO data.subject_streams (key_id, stream_type, stream_id)
        VALUES (l_key.key_id, in_stream_type, in_stream_id)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN l_data;
END;
$$;

COMMENT ON FUNCTION private.seal_personal_data(text, jsonb, text, uuid) IS
    'An event payload as stored: its personal data fields sealed with its subject''s key (ZE002 without a subject id)';

-- A payload with its sealed fields opened: the plaintext while the key exists, JSON null
-- once it is gone. Never raises: a sealed-looking value that does not open (a writer may put
-- one in any field) reads as null, and no reader, projection or subscription stops on it.
CREATE OR REPLACE FUNCTION private.reveal_personal_data(in_event_data jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_data jsonb := in_event_data;
    l_field record;
    l_value jsonb;
BEGIN
    FOR l_field IN
        SELECT f.key, f.value -> '$es_sealed' AS sealed
        FROM pg_catalog.jsonb_each(in_event_data) AS f
        WHERE pg_catalog.jsonb_typeof(f.value) = 'object' AND f.value ? '$es_sealed'
    LOOP
        BEGIN
            SELECT private.open_value(l_field.sealed ->> 'data', k.key) INTO l_value
            FROM data.subject_keys AS k
            WHERE k.key_id = (l_field.sealed ->> 'key')::uuid;
        EXCEPTION
            WHEN OTHERS THEN
                l_value := NULL;
        END;
        l_data := pg_catalog.jsonb_set(l_data, ARRAY[l_field.key], COALESCE(l_value, 'null'::jsonb));
    END LOOP;
    RETURN l_data;
END;
$$;

COMMENT ON FUNCTION private.reveal_personal_data(jsonb) IS
    'An event payload with its sealed personal data opened (JSON null where the subject was forgotten)';

CREATE OR REPLACE FUNCTION api.forget_subject(in_subject_id text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_key_id uuid;
    l_streams jsonb;
    l_snapshots integer;
    l_version integer;
BEGIN
    IF in_subject_id IS NULL OR in_subject_id = '' OR pg_catalog.char_length(in_subject_id) > 200 THEN
        RAISE EXCEPTION 'in_subject_id must be a text of 1 to 200 characters' USING ERRCODE = 'ZE003';
    END IF;
    SELECT k.key_id INTO l_key_id FROM data.subject_keys AS k WHERE k.subject_id = in_subject_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;  -- no key: nothing of this subject is readable (never known, or forgotten already)
    END IF;

    SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('stream_type', s.stream_type, 'stream_id', s.stream_id)
                                         ORDER BY s.stream_type, s.stream_id), '[]')
    INTO l_streams
    FROM data.subject_streams AS s WHERE s.key_id = l_key_id;

    DELETE FROM data.snapshots AS n
    USING data.subject_streams AS s
    WHERE s.key_id = l_key_id AND n.stream_type = s.stream_type AND n.stream_id = s.stream_id;
    GET DIAGNOSTICS l_snapshots = ROW_COUNT;

    DELETE FROM data.subject_keys AS k WHERE k.key_id = l_key_id;
    DELETE FROM data.subject_streams AS s WHERE s.key_id = l_key_id;
    INSERT INTO data.forgotten_subjects (key_id, forgotten_by, streams, snapshots_removed)
    VALUES (l_key_id, private.calling_role(), pg_catalog.jsonb_array_length(l_streams), l_snapshots);

    -- Tell read models and consumers: stream $subject/<key id>, in the log like any event.
    CALL api.append_events('$subject', l_key_id, 0,
        pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'event_type', '$SubjectForgotten',
            'event_data', pg_catalog.jsonb_build_object('subject_id', in_subject_id, 'streams', l_streams))),
        l_version);
    RETURN true;
END;
$$;

COMMENT ON FUNCTION api.forget_subject(text) IS
$$Destroys the key of a data subject: every reader then sees its personal data fields as JSON
null. Removes the snapshots of its streams, appends $SubjectForgotten (stream type $subject,
event_data {subject_id, streams}) for read models and consumers, records who and when in
data.forgotten_subjects. Returns false when the subject has no key (unknown, or forgotten
already). Errors: ZE003 bad argument.$$;

DELETE FROM data.subject_streams AS s
WHERE NOT EXISTS (SELECT FROM data.subject_keys AS k WHERE k.key_id = s.key_id);

COMMENT ON TABLE data.subject_streams IS
    'The streams holding events encrypted with a key: their snapshots go when the key does';
ALTER TABLE data.forgotten_subjects DROP COLUMN forgotten_xid;

COMMIT;
