CREATE OR REPLACE FUNCTION api.drop_subscription(in_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_subscription data.subscriptions := private.lock_subscription(in_name);
BEGIN
    DELETE FROM data.subscriptions AS s WHERE s.subscription_name = in_name;
    IF l_subscription.read_guard IS NOT NULL THEN
        EXECUTE pg_catalog.format('DROP SEQUENCE %s', l_subscription.read_guard);
    END IF;
END;
$$;

COMMENT ON FUNCTION api.drop_subscription(in_name text) IS 'Drops a subscription with its in-flight and parked events, members and skips.
Errors: ZE013 unknown subscription.';
REVOKE ALL ON FUNCTION api.drop_subscription(in_name text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.drop_subscription(in_name text) TO eventstore_admin;
