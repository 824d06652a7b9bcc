-- Deploy eventstore:announced_before_xid to pg
-- requires: events
-- requires: store_generations
-- requires: idempotency_keys
-- private.announced_before_xid: was this transaction announced to readers before it had its id?
-- Since v1.5.0 a change of its own; api.append_events made it first (the same definition:
-- on an upgraded database this replaces the function by itself).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- Was this transaction announced to whole-log readers before its transaction id was
-- assigned? Yes if it has appended already (its events are there: the append that wrote
-- them announced it), or if api.append_events_idempotent announced it before claiming a
-- key it inserted (the key row is this transaction's). Only appends of transactions that
-- had an id before this append ask. Nothing here can be set by a caller.
CREATE OR REPLACE FUNCTION private.announced_before_xid()
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_key text := pg_catalog.current_setting('eventstore.idempotency_key', true);
BEGIN
    IF EXISTS (SELECT FROM data.events AS e
               JOIN private.current_generation AS g ON g.generation = e.generation
               WHERE e.transaction_id = pg_catalog.pg_current_xact_id()) THEN
        RETURN true;
    END IF;
    IF l_key ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RETURN EXISTS (SELECT FROM data.idempotency_keys AS k
                       WHERE k.idempotency_key = l_key::uuid
                         AND k.xmin::text = (pg_catalog.pg_current_xact_id()::xid)::text);
    END IF;
    RETURN false;
END;
$$;

COMMENT ON FUNCTION private.announced_before_xid() IS
    'Was this transaction announced to whole-log readers before it had its id? (its events, or its idempotency key)';

REVOKE ALL ON FUNCTION private.announced_before_xid() FROM PUBLIC;

COMMIT;
