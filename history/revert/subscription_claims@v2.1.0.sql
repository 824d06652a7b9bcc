-- Revert eventstore:subscription_claims from pg

BEGIN;

DROP FUNCTION api.nack_event(text, text, uuid, text);
DROP FUNCTION api.ack_events(text, text, uuid[]);
DROP FUNCTION api.claim_events(text, text, integer);
DROP FUNCTION private.subscription_intake(data.subscriptions, integer, integer, xid8);
DROP FUNCTION private.read_deliveries_one_by_one(text, uuid[], timestamptz[], integer[]);
DROP FUNCTION private.log_positions(integer, xid8, bigint, integer, text[], text[], integer, xid8);
DROP TYPE private.subscription_delivery;

COMMIT;
