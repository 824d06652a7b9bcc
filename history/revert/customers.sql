-- Deploy eventstore:customers to pg
-- requires: schemas
-- requires: uuidv7
-- requires: roles
-- The customers api.create_order checks (the seed reads data.customers but never defines it).
-- Reference data, not an event-sourced aggregate.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

-- (Its tables are those of the first version of this change.)

CREATE OR REPLACE PROCEDURE api.create_customer(
    in_name text,
    in_email text DEFAULT NULL,
    INOUT io_customer_id uuid DEFAULT NULL
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_name IS NULL OR pg_catalog.btrim(in_name) = '' THEN
        RAISE EXCEPTION 'in_name must be a non-empty text' USING ERRCODE = 'ZE003';
    END IF;
    IF in_email !~ '^[^@[:space:]]+@[^@[:space:]]+$' THEN
        RAISE EXCEPTION 'in_email is not an email address: %', in_email USING ERRCODE = 'ZE003';
    END IF;
    IF EXISTS (SELECT FROM data.customers AS c WHERE pg_catalog.lower(c.email) = pg_catalog.lower(in_email)) THEN
        RAISE EXCEPTION 'a customer with email % exists', in_email USING ERRCODE = 'ZE009';
    END IF;

    INSERT INTO data.customers (id, name, email)
    VALUES (COALESCE(io_customer_id, private.uuidv7()), pg_catalog.btrim(in_name), in_email)
    RETURNING id INTO io_customer_id;
EXCEPTION
    WHEN unique_violation THEN
        RAISE EXCEPTION 'customer % or email % exists', io_customer_id, in_email USING ERRCODE = 'ZE009';
END;
$$;

COMMENT ON PROCEDURE api.create_customer(text, text, uuid) IS
$$Creates a customer; io_customer_id returns its id (or sets it, when given).
Errors: ZE003 empty name or malformed email, ZE009 the id or the email exists.$$;

REVOKE ALL ON PROCEDURE api.create_customer(text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.create_customer(text, text, uuid) TO eventstore_writer;

COMMIT;
