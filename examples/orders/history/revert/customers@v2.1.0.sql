-- Revert orders:customers from pg

BEGIN;

DROP PROCEDURE api.create_customer(text, text, uuid);
DROP TABLE data.customers;

COMMIT;
