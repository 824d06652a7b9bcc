-- Deploy eventstore:personal_data to pg
-- requires: personal_data@v2.1.0
-- Crypto-shredding whose erasure holds (the tables and the sealing are personal_data@v2.1.0):
--   * an erasure is recorded with its transaction id (data.forgotten_subjects.forgotten_xid)
--     and a subject's streams stay listed in data.subject_streams after it, so that a snapshot
--     saver can tell whether a key went after it read the events it folded
--     (private.save_snapshot, change snapshots, refuses to save then; it finds a stream's keys
--     by the index of change subject_streams_stream_idx);
--   * api.forget_subject appends its $SubjectForgotten event first: the append announces the
--     transaction to readers before it has an id, so a forget of its own never meets 40001;
--     it then waits for snapshot savers of the subject's streams (their key lock) before
--     deleting the snapshots and the key;
--   * reading a payload costs O(its size): one pass over its top-level fields, a decryption
--     only where the key exists, no jsonb_set per field;
--   * an append of a registered type whose payload already holds a look-alike sealed value
--     ({"$es_sealed": ...} at the top level) is refused (ZE002): only the bundle seals.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Added without a default first: erasures made before this change keep NULL (they are long
-- committed; no read that could still be saved predates them).
ALTER TABLE data.forgotten_subjects ADD COLUMN forgotten_xid xid8;
ALTER TABLE data.forgotten_subjects ALTER COLUMN forgotten_xid SET DEFAULT pg_catalog.pg_current_xact_id();
COMMENT ON COLUMN data.forgotten_subjects.forgotten_xid IS
    'The erasing transaction: a snapshot folded from a read that did not see it committed is not saved';

COMMENT ON TABLE data.subject_streams IS
    'The streams holding events encrypted with a key (kept after the key is destroyed): their snapshots go when the key does';

-- One sealed value opened: its JSON while its key exists, NULL when the key is gone or the
-- value does not open (a look-alike: no key of that id, or not our ciphertext). Only a value
-- whose key exists costs a decryption (and a subtransaction, to catch what does not decrypt).
CREATE OR REPLACE FUNCTION private.open_sealed(in_sealed jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_key bytea;
BEGIN
    IF pg_catalog.jsonb_typeof(in_sealed) IS DISTINCT FROM 'object'
       OR pg_catalog.jsonb_typeof(in_sealed -> 'data') IS DISTINCT FROM 'string'
       OR (in_sealed ->> 'key') !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN NULL;
    END IF;
    SELECT k.key INTO l_key FROM data.subject_keys AS k WHERE k.key_id = (in_sealed ->> 'key')::uuid;
    IF l_key IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN private.open_value(in_sealed ->> 'data', l_key);
EXCEPTION
    WHEN OTHERS THEN  -- not base64, wrong key or padding, not UTF-8, not JSON (a cancel is not caught)
        RETURN NULL;
END;
$$;

COMMENT ON FUNCTION private.open_sealed(jsonb) IS
    'A sealed value opened ({key, data}): its JSON while the key exists, NULL otherwise (never raises on bad ciphertext)';

-- A payload with its sealed fields opened: the plaintext while the key exists, JSON null
-- once it is gone. One pass over the top-level fields; a payload without sealed fields is
-- returned as it is.
CREATE OR REPLACE FUNCTION private.reveal_personal_data(in_event_data jsonb)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.jsonb_typeof(in_event_data) IS DISTINCT FROM 'object'
                     OR NOT pg_catalog.jsonb_path_exists(in_event_data, '$.* ? (exists (@."$es_sealed"))')
                THEN in_event_data
                ELSE (SELECT pg_catalog.jsonb_object_agg(
                                 f.key,
                                 CASE WHEN pg_catalog.jsonb_typeof(f.value) = 'object' AND f.value ? '$es_sealed'
                                      THEN COALESCE(private.open_sealed(f.value -> '$es_sealed'), 'null'::jsonb)
                                      ELSE f.value END)
                      FROM pg_catalog.jsonb_each(in_event_data) AS f) END;
$$;

COMMENT ON FUNCTION private.reveal_personal_data(jsonb) IS
    'An event payload with its sealed personal data opened (JSON null where the subject was forgotten); O(size)';

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

COMMENT ON FUNCTION private.seal_personal_data(text, jsonb, text, uuid) IS
    'An event payload as stored: its personal data fields sealed with its subject''s key (ZE002 without a subject id or with a look-alike sealed field)';

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
    -- Read only, no lock yet (a row lock would give this transaction its id before the
    -- append below announced it to readers).
    SELECT k.key_id INTO l_key_id FROM data.subject_keys AS k WHERE k.subject_id = in_subject_id;
    IF NOT FOUND THEN
        RETURN false;  -- no key: nothing of this subject is readable (never known, or forgotten already)
    END IF;

    SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('stream_type', s.stream_type, 'stream_id', s.stream_id)
                                         ORDER BY s.stream_type, s.stream_id), '[]')
    INTO l_streams
    FROM data.subject_streams AS s WHERE s.key_id = l_key_id;

    -- 1. Tell read models and consumers: stream $subject/<key id>, in the log like any event.
    -- First, so that the append announces this transaction before its first write. A
    -- concurrent forget of the same key appended first: this one has nothing left to do.
    BEGIN
        CALL api.append_events('$subject', l_key_id, 0,
            pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                'event_type', '$SubjectForgotten',
                'event_data', pg_catalog.jsonb_build_object('subject_id', in_subject_id, 'streams', l_streams))),
            l_version);
    EXCEPTION WHEN SQLSTATE 'ZE001' THEN
        RETURN false;
    END;

    -- 2. The key, locked: waits for snapshot savers of its streams (they hold it shared) and
    -- makes later ones wait for this transaction, then see the key gone.
    PERFORM FROM data.subject_keys AS k WHERE k.key_id = l_key_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the key of subject % went while it was being forgotten', pg_catalog.left(in_subject_id, 200)
            USING ERRCODE = '40001', HINT = 'Retry: a concurrent erasure committed first.';
    END IF;

    DELETE FROM data.snapshots AS n
    USING data.subject_streams AS s
    WHERE s.key_id = l_key_id AND n.stream_type = s.stream_type AND n.stream_id = s.stream_id;
    GET DIAGNOSTICS l_snapshots = ROW_COUNT;

    DELETE FROM data.subject_keys AS k WHERE k.key_id = l_key_id;
    INSERT INTO data.forgotten_subjects (key_id, forgotten_by, streams, snapshots_removed)
    VALUES (l_key_id, private.calling_role(), pg_catalog.jsonb_array_length(l_streams), l_snapshots);
    RETURN true;
END;
$$;

COMMENT ON FUNCTION api.forget_subject(text) IS
$$Destroys the key of a data subject: every reader then sees its personal data fields as JSON
null. Removes the snapshots of its streams (and no snapshot folded from a read before the
erasure is saved after it), appends $SubjectForgotten (stream type $subject, event_data
{subject_id, streams}) for read models and consumers, records who and when in
data.forgotten_subjects. Returns false when the subject has no key (unknown, or forgotten
already). Call it in a transaction of its own: in a transaction that wrote before it, its
append can meet 40001 (retry the transaction), as any append after another write can.
Errors: ZE003 bad argument; 40001 see above.$$;

REVOKE ALL ON FUNCTION private.open_sealed(jsonb) FROM PUBLIC;

COMMIT;
