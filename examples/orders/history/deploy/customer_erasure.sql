-- Deploy orders:customer_erasure to pg
-- requires: customers
-- requires: order_created_v2
-- requires: eventstore:personal_data
-- requires: eventstore:projection_admin
-- Personal data in the Order example. The customer is the data subject: OrderCreated's
-- shipping_address is stored sealed with the customer's key ($.customer_id). When an admin
-- forgets a customer (api.forget_subject('<customer id>')), every reader sees the address as
-- null, and projection customer_erasure erases the example's own copy of the customer's
-- personal data: the name and e-mail in data.customers (reference data, not events).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

CREATE OR REPLACE FUNCTION private.erase_forgotten_customers(in_events data.events[])
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE data.customers AS c
    SET name = 'forgotten', email = NULL
    FROM pg_catalog.unnest(in_events) AS e
    WHERE e.event_type = '$SubjectForgotten' AND c.id::text = e.event_data ->> 'subject_id';
$$;

COMMENT ON FUNCTION private.erase_forgotten_customers(data.events[]) IS
    'Projection customer_erasure: a forgotten customer keeps its id (orders name it) and loses its name and e-mail';

REVOKE ALL ON FUNCTION private.erase_forgotten_customers(data.events[]) FROM PUBLIC;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM data.personal_data AS p WHERE p.event_type = 'OrderCreated') THEN
        PERFORM api.register_personal_data('OrderCreated', '$.customer_id', ARRAY['shipping_address']);
    END IF;
    IF NOT EXISTS (SELECT FROM data.projections AS p WHERE p.projection_name = 'customer_erasure') THEN
        PERFORM api.register_projection(
            in_projection_name := 'customer_erasure',
            in_handler := 'private.erase_forgotten_customers(data.events[])',
            in_stream_types := ARRAY['$subject']);
    END IF;
END
$$;

COMMIT;
