-- Locks every version of a projection, for changing which versions there are and which one
-- is live: first their checkpoints (waiting for a batch in progress to commit; the runner
-- locks a checkpoint, then reads its registration), then their registrations, each in name
-- order. ZE005 when in_projection_name is no projection's name.

CREATE OR REPLACE FUNCTION private.lock_projection_versions(in_projection_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM FROM data.projection_checkpoints AS c
    WHERE c.projection_name IN (SELECT p.projection_name FROM data.projections AS p
                                WHERE p.version_of = in_projection_name)
    ORDER BY c.projection_name
    FOR UPDATE;
    PERFORM FROM data.projections AS p
    WHERE p.version_of = in_projection_name
    ORDER BY p.projection_name
    FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection(in_projection_name);
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION private.lock_projection_versions(in_projection_name text) FROM PUBLIC;
