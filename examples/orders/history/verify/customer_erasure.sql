-- Verify orders:customer_erasure on pg

BEGIN;

SELECT 'private.erase_forgotten_customers(data.events[])'::pg_catalog.regprocedure;

DO $$
BEGIN
    IF (SELECT p.handler FROM data.projections AS p WHERE p.projection_name = 'customer_erasure')
       IS DISTINCT FROM 'private.erase_forgotten_customers(data.events[])'::pg_catalog.regprocedure THEN
        RAISE EXCEPTION 'projection customer_erasure must be registered with private.erase_forgotten_customers';
    END IF;
    IF NOT EXISTS (SELECT FROM data.personal_data AS p WHERE p.event_type = 'OrderCreated' AND 'shipping_address' = ANY (p.fields)) THEN
        RAISE EXCEPTION 'OrderCreated''s shipping_address must be registered as personal data';
    END IF;
END
$$;

ROLLBACK;
