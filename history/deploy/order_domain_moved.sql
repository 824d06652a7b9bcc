-- Deploy eventstore:order_domain_moved to pg
-- requires: projections
-- requires: reducers
-- requires: event_registry
-- requires: registered_code
-- requires: event_streams
-- requires: snapshots
-- v2.0.0: the Order domain (customers, the order_summaries read model, the Order reducer,
-- OrderCreated v2's upcaster, the order commands, get_customer_orders) is no longer part of the
-- core. It lives on as the sqitch project examples/orders, which requires this change.
--
-- A database that holds no Order data (no customer, no order summary, no Order stream) loses
-- the Order objects here: a fresh deploy of the core ends without them.
-- A database that holds Order data keeps every Order object as it is, rows, registrations and
-- checkpoints included: deploying examples/orders then adopts them (its scripts create only
-- what is missing and replace the functions by the same definitions). Nothing is dropped that
-- holds a row. The released changes that created these objects stay in the plan (released
-- scripts never change); their verify scripts accept the objects all present or all absent.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DO $$
DECLARE
    l_has_data boolean := false;
BEGIN
    IF pg_catalog.to_regclass('data.customers') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT FROM data.customers)' INTO l_has_data;
    END IF;
    IF NOT l_has_data AND pg_catalog.to_regclass('data.order_summaries') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT FROM data.order_summaries)' INTO l_has_data;
    END IF;
    l_has_data := l_has_data OR EXISTS (SELECT FROM data.event_streams AS s WHERE s.stream_type = 'Order');

    IF l_has_data THEN
        RAISE NOTICE 'the Order domain holds data: its objects are kept; deploy examples/orders to adopt them';
        RETURN;
    END IF;

    -- The registrations first (the projection's checkpoint and skips go with it: ON DELETE
    -- CASCADE), then the invokers that called the registered functions, then the objects.
    DELETE FROM data.projections AS p WHERE p.projection_name = 'order_summaries';
    DELETE FROM data.reducers AS r
    WHERE r.stream_type = 'Order' AND r.reducer = pg_catalog.to_regprocedure('private.order_reducer(jsonb, data.events)');
    DELETE FROM data.snapshots AS s WHERE s.stream_type = 'Order';
    DELETE FROM data.event_upcasters AS u
    WHERE u.event_type = 'OrderCreated' AND u.from_version = 1
      AND u.upcaster = pg_catalog.to_regprocedure('private.upcast_order_created_v1(jsonb)');
    PERFORM private.refresh_event_type('OrderCreated');
    DELETE FROM data.event_types AS t
    WHERE t.event_type = 'OrderCreated'
      AND NOT EXISTS (SELECT FROM data.event_upcasters AS u WHERE u.event_type = t.event_type)
      AND NOT EXISTS (SELECT FROM data.event_schemas AS s WHERE s.event_type = t.event_type);
    PERFORM private.drop_unused_invokers();

    -- get_customer_orders
    DROP FUNCTION IF EXISTS api.get_customer_orders(uuid, text, integer);
    -- order_commands
    DROP PROCEDURE IF EXISTS api.cancel_order(uuid, text, integer);
    DROP PROCEDURE IF EXISTS api.submit_order(uuid, integer);
    DROP PROCEDURE IF EXISTS api.add_order_item(uuid, text, integer, numeric, integer);
    DROP PROCEDURE IF EXISTS api.create_order(uuid, jsonb, uuid);
    DROP FUNCTION IF EXISTS private.append_order_event(uuid, integer, text, jsonb, text);
    DROP FUNCTION IF EXISTS private.load_order(uuid);
    DROP FUNCTION IF EXISTS private.check_order_item(jsonb, text);
    DROP FUNCTION IF EXISTS private.check_order_totals(uuid, numeric, numeric);
    -- order_created_v2
    DROP FUNCTION IF EXISTS private.upcast_order_created_v1(jsonb);
    -- order_aggregate
    DROP FUNCTION IF EXISTS private.order_reducer(jsonb, data.events);
    -- order_summaries
    DROP PROCEDURE IF EXISTS private.project_order_events(integer);
    DROP FUNCTION IF EXISTS private.reset_order_summaries();
    DROP FUNCTION IF EXISTS private.order_summaries_handler(data.events[]);
    DROP FUNCTION IF EXISTS private.order_items_totals(jsonb);
    -- squawk-ignore ban-drop-table
    DROP TABLE IF EXISTS data.order_summaries;  -- empty: checked above
    -- customers
    DROP PROCEDURE IF EXISTS api.create_customer(text, text, uuid);
    -- squawk-ignore ban-drop-table
    DROP TABLE IF EXISTS data.customers;  -- empty: checked above
END
$$;

COMMIT;
