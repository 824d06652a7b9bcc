-- Verify eventstore:subscription_admin on pg

BEGIN;

SELECT 'api.create_subscription(text, text[], text[], boolean, integer, interval)'::pg_catalog.regprocedure,
       'api.drop_subscription(text)'::pg_catalog.regprocedure,
       'api.reset_subscription(text, uuid)'::pg_catalog.regprocedure,
       'api.replay_parked(text, uuid)'::pg_catalog.regprocedure,
       'api.skip_parked(text, uuid)'::pg_catalog.regprocedure,
       'private.lock_subscription(text)'::pg_catalog.regprocedure,
       'private.check_type_filter(text[], text)'::pg_catalog.regprocedure,
       'api.set_subscription_role(text, name)'::pg_catalog.regprocedure,
       'private.make_read_guard(text)'::pg_catalog.regprocedure,
       'private.calling_admin()'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_admin', 'api.create_subscription(text, text[], text[], boolean, integer, interval)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_projector', 'api.create_subscription(text, text[], text[], boolean, integer, interval)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_projector', 'api.skip_parked(text, uuid)', 'EXECUTE')
       OR NOT pg_catalog.has_function_privilege('eventstore_admin', 'api.set_subscription_role(text, name)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_projector', 'api.set_subscription_role(text, name)', 'EXECUTE') THEN
        RAISE EXCEPTION 'managing subscriptions is for eventstore_admin only';
    END IF;
    IF EXISTS (SELECT FROM data.subscriptions AS s WHERE s.read_guard IS NULL) THEN
        RAISE EXCEPTION 'every subscription has its read guard';
    END IF;
END
$$;

ROLLBACK;
