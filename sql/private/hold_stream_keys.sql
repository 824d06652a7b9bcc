-- Holds the keys of a stream's personal data (FOR KEY SHARE) until the transaction ends, so
-- that an erasure of one of them (api.forget_subject locks its key FOR UPDATE) waits for this
-- transaction, and then deletes the snapshot it saved. Returns false at once, holding nothing
-- new, when an erasure holds one of them now (it is being destroyed). The one way a snapshot
-- saver (private.save_snapshot, both forms) meets an erasure in progress.

CREATE OR REPLACE FUNCTION private.hold_stream_keys(in_stream_type text, in_stream_id uuid)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM FROM data.subject_keys AS k
    WHERE k.key_id IN (SELECT s.key_id FROM data.subject_streams AS s
                       WHERE s.stream_type = in_stream_type AND s.stream_id = in_stream_id)
    FOR KEY SHARE OF k NOWAIT;
    RETURN true;
EXCEPTION WHEN lock_not_available THEN
    RETURN false;
END;
$$;

COMMENT ON FUNCTION private.hold_stream_keys(in_stream_type text, in_stream_id uuid) IS 'Holds the keys of a stream''s personal data until the transaction ends; false if one is being destroyed now';
REVOKE ALL ON FUNCTION private.hold_stream_keys(in_stream_type text, in_stream_id uuid) FROM PUBLIC;
