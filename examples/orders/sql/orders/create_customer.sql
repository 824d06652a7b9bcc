CREATE OR REPLACE PROCEDURE orders.create_customer(IN in_name text, IN in_email text DEFAULT NULL::text, INOUT io_customer_id uuid DEFAULT NULL::uuid)
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
    IF EXISTS (SELECT FROM orders.customers AS c WHERE pg_catalog.lower(c.email) = pg_catalog.lower(in_email)) THEN
        RAISE EXCEPTION 'a customer with email % exists', in_email USING ERRCODE = 'ZE009';
    END IF;

    INSERT INTO orders.customers (id, name, email)
    VALUES (COALESCE(io_customer_id, api.uuidv7()), pg_catalog.btrim(in_name), in_email)
    RETURNING id INTO io_customer_id;
EXCEPTION
    WHEN unique_violation THEN
        RAISE EXCEPTION 'customer % or email % exists', io_customer_id, in_email USING ERRCODE = 'ZE009';
END;
$_$;

COMMENT ON PROCEDURE orders.create_customer(IN in_name text, IN in_email text, INOUT io_customer_id uuid) IS 'Creates a customer; io_customer_id returns its id (or sets it, when given).
Errors: ZE003 empty or too long name, malformed or too long email, ZE009 the id or the email exists.';

REVOKE ALL ON PROCEDURE orders.create_customer(IN in_name text, IN in_email text, INOUT io_customer_id uuid) FROM PUBLIC;

GRANT ALL ON PROCEDURE orders.create_customer(IN in_name text, IN in_email text, INOUT io_customer_id uuid) TO eventstore_writer;
