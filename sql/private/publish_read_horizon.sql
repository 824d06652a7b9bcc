-- Raises H into data.read_horizon unless it is there already; one publisher at a time, so the
-- value only grows. The lock lives in a subtransaction that always ends by rolling back: the
-- lock goes with it at once, and setval (not transactional) stays. A cancel or timeout ends
-- the subtransaction as well, so nothing outlives the call. False when the lock was not had
-- within 50 ms (busy): the caller then uses the conservative horizon.

CREATE OR REPLACE FUNCTION private.publish_read_horizon(in_horizon bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '50ms'
AS $$
BEGIN
    LOCK TABLE data.read_horizon_publisher IN EXCLUSIVE MODE;
    IF (SELECT s.last_value FROM data.read_horizon AS s) < in_horizon THEN
        PERFORM pg_catalog.setval('data.read_horizon', in_horizon);
    END IF;
    -- Not an error: the way out of the subtransaction that releases the lock.
    RAISE EXCEPTION 'read horizon published' USING ERRCODE = 'ZE900';
EXCEPTION
    WHEN SQLSTATE 'ZE900' THEN
        RETURN true;
    WHEN lock_not_available THEN
        RETURN false;
END;
$$;

REVOKE ALL ON FUNCTION private.publish_read_horizon(in_horizon bigint) FROM PUBLIC;
