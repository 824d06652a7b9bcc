-- Deploy eventstore:schemas to pg
-- requires: roles
-- data: tables, nothing for PUBLIC. private: internals. api: the interface.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE SCHEMA data;
CREATE SCHEMA private;
CREATE SCHEMA api;

REVOKE ALL ON SCHEMA data, private, api FROM PUBLIC;
GRANT USAGE ON SCHEMA api TO eventstore_reader;

COMMENT ON SCHEMA data IS 'Event store tables and read models; reached only through api';
COMMENT ON SCHEMA private IS 'Event store internals: helpers, handlers, runners';
COMMENT ON SCHEMA api IS 'Event store interface: append, read, commands, queries, operations';

COMMIT;
