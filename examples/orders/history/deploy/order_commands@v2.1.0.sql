-- Deploy orders:order_commands to pg
-- requires: order_aggregate
-- requires: order_created_v2
-- requires: order_items_totals
-- requires: customers
-- requires: eventstore:append_events
-- requires: eventstore:get_stream_version
-- requires: eventstore:snapshots
-- requires: eventstore:uuidv7
-- requires: eventstore:roles
-- CQRS commands of the Order domain. Each loads the order's state with its reducer, checks
-- the rule against it, and appends with the version it loaded: a concurrent change in
-- between makes the append fail with ZE001 (reload and retry).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

-- The commands refuse what the read model (data.order_summaries: total_items
-- integer, total_amount numeric(15,2)) and the reducer could not hold: a price above
-- 1,000,000,000, a product_id past 200 characters, more than 1,000 items at creation, an
-- order whose totals would pass 2,147,483,647 items or 9,999,999,999,999.99 (ZE003, ZE009).

-- Raises ZE003 unless in_item is {product_id: non-empty text, quantity: positive integer,
-- price: number >= 0, ...}; in_what names it in the message.
CREATE OR REPLACE FUNCTION private.check_order_item(in_item jsonb, in_what text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.jsonb_typeof(in_item) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION '% must be an object {product_id, quantity, price}, got %', in_what, in_item
            USING ERRCODE = 'ZE003';
    END IF;
    IF pg_catalog.jsonb_typeof(in_item -> 'product_id') IS DISTINCT FROM 'string' OR in_item ->> 'product_id' = ''
       OR pg_catalog.char_length(in_item ->> 'product_id') > 200 THEN
        RAISE EXCEPTION '% has no product_id of 1 to 200 characters', in_what USING ERRCODE = 'ZE003';
    END IF;
    IF pg_catalog.jsonb_typeof(in_item -> 'quantity') IS DISTINCT FROM 'number'
       OR (in_item ->> 'quantity')::numeric <= 0
       OR (in_item ->> 'quantity')::numeric <> pg_catalog.trunc((in_item ->> 'quantity')::numeric)
       OR (in_item ->> 'quantity')::numeric > 1000000 THEN
        RAISE EXCEPTION '% has quantity %: it must be a whole number from 1 to 1000000', in_what,
                COALESCE(in_item -> 'quantity', 'null')
            USING ERRCODE = 'ZE003';
    END IF;
    IF pg_catalog.jsonb_typeof(in_item -> 'price') IS DISTINCT FROM 'number' OR (in_item ->> 'price')::numeric < 0
       OR (in_item ->> 'price')::numeric > 1000000000 THEN
        RAISE EXCEPTION '% has price %: it must be a number from 0 to 1000000000', in_what, COALESCE(in_item -> 'price', 'null')
            USING ERRCODE = 'ZE003';
    END IF;
END;
$$;

-- Raises ZE009 when an order's totals would pass what its read model holds.
CREATE OR REPLACE FUNCTION private.check_order_totals(in_order_id uuid, in_items numeric, in_amount numeric)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_items > 2147483647 OR pg_catalog.round(in_amount, 2) > 9999999999999.99 THEN
        RAISE EXCEPTION 'order % would hold % items worth %: at most 2147483647 items worth 9999999999999.99',
                in_order_id, in_items, in_amount
            USING ERRCODE = 'ZE009';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION private.check_order_totals(uuid, numeric, numeric) FROM PUBLIC;

-- The order's state and version; ZE004 when there is no such order.
CREATE OR REPLACE FUNCTION private.load_order(in_order_id uuid, OUT state jsonb, OUT version integer)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_order_id IS NULL THEN
        RAISE EXCEPTION 'in_order_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    SELECT a.state, a.version INTO state, version FROM api.load_aggregate('Order', in_order_id) AS a;
    IF version = 0 THEN
        RAISE EXCEPTION 'Order not found: %', in_order_id USING ERRCODE = 'ZE004';
    END IF;
END;
$$;

-- Appends one event of a command to an order, with who ran which command as metadata.
CREATE OR REPLACE FUNCTION private.append_order_event(
    in_order_id uuid, in_expected_version integer, in_event_type text, in_event_data jsonb, in_command text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_version integer;
BEGIN
    CALL api.append_events('Order', in_order_id, in_expected_version,
        pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'event_type', in_event_type,
            'event_data', in_event_data,
            'metadata', pg_catalog.jsonb_build_object('source', 'api.' || in_command,
                                                      'db_user', session_user::text))),
        l_version);
    RETURN l_version;
END;
$$;

-- Command: Create Order
CREATE OR REPLACE PROCEDURE api.create_order(
    in_customer_id uuid,
    in_items jsonb,  -- [{product_id, quantity, price}]
    INOUT io_order_id uuid DEFAULT NULL
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_order_id uuid := COALESCE(io_order_id, private.uuidv7());
    l_items jsonb := COALESCE(in_items, '[]'::jsonb);
    l_total numeric;
BEGIN
    -- Validate
    IF in_customer_id IS NULL THEN
        RAISE EXCEPTION 'in_customer_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM data.customers AS c WHERE c.id = in_customer_id) THEN
        RAISE EXCEPTION 'Customer not found: %', in_customer_id
            USING ERRCODE = 'ZE004';
    END IF;
    IF pg_catalog.jsonb_typeof(l_items) <> 'array' THEN
        RAISE EXCEPTION 'in_items must be a JSON array of {product_id, quantity, price}, got %', l_items
            USING ERRCODE = 'ZE003';
    END IF;
    IF pg_catalog.jsonb_array_length(l_items) > 1000 THEN
        RAISE EXCEPTION 'in_items has % items: at most 1000 at creation', pg_catalog.jsonb_array_length(l_items)
            USING ERRCODE = 'ZE003';
    END IF;
    PERFORM private.check_order_item(i.item, 'item ' || i.ord)
    FROM pg_catalog.jsonb_array_elements(l_items) WITH ORDINALITY AS i(item, ord);
    PERFORM private.check_order_totals(l_order_id, sum((i.item ->> 'quantity')::numeric),
                                       sum((i.item ->> 'quantity')::numeric * (i.item ->> 'price')::numeric))
    FROM pg_catalog.jsonb_array_elements(l_items) AS i(item);
    IF api.get_stream_version('Order', l_order_id) > 0 THEN
        RAISE EXCEPTION 'order % exists', l_order_id USING ERRCODE = 'ZE009';
    END IF;

    -- Calculate total
    SELECT t.amount INTO l_total FROM private.order_items_totals(l_items) AS t;

    -- Append event
    -- OrderCreated version 2 (change order_created_v2): the address is not known yet.
    PERFORM private.append_order_event(l_order_id, 0, 'OrderCreated',
        pg_catalog.jsonb_build_object('customer_id', in_customer_id, 'items', l_items, 'total', l_total,
                                      'shipping_address', NULL),
        'create_order');

    io_order_id := l_order_id;
END;
$$;

COMMENT ON PROCEDURE api.create_order(uuid, jsonb, uuid) IS
$$Creates an order for a customer with items [{product_id, quantity, price}] (may be empty);
io_order_id returns its id (or sets it, when given). Errors: ZE003 invalid argument or item
(quantity 1 to 1000000, price 0 to 1000000000, at most 1000 items), ZE004 customer not found,
ZE009 the order exists or its totals pass what the read model holds.$$;

CREATE OR REPLACE PROCEDURE api.add_order_item(
    in_order_id uuid,
    in_product_id text,
    in_quantity integer,
    in_price numeric,
    INOUT io_new_version integer DEFAULT NULL
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_order record := private.load_order(in_order_id);
    l_item jsonb := pg_catalog.jsonb_build_object('product_id', in_product_id, 'quantity', in_quantity,
                                                  'price', in_price);
BEGIN
    PERFORM private.check_order_item(l_item, 'the item');
    PERFORM private.check_order_totals(in_order_id,
                                       (l_order.state ->> 'total_items')::numeric + in_quantity,
                                       (l_order.state ->> 'total_amount')::numeric + in_quantity * in_price);
    IF l_order.state ->> 'status' <> 'created' THEN
        RAISE EXCEPTION 'order % is %: items can only be added to an open order', in_order_id, l_order.state ->> 'status'
            USING ERRCODE = 'ZE009';
    END IF;
    io_new_version := private.append_order_event(in_order_id, l_order.version, 'ItemAdded', l_item, 'add_order_item');
END;
$$;

COMMENT ON PROCEDURE api.add_order_item(uuid, text, integer, numeric, integer) IS
$$Adds an item to an open order. Errors: ZE003 invalid item, ZE004 order not found, ZE009 the
order is submitted or cancelled or its totals would pass what the read model holds, ZE001 the
order changed meanwhile (retry).$$;

CREATE OR REPLACE PROCEDURE api.submit_order(
    in_order_id uuid,
    INOUT io_new_version integer DEFAULT NULL
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_order record := private.load_order(in_order_id);
BEGIN
    IF l_order.state ->> 'status' <> 'created' THEN
        RAISE EXCEPTION 'order % is %: only an open order can be submitted', in_order_id, l_order.state ->> 'status'
            USING ERRCODE = 'ZE009';
    END IF;
    IF (l_order.state ->> 'total_items')::integer = 0 THEN
        RAISE EXCEPTION 'order % has no items: an empty order cannot be submitted', in_order_id
            USING ERRCODE = 'ZE009';
    END IF;
    io_new_version := private.append_order_event(in_order_id, l_order.version, 'OrderSubmitted', '{}', 'submit_order');
END;
$$;

COMMENT ON PROCEDURE api.submit_order(uuid, integer) IS
$$Submits an open order that has items. Errors: ZE004 order not found, ZE009 not open or empty,
ZE001 the order changed meanwhile (retry).$$;

CREATE OR REPLACE PROCEDURE api.cancel_order(
    in_order_id uuid,
    in_reason text DEFAULT NULL,
    INOUT io_new_version integer DEFAULT NULL
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_order record := private.load_order(in_order_id);
BEGIN
    IF l_order.state ->> 'status' = 'cancelled' THEN
        RAISE EXCEPTION 'order % is already cancelled', in_order_id USING ERRCODE = 'ZE009';
    END IF;
    io_new_version := private.append_order_event(in_order_id, l_order.version, 'OrderCancelled',
        pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('reason', in_reason)), 'cancel_order');
END;
$$;

COMMENT ON PROCEDURE api.cancel_order(uuid, text, integer) IS
$$Cancels an open or submitted order. Errors: ZE004 order not found, ZE009 already cancelled,
ZE001 the order changed meanwhile (retry).$$;

REVOKE ALL ON FUNCTION private.check_order_item(jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.load_order(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION private.append_order_event(uuid, integer, text, jsonb, text) FROM PUBLIC;
REVOKE ALL ON PROCEDURE api.create_order(uuid, jsonb, uuid) FROM PUBLIC;
REVOKE ALL ON PROCEDURE api.add_order_item(uuid, text, integer, numeric, integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE api.submit_order(uuid, integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE api.cancel_order(uuid, text, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.create_order(uuid, jsonb, uuid) TO eventstore_writer;
GRANT EXECUTE ON PROCEDURE api.add_order_item(uuid, text, integer, numeric, integer) TO eventstore_writer;
GRANT EXECUTE ON PROCEDURE api.submit_order(uuid, integer) TO eventstore_writer;
GRANT EXECUTE ON PROCEDURE api.cancel_order(uuid, text, integer) TO eventstore_writer;

COMMIT;
