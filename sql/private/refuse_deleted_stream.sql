-- Trigger (BEFORE UPDATE of a deleted stream's row: only an append does that): ZE015.

CREATE OR REPLACE FUNCTION private.refuse_deleted_stream()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'stream %/% was deleted at %: nothing can be appended to it', OLD.stream_type, OLD.stream_id, OLD.deleted_at
        USING ERRCODE = 'ZE015',
              HINT = 'A deleted stream stays deleted; an admin may purge it (api.purge_stream), which frees its id.';
END;
$$;

REVOKE ALL ON FUNCTION private.refuse_deleted_stream() FROM PUBLIC;
