-- Deploy eventstore:personal_data to pg
-- requires: pgcrypto_extension
-- requires: events
-- requires: snapshots
-- requires: append_events
-- requires: registered_code
-- requires: uuidv7
-- requires: roles
-- Crypto-shredding. An admin marks top-level fields of an event type's event_data as personal
-- data and says where the data subject's id is (api.register_personal_data). On append those
-- fields are stored encrypted (AES-256, pgcrypto; api.append_events seals them, reworked after
-- this change) with a key of their own per data subject
-- (data.subject_keys, readable by the bundle's owner only). Readers see the plaintext while
-- the key exists (private.reveal_personal_data, applied by private.events_upcast).
-- api.forget_subject destroys the key: from then on every reader sees those fields as JSON
-- null, the subject's streams lose their snapshots, a $SubjectForgotten event tells read
-- models, and data.forgotten_subjects records who and when. Nothing in data.events changes.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE TABLE data.personal_data (
    event_type    text PRIMARY KEY CHECK (event_type <> ''),
    subject_path  jsonpath NOT NULL,
    fields        text[] NOT NULL CHECK (pg_catalog.cardinality(fields) > 0),
    registered_by name NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE data.personal_data IS
    'Event types whose fields are personal data: where the subject id is, which top-level fields are encrypted';

CREATE TABLE data.subject_keys (
    key_id     uuid PRIMARY KEY DEFAULT private.uuidv7(),
    subject_id text NOT NULL UNIQUE,
    key        bytea NOT NULL CHECK (pg_catalog.length(key) = 32),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

COMMENT ON TABLE data.subject_keys IS
    'One AES-256 key per data subject; deleting a row (api.forget_subject) makes that subject''s fields unreadable';

CREATE TABLE data.subject_streams (
    key_id      uuid NOT NULL,
    stream_type text NOT NULL,
    stream_id   uuid NOT NULL,
    PRIMARY KEY (key_id, stream_type, stream_id)
);

COMMENT ON TABLE data.subject_streams IS
    'The streams holding events encrypted with a key: their snapshots go when the key does';

CREATE TABLE data.forgotten_subjects (
    key_id            uuid PRIMARY KEY,
    forgotten_by      name NOT NULL,
    forgotten_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    streams           integer NOT NULL,
    snapshots_removed integer NOT NULL
);

COMMENT ON TABLE data.forgotten_subjects IS
    'Audit of api.forget_subject: which key was destroyed, by whom, when (no personal data)';

REVOKE ALL ON data.personal_data, data.subject_keys, data.subject_streams, data.forgotten_subjects FROM PUBLIC;

-- Encrypting and decrypting with pgcrypto, wherever CREATE EXTENSION put it: the functions
-- are written for its schema, so that no search_path decides which encrypt_iv runs.
DO $$
DECLARE
    l_schema name := (SELECT n.nspname FROM pg_catalog.pg_extension AS x
                      JOIN pg_catalog.pg_namespace AS n ON n.oid = x.extnamespace
                      WHERE x.extname = 'pgcrypto');
BEGIN
    -- A value, sealed: base64 of a random 16-byte IV followed by the AES-256-CBC ciphertext of
    -- its JSON text.
    EXECUTE pg_catalog.format($f$
        CREATE OR REPLACE FUNCTION private.seal_value(in_value jsonb, in_key bytea)
        RETURNS text
        LANGUAGE sql
        VOLATILE
        SET search_path = pg_catalog, pg_temp
        AS $b$
            SELECT pg_catalog.translate(pg_catalog.encode(
                       r.iv || %1$I.encrypt_iv(pg_catalog.convert_to(in_value::text, 'UTF8'), in_key, r.iv,
                                               'aes-cbc/pad:pkcs'), 'base64'), E'\n', '')
            FROM (SELECT %1$I.gen_random_bytes(16) AS iv) AS r
        $b$ $f$, l_schema);
    EXECUTE pg_catalog.format($f$
        CREATE OR REPLACE FUNCTION private.open_value(in_sealed text, in_key bytea)
        RETURNS jsonb
        LANGUAGE sql
        IMMUTABLE
        SET search_path = pg_catalog, pg_temp
        AS $b$
            SELECT pg_catalog.convert_from(%1$I.decrypt_iv(pg_catalog.substr(r.raw, 17), in_key,
                                                           pg_catalog.substr(r.raw, 1, 16), 'aes-cbc/pad:pkcs'),
                                           'UTF8')::jsonb
            FROM (SELECT pg_catalog.decode(in_sealed, 'base64') AS raw) AS r
        $b$ $f$, l_schema);
    EXECUTE pg_catalog.format($f$
        CREATE OR REPLACE FUNCTION private.new_subject_key()
        RETURNS bytea
        LANGUAGE sql
        VOLATILE
        SET search_path = pg_catalog, pg_temp
        AS $b$ SELECT %1$I.gen_random_bytes(32) $b$ $f$, l_schema);
END
$$;

COMMENT ON FUNCTION private.seal_value(jsonb, bytea) IS 'A JSON value encrypted (AES-256-CBC, random IV), base64';
COMMENT ON FUNCTION private.open_value(text, bytea) IS 'The JSON value private.seal_value sealed';

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

CREATE OR REPLACE FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[])
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_path jsonpath;
BEGIN
    IF in_event_type IS NULL OR in_event_type = '' OR pg_catalog.char_length(in_event_type) > 200 THEN
        RAISE EXCEPTION 'in_event_type must be a text of 1 to 200 characters' USING ERRCODE = 'ZE003';
    END IF;
    BEGIN
        l_path := in_subject_path::jsonpath;
    EXCEPTION
        WHEN syntax_error OR invalid_text_representation THEN
            l_path := NULL;
    END;
    IF l_path IS NULL THEN
        RAISE EXCEPTION 'in_subject_path must be a JSON path such as $.customer_id, got %', COALESCE(in_subject_path, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_fields IS NULL OR pg_catalog.cardinality(in_fields) = 0 OR pg_catalog.array_ndims(in_fields) <> 1
       OR EXISTS (SELECT FROM pg_catalog.unnest(in_fields) AS f(name) WHERE f.name IS NULL OR f.name = '' OR pg_catalog.char_length(f.name) > 200)
       OR (SELECT count(DISTINCT f.name) FROM pg_catalog.unnest(in_fields) AS f(name)) <> pg_catalog.cardinality(in_fields) THEN
        RAISE EXCEPTION 'in_fields must name one or more distinct top-level fields of event_data (1 to 200 characters each)'
            USING ERRCODE = 'ZE003';
    END IF;

    INSERT INTO data.personal_data AS p (event_type, subject_path, fields, registered_by)
    VALUES (in_event_type, l_path, in_fields, private.calling_role())
    ON CONFLICT (event_type) DO UPDATE
        SET subject_path = excluded.subject_path, fields = excluded.fields,
            registered_by = excluded.registered_by, registered_at = pg_catalog.now();
END;
$$;

COMMENT ON FUNCTION api.register_personal_data(text, text, text[]) IS
$$Marks top-level fields of in_event_type's event_data as personal data of the subject whose id
is at in_subject_path (a JSON path, e.g. $.customer_id). Events appended from then on store
them encrypted with the subject's key. Registering again replaces (events keep the fields
they were encrypted with). Events appended before are not encrypted: crypto-shredding cannot
reach them. Errors: ZE003 bad argument.$$;

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

REVOKE ALL ON FUNCTION private.seal_value(jsonb, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.open_value(text, bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.new_subject_key() FROM PUBLIC;
REVOKE ALL ON FUNCTION private.subject_key(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.seal_personal_data(text, jsonb, text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.reveal_personal_data(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.register_personal_data(text, text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION api.forget_subject(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_personal_data(text, text, text[]) TO eventstore_admin;
GRANT EXECUTE ON FUNCTION api.forget_subject(text) TO eventstore_admin;

COMMIT;
