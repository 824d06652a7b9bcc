-- How many events a version may be behind the live one and still be promoted (its promotion
-- applies them): the setting eventstore.promotion_max_lag (ALTER DATABASE/ROLE ... SET, or
-- SET in the session), 1000 when unset, NULL when it is not a count. Each caller decides what
-- NULL means: api.promote_projection refuses it (ZE003), api.projection_status shows
-- ready_to_promote NULL (a bad setting must not break the status view).

CREATE OR REPLACE FUNCTION private.promotion_max_lag()
RETURNS bigint
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_setting text := pg_catalog.btrim(COALESCE(pg_catalog.current_setting('eventstore.promotion_max_lag', true), ''));
BEGIN
    IF l_setting = '' THEN
        RETURN 1000;
    ELSIF l_setting ~ '^[0-9]{1,12}$' THEN
        RETURN l_setting::bigint;
    END IF;
    RETURN NULL;
END;
$$;

REVOKE ALL ON FUNCTION private.promotion_max_lag() FROM PUBLIC;
