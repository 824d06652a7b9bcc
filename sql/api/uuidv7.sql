-- Time-ordered ids for an application's streams and rows: the UUID version 7 the store gives
-- its events (private.uuidv7; PostgreSQL 18's built-in where there is one). Ids made one after
-- the other sort in time order, which keeps a B-tree index on them appending at its end.

CREATE OR REPLACE FUNCTION api.uuidv7()
RETURNS uuid
LANGUAGE sql
VOLATILE
SECURITY DEFINER  -- private.uuidv7 is the store's; callers need no right on schema private
SET search_path = pg_catalog, pg_temp
AS $$ SELECT private.uuidv7() $$;

COMMENT ON FUNCTION api.uuidv7() IS 'A new time-ordered UUID (version 7, RFC 9562), as the store makes event ids';
REVOKE ALL ON FUNCTION api.uuidv7() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.uuidv7() TO eventstore_reader;
