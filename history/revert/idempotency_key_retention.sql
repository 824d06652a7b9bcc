-- Deploy eventstore:idempotency_key_retention to pg
-- requires: idempotency_key_retention@v1.1.0
-- requires: idempotency_keys
-- requires: roles
-- Idempotency keys are kept for a retry window, not for ever: data.idempotency_keys would
-- otherwise grow by one row per idempotent append. A retry older than the window appends
-- again (clients retry within seconds or hours; the default window is 30 days).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION api.purge_idempotency_keys(in_older_than interval DEFAULT '30 days')
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_deleted bigint;
BEGIN
    -- Since v1.1.0 bounded above too: now() minus a huge interval is out of range (22008).
    IF in_older_than IS NULL OR in_older_than < interval '1 hour' OR in_older_than > interval '1000 years' THEN
        RAISE EXCEPTION 'in_older_than must be from 1 hour to 1000 years, got %', COALESCE(in_older_than::text, 'NULL')
            USING ERRCODE = 'ZE003',
                  HINT = 'A shorter window would let a client''s ordinary retry append twice.';
    END IF;
    DELETE FROM data.idempotency_keys AS k WHERE k.created_at < pg_catalog.now() - in_older_than;
    GET DIAGNOSTICS l_deleted = ROW_COUNT;
    RETURN l_deleted;
END;
$$;

COMMENT ON FUNCTION api.purge_idempotency_keys(interval) IS
$$Deletes idempotency keys older than in_older_than (default 30 days; from 1 hour to 1000 years): a retry
with such a key appends again. Returns the number of keys deleted. Scheduled daily by pg_cron
(job eventstore-idempotency-keys). Errors: ZE003 a window under 1 hour.$$;

REVOKE ALL ON FUNCTION api.purge_idempotency_keys(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.purge_idempotency_keys(interval) TO eventstore_admin;

COMMIT;
