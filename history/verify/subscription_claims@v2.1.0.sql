-- Verify eventstore:subscription_claims on pg

BEGIN;

SELECT 'api.claim_events(text, text, integer)'::pg_catalog.regprocedure,
       'api.ack_events(text, text, uuid[])'::pg_catalog.regprocedure,
       'api.nack_event(text, text, uuid, text)'::pg_catalog.regprocedure,
       'private.log_positions(integer, xid8, bigint, integer, text[], text[], integer, xid8)'::pg_catalog.regprocedure,
       'private.subscription_delivery'::pg_catalog.regtype;

DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('eventstore_projector', 'api.claim_events(text, text, integer)', 'EXECUTE')
       OR NOT pg_catalog.has_function_privilege('eventstore_projector', 'api.ack_events(text, text, uuid[])', 'EXECUTE')
       OR NOT pg_catalog.has_function_privilege('eventstore_projector', 'api.nack_event(text, text, uuid, text)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('eventstore_writer', 'api.claim_events(text, text, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'claims are for eventstore_projector';
    END IF;
END
$$;

ROLLBACK;
