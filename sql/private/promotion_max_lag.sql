-- How many events a version may be behind the live one and still be promoted (its promotion
-- applies them): the setting eventstore.promotion_max_lag (ALTER DATABASE/ROLE ... SET, or
-- SET in the session), 1000 when unset. ZE003 for anything but a count.

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
    RAISE EXCEPTION 'eventstore.promotion_max_lag must be a number of events (0 or more), got %',
            pg_catalog.quote_literal(l_setting)
        USING ERRCODE = 'ZE003';
END;
$$;

REVOKE ALL ON FUNCTION private.promotion_max_lag() FROM PUBLIC;
