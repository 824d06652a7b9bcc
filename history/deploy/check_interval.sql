-- Deploy eventstore:check_interval to pg
-- requires: schemas
-- private.check_interval: the one check of an interval argument (a lease, a retention, a
-- retry window). PostgreSQL compares intervals with 1 month = 30 days and 1 day = 24 hours,
-- while now() + an interval follows the calendar: '-1 year 361 days' compares as 1 day but
-- lies in the past when added to now(). So the check is made on the effect, both ways:
-- now() + value and now() - value must fall between what the bounds give, which also refuses
-- a value whose parts pull in opposite directions across a bound.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION private.check_interval(in_value interval, in_argument text, in_min interval, in_max interval)
RETURNS interval
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_now timestamptz := pg_catalog.now();
    l_ok boolean;
BEGIN
    BEGIN
        l_ok := in_value IS NOT NULL
                AND l_now + in_value BETWEEN l_now + in_min AND l_now + in_max
                AND l_now - in_value BETWEEN l_now - in_max AND l_now - in_min;
    EXCEPTION WHEN datetime_field_overflow THEN
        l_ok := false;  -- now() +/- the value is past the range of timestamps
    END;
    IF NOT l_ok THEN
        RAISE EXCEPTION '% must be from % to % (its effect on now(), both ways), got %',
                in_argument, in_min, in_max, COALESCE(in_value::text, 'NULL')
            USING ERRCODE = 'ZE003',
                  HINT = 'Checked on the calendar, both ways: mixed signs such as ''-1 year 361 days'' are refused.';
    END IF;
    RETURN in_value;
END;
$$;

COMMENT ON FUNCTION private.check_interval(interval, text, interval, interval) IS
    'Returns in_value if now() + it and now() - it lie within the bounds, else ZE003 naming in_argument';

REVOKE ALL ON FUNCTION private.check_interval(interval, text, interval, interval) FROM PUBLIC;

COMMIT;
