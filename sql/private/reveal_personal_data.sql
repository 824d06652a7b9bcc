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

COMMENT ON FUNCTION private.reveal_personal_data(in_event_data jsonb) IS 'An event payload with its sealed personal data opened (JSON null where the subject was forgotten); O(size)';
REVOKE ALL ON FUNCTION private.reveal_personal_data(in_event_data jsonb) FROM PUBLIC;
