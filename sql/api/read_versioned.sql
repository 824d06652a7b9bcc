-- Reads a stream appended with api.append_versioned by the versions its events carry
-- (metadata.originator_version): after one version, up to another, forwards or backwards,
-- at most in_limit, as readers read events (upcast, personal data revealed). Without gaps a
-- stream's own versions are its store versions shifted by its first one, so a range is an
-- index range; with gaps (snapshots) each event's own version is compared, from the end
-- backwards or from the start. An originator_version that is not an integer is no version of
-- the event's own (private.own_version).

CREATE OR REPLACE FUNCTION api.read_versioned(
    in_stream_type text,
    in_stream_id uuid,
    in_after_version integer DEFAULT NULL,
    in_up_to_version integer DEFAULT NULL,
    in_descending boolean DEFAULT false,
    in_limit integer DEFAULT NULL,
    in_gaps boolean DEFAULT false
)
RETURNS TABLE (
    version integer,
    event_type text,
    event_data jsonb,
    metadata jsonb,
    id uuid,
    created_at timestamptz
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_shift integer := 0;  -- own version - store version (without gaps)
    l_from integer := 1;
    l_to integer := 2147483647;
BEGIN
    IF in_stream_type IS NULL OR in_stream_id IS NULL OR in_descending IS NULL OR in_gaps IS NULL THEN
        RAISE EXCEPTION 'in_stream_type, in_stream_id, in_descending and in_gaps must not be NULL'
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_limit IS NOT NULL THEN
        PERFORM private.check_limit(in_limit);
    END IF;
    IF private.stream_is_deleted(in_stream_type, in_stream_id) THEN
        RETURN;
    END IF;
    IF NOT in_gaps THEN
        SELECT private.own_version(e.metadata, e.version) - e.version INTO l_shift
        FROM data.events AS e
        WHERE e.stream_type = in_stream_type AND e.stream_id = in_stream_id
        ORDER BY e.version
        LIMIT 1;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        -- Bounds outside the integer range read everything or nothing (never 22003).
        l_from := LEAST(GREATEST(COALESCE(in_after_version::bigint - l_shift + 1, 1), 1), 2147483647)::integer;
        l_to := GREATEST(LEAST(COALESCE(in_up_to_version::bigint - l_shift, 2147483647), 2147483647), 0)::integer;
    END IF;

    -- One query both ways: the rows come from the stream index in version order, so the sort
    -- forwards finds them sorted, and backwards with a limit keeps the top few.
    RETURN QUERY
    SELECT private.own_version(u.metadata, u.version), u.event_type, u.event_data,
           u.metadata, u.id, u.created_at
    FROM private.events_as_read AS u
    WHERE u.stream_type = in_stream_type AND u.stream_id = in_stream_id
      AND u.version >= l_from AND u.version <= l_to
      AND (NOT in_gaps OR in_after_version IS NULL OR private.own_version(u.metadata, u.version) > in_after_version)
      AND (NOT in_gaps OR in_up_to_version IS NULL OR private.own_version(u.metadata, u.version) <= in_up_to_version)
    ORDER BY CASE WHEN in_descending THEN -u.version ELSE u.version END
    LIMIT in_limit;
END;
$$;

COMMENT ON FUNCTION api.read_versioned(in_stream_type text, in_stream_id uuid, in_after_version integer, in_up_to_version integer, in_descending boolean, in_limit integer, in_gaps boolean) IS 'Events of a stream appended with api.append_versioned whose own version is after in_after_version and
at most in_up_to_version (NULL = no bound), in version order (in_descending: backwards), at most
in_limit (NULL = all); version is the event''s own version. None for a deleted stream.
Errors: ZE003 NULL arguments or a bad limit.';
REVOKE ALL ON FUNCTION api.read_versioned(in_stream_type text, in_stream_id uuid, in_after_version integer, in_up_to_version integer, in_descending boolean, in_limit integer, in_gaps boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.read_versioned(in_stream_type text, in_stream_id uuid, in_after_version integer, in_up_to_version integer, in_descending boolean, in_limit integer, in_gaps boolean) TO eventstore_reader;
