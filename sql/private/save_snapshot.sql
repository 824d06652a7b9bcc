-- Saves the state of an aggregate folded from events read with in_read_snapshot (the
-- pg_current_snapshot() of a statement before that read). The state may hold personal data
-- in plaintext: it is saved only if no key of the stream was destroyed by a transaction that
-- read did not see committed. The stream's keys are held (FOR KEY SHARE) until this
-- transaction ends, so a later erasure waits for this save and then deletes the snapshot with
-- the others (api.forget_subject); an erasure in progress makes this save give up at once (a
-- snapshot is only a shortcut: no load waits for an erasure).

CREATE OR REPLACE PROCEDURE private.save_snapshot(
    in_stream_type text,
    in_stream_id uuid,
    in_version integer,
    in_state jsonb,
    in_read_snapshot pg_snapshot
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT private.hold_stream_keys(in_stream_type, in_stream_id) THEN
        RETURN;  -- a key of the stream is being destroyed
    END IF;
    IF EXISTS (SELECT FROM data.subject_streams AS s
               JOIN data.forgotten_subjects AS f ON f.key_id = s.key_id
               WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id
                 AND NOT pg_catalog.pg_visible_in_snapshot(f.forgotten_xid, in_read_snapshot)) THEN
        RETURN;  -- a key went after the read: the state may hold what was forgotten
    END IF;

    INSERT INTO data.snapshots AS s (stream_type, stream_id, version, state, reducer_version)
    VALUES (in_stream_type, in_stream_id, in_version, in_state,
            (SELECT r.reducer_version FROM data.reducers AS r WHERE r.stream_type = in_stream_type))
    ON CONFLICT (stream_type, stream_id) DO UPDATE
    SET version = EXCLUDED.version,
        state = EXCLUDED.state,
        reducer_version = EXCLUDED.reducer_version,
        created_at = pg_catalog.now()
    -- Never replace a current snapshot by an older one.
    WHERE s.version <= EXCLUDED.version
       OR s.reducer_version IS DISTINCT FROM EXCLUDED.reducer_version;
END;
$$;

COMMENT ON PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb, IN in_read_snapshot pg_snapshot) IS 'Saves the state of an aggregate at a version, unless a key of its stream was destroyed after the state''s events were read';
REVOKE ALL ON PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb, IN in_read_snapshot pg_snapshot) FROM PUBLIC;

-- The specification's form, for a state computed by hand: it does not say when the state's
-- events were read, so it cannot tell whether an erasure came after that read. It refuses
-- (ZE020) for any stream a key of which has ever been destroyed or is being destroyed now, and
-- otherwise saves as above (holding the stream's keys, so that a later erasure waits for it and
-- then deletes the snapshot).

CREATE OR REPLACE PROCEDURE private.save_snapshot(
    in_stream_type text,
    in_stream_id uuid,
    in_version integer,
    in_state jsonb
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL OR in_version IS NULL OR in_version < 1 OR in_state IS NULL THEN
        RAISE EXCEPTION 'in_stream_type, in_stream_id and in_state must not be NULL, in_version must be at least 1'
            USING ERRCODE = 'ZE003';
    END IF;
    IF NOT private.hold_stream_keys(in_stream_type, in_stream_id) THEN
        RAISE EXCEPTION 'no snapshot of stream %/% is saved: a key of its personal data is being destroyed',
                in_stream_type, in_stream_id
            USING ERRCODE = 'ZE020',
                  HINT = 'A snapshot of it is saved by api.load_aggregate, which knows when it read the events.';
    END IF;
    IF EXISTS (SELECT FROM data.subject_streams AS s
               JOIN data.forgotten_subjects AS f ON f.key_id = s.key_id
               WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id) THEN
        RAISE EXCEPTION 'no snapshot of stream %/% is saved: a key of its personal data was destroyed, and a state computed by hand may still hold what it sealed',
                in_stream_type, in_stream_id
            USING ERRCODE = 'ZE020',
                  HINT = 'A snapshot of it is saved by api.load_aggregate, which knows when it read the events.';
    END IF;
    CALL private.save_snapshot(in_stream_type, in_stream_id, in_version, in_state, pg_catalog.pg_current_snapshot());
END;
$$;

COMMENT ON PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb) IS 'Saves the state of an aggregate at a version (computed by hand); refuses (ZE020) for a stream with a destroyed key';
REVOKE ALL ON PROCEDURE private.save_snapshot(IN in_stream_type text, IN in_stream_id uuid, IN in_version integer, IN in_state jsonb) FROM PUBLIC;
