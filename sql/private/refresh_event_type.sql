-- Recomputes the current version of an event type from its schemas and upcasters.

CREATE OR REPLACE FUNCTION private.refresh_event_type(in_event_type text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO data.event_types AS t (event_type, current_version)
    SELECT in_event_type, v.current_version
    FROM (SELECT GREATEST((SELECT max(s.version) FROM data.event_schemas AS s WHERE s.event_type = in_event_type),
                          (SELECT max(u.from_version) + 1 FROM data.event_upcasters AS u
                           WHERE u.event_type = in_event_type)) AS current_version) AS v
    WHERE v.current_version IS NOT NULL
    ON CONFLICT (event_type) DO UPDATE SET current_version = excluded.current_version;
$$;

REVOKE ALL ON FUNCTION private.refresh_event_type(in_event_type text) FROM PUBLIC;
