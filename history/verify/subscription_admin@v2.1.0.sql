-- Verify eventstore:subscription_admin on pg

BEGIN;

SELECT 'api.create_subscription(text, text[], text[], boolean, integer, interval)'::pg_catalog.regprocedure,
       'api.drop_subscription(text)'::pg_catalog.regprocedure,
       'api.reset_subscription(text, uuid)'::pg_catalog.regprocedure,
       'api.replay_parked(text, uuid)'::pg_catalog.regprocedure,
       'api.skip_parked(text, uuid)'::pg_catalog.regprocedure,
       'private.lock_subscription(text)'::pg_catalog.regprocedure,
       'private.check_type_filter(text[], text)'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_admin', 'api.create_subscription(text, text[], text[], boolean, integer, interval)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_projector', 'api.create_subscription(text, text[], text[], boolean, integer, interval)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_projector', 'api.skip_parked(text, uuid)', 'EXECUTE') THEN
        RAISE EXCEPTION 'managing subscriptions is for eventstore_admin only';
    END IF;
END
$$;

ROLLBACK;
