CREATE OR REPLACE FUNCTION orders.erase_forgotten_customers(in_events data.events[]) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
    UPDATE orders.customers AS c
    SET name = 'forgotten', email = NULL
    FROM pg_catalog.unnest(in_events) AS e
    WHERE e.event_type = '$SubjectForgotten' AND c.id::text = e.event_data ->> 'subject_id';
$_$;

COMMENT ON FUNCTION orders.erase_forgotten_customers(in_events data.events[]) IS 'Projection customer_erasure: a forgotten customer keeps its id (orders name it) and loses its name and e-mail';

REVOKE ALL ON FUNCTION orders.erase_forgotten_customers(in_events data.events[]) FROM PUBLIC;
