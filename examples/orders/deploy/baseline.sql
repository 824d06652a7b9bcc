-- Deploy orders:baseline to pg
-- The Order example as v3.1.0 left it (its plan before is history/): the customers, the read
-- model in two versions and the view of the live one, the reducer, the upcaster, the commands
-- and queries, their registrations with the core. Written once from the catalog of a fresh
-- v3.1.0 (pg_dump --schema-only of its objects) and owned by hand since.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server
-- A function's body may name an object made further down (as in pg_dump's output).
SET LOCAL check_function_bodies = off;

CREATE PROCEDURE api.add_order_item(IN in_order_id uuid, IN in_product_id text, IN in_quantity integer, IN in_price numeric, INOUT io_new_version integer DEFAULT NULL::integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON PROCEDURE api.add_order_item(IN in_order_id uuid, IN in_product_id text, IN in_quantity integer, IN in_price numeric, INOUT io_new_version integer) IS 'Adds an item to an open order. Errors: ZE003 invalid item, ZE004 order not found, ZE009 the
order is submitted or cancelled or its totals would pass what the read model holds, ZE001 the
order changed meanwhile (retry).';

CREATE PROCEDURE api.cancel_order(IN in_order_id uuid, IN in_reason text DEFAULT NULL::text, INOUT io_new_version integer DEFAULT NULL::integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON PROCEDURE api.cancel_order(IN in_order_id uuid, IN in_reason text, INOUT io_new_version integer) IS 'Cancels an open or submitted order. Errors: ZE004 order not found, ZE009 already cancelled,
ZE001 the order changed meanwhile (retry).';

CREATE PROCEDURE api.create_customer(IN in_name text, IN in_email text DEFAULT NULL::text, INOUT io_customer_id uuid DEFAULT NULL::uuid)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
BEGIN
    IF in_name IS NULL OR pg_catalog.btrim(in_name) = '' THEN
        RAISE EXCEPTION 'in_name must be a non-empty text' USING ERRCODE = 'ZE003';
    END IF;
    -- Bounded, so that the e-mail index never refuses a row (54000).
    IF pg_catalog.char_length(in_name) > 200 OR pg_catalog.char_length(in_email) > 320 THEN
        RAISE EXCEPTION 'in_name must be at most 200 characters and in_email at most 320, got % and %',
                pg_catalog.char_length(in_name), COALESCE(pg_catalog.char_length(in_email), 0)
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_email !~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN
        RAISE EXCEPTION 'in_email is not an email address: %', in_email USING ERRCODE = 'ZE003';
    END IF;
    IF EXISTS (SELECT FROM data.customers AS c WHERE pg_catalog.lower(c.email) = pg_catalog.lower(in_email)) THEN
        RAISE EXCEPTION 'a customer with email % exists', in_email USING ERRCODE = 'ZE009';
    END IF;

    INSERT INTO data.customers (id, name, email)
    VALUES (COALESCE(io_customer_id, api.uuidv7()), pg_catalog.btrim(in_name), in_email)
    RETURNING id INTO io_customer_id;
EXCEPTION
    WHEN unique_violation THEN
        RAISE EXCEPTION 'customer % or email % exists', io_customer_id, in_email USING ERRCODE = 'ZE009';
END;
$_$;

COMMENT ON PROCEDURE api.create_customer(IN in_name text, IN in_email text, INOUT io_customer_id uuid) IS 'Creates a customer; io_customer_id returns its id (or sets it, when given).
Errors: ZE003 empty or too long name, malformed or too long email, ZE009 the id or the email exists.';

CREATE PROCEDURE api.create_order(IN in_customer_id uuid, IN in_items jsonb, INOUT io_order_id uuid DEFAULT NULL::uuid)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_order_id uuid := COALESCE(io_order_id, api.uuidv7());
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

COMMENT ON PROCEDURE api.create_order(IN in_customer_id uuid, IN in_items jsonb, INOUT io_order_id uuid) IS 'Creates an order for a customer with items [{product_id, quantity, price}] (may be empty);
io_order_id returns its id (or sets it, when given). Errors: ZE003 invalid argument or item
(quantity 1 to 1000000, price 0 to 1000000000, at most 1000 items), ZE004 customer not found,
ZE009 the order exists or its totals pass what the read model holds.';

CREATE FUNCTION api.get_customer_orders(in_customer_id uuid, in_status text DEFAULT NULL::text, in_limit integer DEFAULT 20) RETURNS TABLE(order_id uuid, status text, total_items integer, total_amount numeric, created_at timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_customer_id IS NULL THEN
        RAISE EXCEPTION 'in_customer_id must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    IF in_status NOT IN ('created', 'submitted', 'cancelled') THEN
        RAISE EXCEPTION 'in_status must be created, submitted, cancelled or NULL (any), got %', in_status
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_limit IS NULL OR in_limit < 1 THEN
        RAISE EXCEPTION 'in_limit must be a positive integer, got %', COALESCE(in_limit::text, 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;

    RETURN QUERY
    SELECT s.order_id, s.status, s.total_items, s.total_amount, s.created_at
    FROM data.order_summaries_live AS s
    WHERE s.customer_id = in_customer_id
      AND (in_status IS NULL OR s.status = in_status)
    ORDER BY s.created_at DESC
    LIMIT in_limit;
END;
$$;

COMMENT ON FUNCTION api.get_customer_orders(in_customer_id uuid, in_status text, in_limit integer) IS 'A customer''s orders from the read model, newest first, optionally of one status. The read
model follows the log within seconds (projection order_summaries).
Errors: ZE003 NULL customer, unknown status or bad limit.';

CREATE PROCEDURE api.submit_order(IN in_order_id uuid, INOUT io_new_version integer DEFAULT NULL::integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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

COMMENT ON PROCEDURE api.submit_order(IN in_order_id uuid, INOUT io_new_version integer) IS 'Submits an open order that has items. Errors: ZE004 order not found, ZE009 not open or empty,
ZE001 the order changed meanwhile (retry).';

CREATE FUNCTION private.append_order_event(in_order_id uuid, in_expected_version integer, in_event_type text, in_event_data jsonb, in_command text) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION private.check_order_item(in_item jsonb, in_what text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION private.check_order_totals(in_order_id uuid, in_items numeric, in_amount numeric) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF in_items > 2147483647 OR pg_catalog.round(in_amount, 2) > 9999999999999.99 THEN
        RAISE EXCEPTION 'order % would hold % items worth %: at most 2147483647 items worth 9999999999999.99',
                in_order_id, in_items, in_amount
            USING ERRCODE = 'ZE009';
    END IF;
END;
$$;

CREATE FUNCTION private.erase_forgotten_customers(in_events data.events[]) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    UPDATE data.customers AS c
    SET name = 'forgotten', email = NULL
    FROM pg_catalog.unnest(in_events) AS e
    WHERE e.event_type = '$SubjectForgotten' AND c.id::text = e.event_data ->> 'subject_id';
$_$;

COMMENT ON FUNCTION private.erase_forgotten_customers(in_events data.events[]) IS 'Projection customer_erasure: a forgotten customer keeps its id (orders name it) and loses its name and e-mail';

CREATE FUNCTION private.load_order(in_order_id uuid, OUT state jsonb, OUT version integer) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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

CREATE FUNCTION private.order_items_totals(in_items jsonb, OUT quantity integer, OUT amount numeric) RETURNS record
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT COALESCE(sum((i.item ->> 'quantity')::integer), 0),
           COALESCE(sum(COALESCE((i.item ->> 'price')::numeric, 0) * (i.item ->> 'quantity')::integer), 0)
    FROM pg_catalog.jsonb_array_elements(COALESCE(in_items, '[]'::jsonb)) AS i(item);
$$;

COMMENT ON FUNCTION private.order_items_totals(in_items jsonb, OUT quantity integer, OUT amount numeric) IS 'Total quantity and amount (price x quantity, a missing price counts 0) of an Order event''s items';

CREATE FUNCTION private.order_reducer(in_state jsonb, in_event data.events) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    l_totals record;
BEGIN
    CASE in_event.event_type
        WHEN 'OrderCreated' THEN
            l_totals := private.order_items_totals(in_event.event_data -> 'items');
            RETURN pg_catalog.jsonb_build_object(
                'order_id', in_event.stream_id,
                'customer_id', in_event.event_data -> 'customer_id',
                'status', 'created',
                'items', COALESCE(in_event.event_data -> 'items', '[]'::jsonb),
                'total_items', l_totals.quantity,
                'total_amount', l_totals.amount,
                'created_at', in_event.created_at);
        WHEN 'ItemAdded' THEN
            l_totals := private.order_items_totals(pg_catalog.jsonb_build_array(in_event.event_data));
            RETURN in_state || pg_catalog.jsonb_build_object(
                'items', COALESCE(in_state -> 'items', '[]'::jsonb) || pg_catalog.jsonb_build_array(in_event.event_data),
                'total_items', COALESCE((in_state ->> 'total_items')::integer, 0) + l_totals.quantity,
                'total_amount', COALESCE((in_state ->> 'total_amount')::numeric, 0) + l_totals.amount);
        WHEN 'OrderSubmitted' THEN
            RETURN in_state || '{"status": "submitted"}'::jsonb;
        WHEN 'OrderCancelled' THEN
            RETURN in_state || pg_catalog.jsonb_build_object('status', 'cancelled',
                                                             'cancel_reason', in_event.event_data -> 'reason');
        ELSE
            RETURN in_state;  -- an event type this version does not know changes nothing
    END CASE;
END;
$$;

COMMENT ON FUNCTION private.order_reducer(in_state jsonb, in_event data.events) IS 'Reducer of stream type Order: {order_id, customer_id, status, items, total_items, total_amount, ...}';

CREATE FUNCTION private.order_summaries_handler(in_events data.events[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    INSERT INTO data.order_summaries
        (order_id, customer_id, status, total_items, total_amount, created_at, updated_at)
    SELECT e.stream_id, (e.event_data ->> 'customer_id')::uuid, 'created', t.quantity, t.amount,
           e.created_at, e.created_at
    FROM pg_catalog.unnest(in_events) AS e
    CROSS JOIN LATERAL private.order_items_totals(e.event_data -> 'items') AS t
    WHERE e.stream_type = 'Order' AND e.event_type = 'OrderCreated';

    UPDATE data.order_summaries AS s
    SET total_items = s.total_items + c.quantity,
        total_amount = s.total_amount + c.amount,
        status = COALESCE(c.status, s.status),
        updated_at = GREATEST(s.updated_at, c.updated_at)
    FROM (
        SELECT e.stream_id,
               COALESCE(sum(t.quantity), 0) AS quantity,
               COALESCE(sum(t.amount), 0) AS amount,
               -- the last status change of the batch wins (events come in version order)
               (pg_catalog.array_agg(CASE e.event_type WHEN 'OrderSubmitted' THEN 'submitted'
                                                       WHEN 'OrderCancelled' THEN 'cancelled' END
                                     ORDER BY e.version DESC)
                   FILTER (WHERE e.event_type IN ('OrderSubmitted', 'OrderCancelled')))[1] AS status,
               max(e.created_at) AS updated_at
        FROM pg_catalog.unnest(in_events) AS e
        LEFT JOIN LATERAL private.order_items_totals(pg_catalog.jsonb_build_array(e.event_data)) AS t
               ON e.event_type = 'ItemAdded'
        WHERE e.stream_type = 'Order' AND e.event_type IN ('ItemAdded', 'OrderSubmitted', 'OrderCancelled')
        GROUP BY e.stream_id
    ) AS c
    WHERE s.order_id = c.stream_id;
END;
$$;

COMMENT ON FUNCTION private.order_summaries_handler(in_events data.events[]) IS 'Projection order_summaries: applies Order events to data.order_summaries';

CREATE FUNCTION private.order_summaries_v2_handler(in_events data.events[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    INSERT INTO data.order_summaries_v2
        (order_id, customer_id, status, total_items, total_amount, created_at, updated_at)
    SELECT e.stream_id, (e.event_data ->> 'customer_id')::uuid, 'created', t.quantity, t.amount,
           e.created_at, e.created_at
    FROM pg_catalog.unnest(in_events) AS e
    CROSS JOIN LATERAL private.order_items_totals(e.event_data -> 'items') AS t
    WHERE e.stream_type = 'Order' AND e.event_type = 'OrderCreated';

    UPDATE data.order_summaries_v2 AS s
    SET total_items = s.total_items + c.quantity,
        total_amount = s.total_amount + c.amount,
        status = COALESCE(c.status, s.status),
        updated_at = GREATEST(s.updated_at, c.updated_at),
        submitted_at = COALESCE(c.submitted_at, s.submitted_at),
        cancel_reason = COALESCE(c.cancel_reason, s.cancel_reason)
    FROM (
        SELECT e.stream_id,
               COALESCE(sum(t.quantity), 0) AS quantity,
               COALESCE(sum(t.amount), 0) AS amount,
               -- the last status change of the batch wins (events come in version order)
               (pg_catalog.array_agg(CASE e.event_type WHEN 'OrderSubmitted' THEN 'submitted'
                                                       WHEN 'OrderCancelled' THEN 'cancelled' END
                                     ORDER BY e.version DESC)
                   FILTER (WHERE e.event_type IN ('OrderSubmitted', 'OrderCancelled')))[1] AS status,
               max(e.created_at) AS updated_at,
               min(e.created_at) FILTER (WHERE e.event_type = 'OrderSubmitted') AS submitted_at,
               min(e.event_data ->> 'reason') FILTER (WHERE e.event_type = 'OrderCancelled') AS cancel_reason
        FROM pg_catalog.unnest(in_events) AS e
        LEFT JOIN LATERAL private.order_items_totals(pg_catalog.jsonb_build_array(e.event_data)) AS t
               ON e.event_type = 'ItemAdded'
        WHERE e.stream_type = 'Order' AND e.event_type IN ('ItemAdded', 'OrderSubmitted', 'OrderCancelled')
        GROUP BY e.stream_id
    ) AS c
    WHERE s.order_id = c.stream_id;
END;
$$;

COMMENT ON FUNCTION private.order_summaries_v2_handler(in_events data.events[]) IS 'Projection order_summaries, version 2: applies Order events to data.order_summaries_v2';

CREATE PROCEDURE private.project_order_events(IN in_batch_size integer DEFAULT 100)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM api.run_projection('order_summaries', in_batch_size);
END;
$$;

COMMENT ON PROCEDURE private.project_order_events(IN in_batch_size integer) IS 'Applies the next batch (at most in_batch_size events) of projection order_summaries';

CREATE FUNCTION private.reset_order_summaries() RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    DELETE FROM data.order_summaries;
$$;

CREATE FUNCTION private.reset_order_summaries_v2() RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    DELETE FROM data.order_summaries_v2;
$$;

CREATE FUNCTION private.upcast_order_created_v1(in_event_data jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT '{"shipping_address": null}'::jsonb || in_event_data;
$$;

COMMENT ON FUNCTION private.upcast_order_created_v1(in_event_data jsonb) IS 'OrderCreated v1 -> v2: adds shipping_address (null)';

CREATE TABLE data.customers (
    id uuid DEFAULT api.uuidv7() NOT NULL,
    name text NOT NULL,
    email text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customers_email_check CHECK ((email ~ '^[^@[:space:]]+@[^@[:space:]]+$'::text)),
    CONSTRAINT customers_name_check CHECK ((btrim(name) <> ''::text))
);

COMMENT ON TABLE data.customers IS 'Customers that orders belong to';

CREATE TABLE data.order_summaries (
    order_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    status text NOT NULL,
    total_items integer DEFAULT 0 NOT NULL,
    total_amount numeric(15,2) DEFAULT 0 NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

COMMENT ON TABLE data.order_summaries IS 'Read model: one row per order (projection order_summaries)';

COMMENT ON COLUMN data.order_summaries.total_items IS 'Sum of the quantities of all items, at creation and added';

COMMENT ON COLUMN data.order_summaries.total_amount IS 'Sum of price x quantity of all items (an item without price counts 0)';

CREATE TABLE data.order_summaries_v2 (
    order_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    status text NOT NULL,
    total_items integer DEFAULT 0 NOT NULL,
    total_amount numeric(15,2) DEFAULT 0 NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    submitted_at timestamp with time zone,
    cancel_reason text
);

COMMENT ON TABLE data.order_summaries_v2 IS 'Read model, version 2 of projection order_summaries: one row per order';

COMMENT ON COLUMN data.order_summaries_v2.submitted_at IS 'When the order was submitted (OrderSubmitted), if it was';

COMMENT ON COLUMN data.order_summaries_v2.cancel_reason IS 'The reason given when it was cancelled, if any';

CREATE VIEW data.order_summaries_live AS
 SELECT s.order_id,
    s.customer_id,
    s.status,
    s.total_items,
    s.total_amount,
    s.created_at,
    s.updated_at,
    NULL::timestamp with time zone AS submitted_at,
    NULL::text AS cancel_reason
   FROM data.order_summaries s
  WHERE (api.projection_live_version('order_summaries'::text) = 1)
UNION ALL
 SELECT s.order_id,
    s.customer_id,
    s.status,
    s.total_items,
    s.total_amount,
    s.created_at,
    s.updated_at,
    s.submitted_at,
    s.cancel_reason
   FROM data.order_summaries_v2 s
  WHERE (api.projection_live_version('order_summaries'::text) = 2);

COMMENT ON VIEW data.order_summaries_live IS 'The Order read model as readers see it: the rows of the live version of projection order_summaries';

ALTER TABLE ONLY data.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);

ALTER TABLE ONLY data.order_summaries
    ADD CONSTRAINT order_summaries_pkey PRIMARY KEY (order_id);

ALTER TABLE ONLY data.order_summaries_v2
    ADD CONSTRAINT order_summaries_v2_pkey PRIMARY KEY (order_id);

CREATE UNIQUE INDEX customers_email_key ON data.customers USING btree (lower(email));

CREATE INDEX order_summaries_customer_idx ON data.order_summaries USING btree (customer_id, created_at DESC);

CREATE INDEX order_summaries_v2_customer_idx ON data.order_summaries_v2 USING btree (customer_id, created_at DESC);

REVOKE ALL ON PROCEDURE api.add_order_item(IN in_order_id uuid, IN in_product_id text, IN in_quantity integer, IN in_price numeric, INOUT io_new_version integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE api.add_order_item(IN in_order_id uuid, IN in_product_id text, IN in_quantity integer, IN in_price numeric, INOUT io_new_version integer) TO eventstore_writer;

REVOKE ALL ON PROCEDURE api.cancel_order(IN in_order_id uuid, IN in_reason text, INOUT io_new_version integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE api.cancel_order(IN in_order_id uuid, IN in_reason text, INOUT io_new_version integer) TO eventstore_writer;

REVOKE ALL ON PROCEDURE api.create_customer(IN in_name text, IN in_email text, INOUT io_customer_id uuid) FROM PUBLIC;
GRANT ALL ON PROCEDURE api.create_customer(IN in_name text, IN in_email text, INOUT io_customer_id uuid) TO eventstore_writer;

REVOKE ALL ON PROCEDURE api.create_order(IN in_customer_id uuid, IN in_items jsonb, INOUT io_order_id uuid) FROM PUBLIC;
GRANT ALL ON PROCEDURE api.create_order(IN in_customer_id uuid, IN in_items jsonb, INOUT io_order_id uuid) TO eventstore_writer;

REVOKE ALL ON FUNCTION api.get_customer_orders(in_customer_id uuid, in_status text, in_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION api.get_customer_orders(in_customer_id uuid, in_status text, in_limit integer) TO eventstore_reader;

REVOKE ALL ON PROCEDURE api.submit_order(IN in_order_id uuid, INOUT io_new_version integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE api.submit_order(IN in_order_id uuid, INOUT io_new_version integer) TO eventstore_writer;

REVOKE ALL ON FUNCTION private.append_order_event(in_order_id uuid, in_expected_version integer, in_event_type text, in_event_data jsonb, in_command text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.check_order_item(in_item jsonb, in_what text) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.check_order_totals(in_order_id uuid, in_items numeric, in_amount numeric) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.erase_forgotten_customers(in_events data.events[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.load_order(in_order_id uuid, OUT state jsonb, OUT version integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.order_items_totals(in_items jsonb, OUT quantity integer, OUT amount numeric) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.order_reducer(in_state jsonb, in_event data.events) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.order_summaries_handler(in_events data.events[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.order_summaries_v2_handler(in_events data.events[]) FROM PUBLIC;

REVOKE ALL ON PROCEDURE private.project_order_events(IN in_batch_size integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION private.reset_order_summaries() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.reset_order_summaries_v2() FROM PUBLIC;

REVOKE ALL ON FUNCTION private.upcast_order_created_v1(in_event_data jsonb) FROM PUBLIC;

-- Registrations: the read model's projection and its version 2 (version 1 stays live until
-- promoted), the reducer (a snapshot every 100 events), the upcaster, personal data and the
-- projection that erases forgotten customers.
DO $$
BEGIN
    PERFORM api.register_projection(
        in_projection_name := 'order_summaries',
        in_handler := 'private.order_summaries_handler(data.events[])',
        in_reset_handler := 'private.reset_order_summaries()',
        in_stream_types := ARRAY['Order'],
        in_batch_size := 500);
    PERFORM api.register_projection_version('order_summaries', 2, 'private.order_summaries_v2_handler(data.events[])',
                                            'private.reset_order_summaries_v2()');
    PERFORM api.register_reducer('Order', 'private.order_reducer(jsonb, data.events)', 1, 100);
    PERFORM api.register_upcaster('OrderCreated', 1, 'private.upcast_order_created_v1(jsonb)');
    PERFORM api.register_personal_data('OrderCreated', '$.customer_id', ARRAY['shipping_address']);
    PERFORM api.register_projection(
        in_projection_name := 'customer_erasure',
        in_handler := 'private.erase_forgotten_customers(data.events[])',
        in_stream_types := ARRAY['$subject']);
END
$$;

COMMIT;
