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

COMMENT ON FUNCTION api.forget_subject(in_subject_id text) IS 'Destroys the key of a data subject: every reader then sees its personal data fields as JSON
null. Removes the snapshots of its streams (and no snapshot folded from a read before the
erasure is saved after it), appends $SubjectForgotten (stream type $subject, event_data
{subject_id, streams}) for read models and consumers, records who and when in
data.forgotten_subjects. Returns false when the subject has no key (unknown, or forgotten
already). Call it in a transaction of its own: in a transaction that wrote before it, its
append can meet 40001 (retry the transaction), as any append after another write can.
Errors: ZE003 bad argument; 40001 see above.';
REVOKE ALL ON FUNCTION api.forget_subject(in_subject_id text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.forget_subject(in_subject_id text) TO eventstore_admin;
