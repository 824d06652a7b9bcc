CREATE OR REPLACE FUNCTION orders.check_order_item(in_item jsonb, in_what text) RETURNS void
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

REVOKE ALL ON FUNCTION orders.check_order_item(in_item jsonb, in_what text) FROM PUBLIC;
