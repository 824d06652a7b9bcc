-- Verify eventstore:order_created_v2 on pg

BEGIN;

DO $$
BEGIN
    ASSERT private.upcast_event('OrderCreated', '{"customer_id": "c"}', 1, 2)
           = '{"customer_id": "c", "shipping_address": null}', 'v1 reads as v2';
    ASSERT (SELECT t.current_version FROM data.event_types AS t WHERE t.event_type = 'OrderCreated') = 2,
        'OrderCreated is at version 2';
END
$$;

ROLLBACK;
