-- Deploy eventstore:pgcrypto_extension to pg
-- requires: schemas
-- pgcrypto (PostgreSQL's contrib package) encrypts personal data (change personal_data). Made
-- here if the database does not have it yet, in the schema its CREATE EXTENSION picks;
-- personal_data finds it wherever it is.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE EXTENSION IF NOT EXISTS pgcrypto;

COMMIT;
