-- ZE013 naming the subscription; to admins, the hint lists the existing ones (a consumer
-- learns no other subscription's name from a typo).

CREATE OR REPLACE FUNCTION private.raise_unknown_subscription(in_name text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'unknown subscription: %', COALESCE(pg_catalog.quote_literal(pg_catalog.left(in_name, 200)), 'NULL')
        USING ERRCODE = 'ZE013',
              HINT = CASE WHEN private.calling_admin()
                          THEN 'Subscriptions: ' || COALESCE((SELECT pg_catalog.string_agg(pg_catalog.left(s.subscription_name, 60), ', '
                                                                      ORDER BY s.subscription_name)
                                                              FROM (SELECT x.subscription_name FROM data.subscriptions AS x
                                                                    ORDER BY x.subscription_name LIMIT 20) AS s), 'none')
                          ELSE 'An admin can list the subscriptions (api.subscription_status).' END;
END;
$$;

REVOKE ALL ON FUNCTION private.raise_unknown_subscription(in_name text) FROM PUBLIC;
