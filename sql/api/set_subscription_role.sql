CREATE OR REPLACE FUNCTION api.set_subscription_role(in_subscription text, in_role name)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM private.lock_subscription(in_subscription);
    IF in_role IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r
                       WHERE r.rolname = in_role AND pg_catalog.pg_has_role(r.oid, 'eventstore_projector', 'MEMBER')) THEN
        RAISE EXCEPTION 'in_role must be NULL (any consumer) or a role that is a member of eventstore_projector, got %',
                pg_catalog.quote_literal(in_role)
            USING ERRCODE = 'ZE003';
    END IF;
    UPDATE data.subscriptions AS s SET consumer_role = in_role WHERE s.subscription_name = in_subscription;
END;
$$;

COMMENT ON FUNCTION api.set_subscription_role(in_subscription text, in_role name) IS 'Reserves a subscription for one consumer role (members of it and admins may claim from it;
any other role gets ZE017), or opens it to every eventstore_projector again (NULL, the default).
Acknowledgements and nacks always come from the role that claimed, whatever the reservation.
Errors: ZE003 a role that is not a consumer, ZE013 unknown subscription.';
REVOKE ALL ON FUNCTION api.set_subscription_role(in_subscription text, in_role name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.set_subscription_role(in_subscription text, in_role name) TO eventstore_admin;
