-- The time a UUID v7 was made (its first 48 bits, Unix milliseconds); NULL for another
-- kind of UUID.

CREATE OR REPLACE FUNCTION private.uuidv7_time(in_id uuid)
RETURNS timestamptz
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN pg_catalog.substr(in_id::text, 15, 1) = '7'
                THEN pg_catalog.to_timestamp(
                         ('x' || pg_catalog.lpad(pg_catalog.substr(pg_catalog.replace(in_id::text, '-', ''), 1, 12), 16, '0'))
                         ::bit(64)::bigint / 1000.0) END;
$$;

COMMENT ON FUNCTION private.uuidv7_time(in_id uuid) IS 'When a UUID v7 was made; NULL for other UUIDs';
REVOKE ALL ON FUNCTION private.uuidv7_time(in_id uuid) FROM PUBLIC;
