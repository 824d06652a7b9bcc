CREATE OR REPLACE FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[])
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_path jsonpath;
BEGIN
    IF in_event_type IS NULL OR in_event_type = '' OR pg_catalog.char_length(in_event_type) > 200 THEN
        RAISE EXCEPTION 'in_event_type must be a text of 1 to 200 characters' USING ERRCODE = 'ZE003';
    END IF;
    BEGIN
        l_path := in_subject_path::jsonpath;
    EXCEPTION
        WHEN syntax_error OR invalid_text_representation THEN
            l_path := NULL;
    END;
    IF l_path IS NULL THEN
        RAISE EXCEPTION 'in_subject_path must be a JSON path such as $.customer_id, got %', COALESCE(in_subject_path, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_fields IS NULL OR pg_catalog.cardinality(in_fields) = 0 OR pg_catalog.array_ndims(in_fields) <> 1
       OR EXISTS (SELECT FROM pg_catalog.unnest(in_fields) AS f(name) WHERE f.name IS NULL OR f.name = '' OR pg_catalog.char_length(f.name) > 200)
       OR (SELECT count(DISTINCT f.name) FROM pg_catalog.unnest(in_fields) AS f(name)) <> pg_catalog.cardinality(in_fields) THEN
        RAISE EXCEPTION 'in_fields must name one or more distinct top-level fields of event_data (1 to 200 characters each)'
            USING ERRCODE = 'ZE003';
    END IF;

    INSERT INTO data.personal_data AS p (event_type, subject_path, fields, registered_by)
    VALUES (in_event_type, l_path, in_fields, private.calling_role())
    ON CONFLICT (event_type) DO UPDATE
        SET subject_path = excluded.subject_path, fields = excluded.fields,
            registered_by = excluded.registered_by, registered_at = pg_catalog.now();
END;
$$;

COMMENT ON FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[]) IS 'Marks top-level fields of in_event_type''s event_data as personal data of the subject whose id
is at in_subject_path (a JSON path, e.g. $.customer_id). Events appended from then on store
them encrypted with the subject''s key. Registering again replaces (events keep the fields
they were encrypted with). Events appended before are not encrypted: crypto-shredding cannot
reach them. Errors: ZE003 bad argument.';
REVOKE ALL ON FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.register_personal_data(in_event_type text, in_subject_path text, in_fields text[]) TO eventstore_admin;
