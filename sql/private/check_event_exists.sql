-- ZE004 when in_event_id names no event of the log (a NULL is ZE003).

CREATE OR REPLACE FUNCTION private.check_event_exists(in_event_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_event_id IS NULL THEN
        RAISE EXCEPTION 'in_event_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF NOT EXISTS (SELECT FROM data.events AS e WHERE e.id = in_event_id) THEN
        RAISE EXCEPTION 'no event has id %', in_event_id USING ERRCODE = 'ZE004';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION private.check_event_exists(in_event_id uuid) FROM PUBLIC;
