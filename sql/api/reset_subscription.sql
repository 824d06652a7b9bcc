CREATE OR REPLACE FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_subscription data.subscriptions := private.lock_subscription(in_subscription);
    l_position record;
BEGIN
    l_position := private.cursor_position(in_after_id);
    -- Claims cut off at the old position say nothing about the new one.
    PERFORM pg_catalog.setval(l_subscription.read_guard, 0);
    -- What is in flight, waiting or parked goes: the cursor decides what comes next. A
    -- consumer still holding a lease acknowledges nothing any more.
    DELETE FROM data.subscription_events AS se WHERE se.subscription_name = in_subscription;
    DELETE FROM data.subscription_leases AS l WHERE l.subscription_name = in_subscription;
    UPDATE data.subscriptions AS s
    SET generation = l_position.generation,
        transaction_id = l_position.transaction_id,
        global_position = l_position.global_position,
        reset_at = pg_catalog.now(),
        reset_by = private.calling_role()
    WHERE s.subscription_name = in_subscription;
END;
$$;

COMMENT ON FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid) IS 'Moves a subscription to just after the event in_after_id (NULL: the beginning of the log),
back or forward. Everything it had in flight, waiting or parked is dropped; events after the
new position are delivered (again), except skipped ones.
Errors: ZE003 NULL name, ZE004 in_after_id names no event, ZE013 unknown subscription.';
REVOKE ALL ON FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.reset_subscription(in_subscription text, in_after_id uuid) TO eventstore_admin;
