-- Deploy orders:customers to pg
-- requires: eventstore:order_domain_moved
-- requires: eventstore:schemas
-- requires: eventstore:uuidv7
-- requires: eventstore:roles
-- requires: eventstore:code
-- The customers an order belongs to: reference data, not an event-sourced aggregate.
-- On a database upgraded from eventstore v1.x that held Order data, the core kept this
-- change's objects (eventstore:order_domain_moved): this script adopts them, creating only
-- what is missing and replacing functions by the same definitions. Ids come from api.uuidv7:
-- the example reaches the store's own objects only through api.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

CREATE TABLE IF NOT EXISTS data.customers (
    id         uuid PRIMARY KEY DEFAULT api.uuidv7(),
    name       text NOT NULL CHECK (pg_catalog.btrim(name) <> ''),
    email      text CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);

ALTER TABLE data.customers ALTER COLUMN id SET DEFAULT api.uuidv7();  -- a table made before

CREATE UNIQUE INDEX IF NOT EXISTS customers_email_key ON data.customers (pg_catalog.lower(email));

COMMENT ON TABLE data.customers IS 'Customers that orders belong to';

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
$$;

COMMENT ON PROCEDURE api.create_customer(text, text, uuid) IS
$$Creates a customer; io_customer_id returns its id (or sets it, when given).
Errors: ZE003 empty or too long name, malformed or too long email, ZE009 the id or the email exists.$$;

REVOKE ALL ON PROCEDURE api.create_customer(text, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE api.create_customer(text, text, uuid) TO eventstore_writer;

COMMIT;
