-- One sealed value opened: its JSON while its key exists, NULL when the key is gone or the
-- value does not open (a look-alike: no key of that id, or not our ciphertext). Only a value
-- whose key exists costs a decryption (and a subtransaction, to catch what does not decrypt).

CREATE OR REPLACE FUNCTION private.open_sealed(in_sealed jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_key bytea;
BEGIN
    IF pg_catalog.jsonb_typeof(in_sealed) IS DISTINCT FROM 'object'
       OR pg_catalog.jsonb_typeof(in_sealed -> 'data') IS DISTINCT FROM 'string'
       OR (in_sealed ->> 'key') !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN NULL;
    END IF;
    SELECT k.key INTO l_key FROM data.subject_keys AS k WHERE k.key_id = (in_sealed ->> 'key')::uuid;
    IF l_key IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN private.open_value(in_sealed ->> 'data', l_key);
EXCEPTION
    WHEN OTHERS THEN  -- not base64, wrong key or padding, not UTF-8, not JSON (a cancel is not caught)
        RETURN NULL;
END;
$$;

COMMENT ON FUNCTION private.open_sealed(in_sealed jsonb) IS 'A sealed value opened ({key, data}): its JSON while the key exists, NULL otherwise (never raises on bad ciphertext)';
REVOKE ALL ON FUNCTION private.open_sealed(in_sealed jsonb) FROM PUBLIC;
