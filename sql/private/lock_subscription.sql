-- The subscription's row, locked against claims and other admin calls (every change to what
-- a subscription holds takes this lock first), or ZE013.

CREATE OR REPLACE FUNCTION private.lock_subscription(in_name text)
RETURNS data.subscriptions
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_subscription data.subscriptions;
BEGIN
    SELECT s.* INTO l_subscription
    FROM data.subscriptions AS s
    WHERE s.subscription_name = private.check_subscription_name(in_name, 'in_subscription')
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_subscription(in_name);
    END IF;
    RETURN l_subscription;
END;
$$;

REVOKE ALL ON FUNCTION private.lock_subscription(in_name text) FROM PUBLIC;
