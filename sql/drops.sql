-- Dropped before the code files are applied (deploy/code.sql includes this file first): the
-- objects this code no longer has, and those whose shape CREATE OR REPLACE cannot change (a
-- function's result type, a view's columns), which their files then create again. IF EXISTS:
-- a database may never have had them. After a release this file starts empty again (the
-- released code text keeps what it dropped). The layout check proves it complete: a fresh
-- install still runs the released changes that made the old objects, so one left behind is in
-- the schema snapshot with no file of sql/ defining it (tests/test_layout.py); and a database
-- upgraded from any release has the catalog of a fresh install (tests/test_migrations.py).

-- Its result was the row of private.events_upcast; now the columns its callers read.
DROP FUNCTION IF EXISTS private.read_event_alone(uuid, timestamptz);
-- Renamed for what they are: the view upcasts and reveals personal data (events_as_read), the
-- conservative horizon is not the read horizon, one event's cursor position is not the refs of
-- a stretch of the log.
DROP VIEW IF EXISTS private.events_upcast;
DROP FUNCTION IF EXISTS private.log_horizon();
DROP FUNCTION IF EXISTS private.log_position(uuid);
DROP FUNCTION IF EXISTS private.log_positions(integer, xid8, bigint, integer, text[], text[], integer, xid8);
-- api.projection_status and its function show each version of a projection (new columns).
DROP VIEW IF EXISTS api.projection_status;
DROP FUNCTION IF EXISTS private.projection_status();
