-- What api.append_events stores as an event's event_data while some event type has personal
-- data (the append calls it only then: a store that registers nothing pays one EXISTS per
-- append): as written, unless its type has personal data; then the marked fields are sealed
-- with the subject's key. An event that carries personal data (a marked field, not null) must
-- carry its subject id (a string or number at the registered path, 1 to 200 characters), and
-- no top-level field of it may look sealed already: ZE002 otherwise, and the append writes
-- nothing.

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
    l_sealed jsonb := '{}';
    l_field text;
BEGIN
    SELECT * INTO l_registration FROM data.personal_data AS p WHERE p.event_type = in_event_type;
    IF NOT FOUND THEN
        RETURN in_event_data;
    END IF;
    IF pg_catalog.jsonb_path_exists(in_event_data, '$.* ? (exists (@."$es_sealed"))') THEN
        RAISE EXCEPTION 'an event of type % holds a field that looks sealed already ({"$es_sealed": ...})', in_event_type
            USING ERRCODE = 'ZE002',
                  HINT = 'Only the store seals personal data: append the plaintext.';
    END IF;
    FOREACH l_field IN ARRAY l_registration.fields LOOP
        CONTINUE WHEN COALESCE(pg_catalog.jsonb_typeof(in_event_data -> l_field), 'null') = 'null';  -- missing or null
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
        l_sealed := l_sealed || pg_catalog.jsonb_build_object(l_field, pg_catalog.jsonb_build_object('$es_sealed',
                        pg_catalog.jsonb_build_object('key', l_key.key_id,
                                                      'data', private.seal_value(in_event_data -> l_field, l_key.key))));
    END LOOP;
    IF l_key IS NULL THEN
        RETURN in_event_data;
    END IF;
    INSERT INTO data.subject_streams (key_id, stream_type, stream_id)
    VALUES (l_key.key_id, in_stream_type, in_stream_id)
    ON CONFLICT DO NOTHING;
    RETURN in_event_data || l_sealed;  -- the sealed fields replace their plaintext
END;
$$;

COMMENT ON FUNCTION private.seal_personal_data(in_event_type text, in_event_data jsonb, in_stream_type text, in_stream_id uuid) IS 'An event payload as stored: its personal data fields sealed with its subject''s key (ZE002 without a subject id or with a look-alike sealed field)';
REVOKE ALL ON FUNCTION private.seal_personal_data(in_event_type text, in_event_data jsonb, in_stream_type text, in_stream_id uuid) FROM PUBLIC;
