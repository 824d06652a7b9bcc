-- The side-effect gate: true inside a projection handler's call whose events the projection
-- has acted on already (a version that is not live, one just promoted that was behind, or a
-- projection reset or rebuilt). The runner sets it before every handler call.

CREATE OR REPLACE FUNCTION api.projection_replaying()
RETURNS boolean
LANGUAGE sql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE(pg_catalog.current_setting('eventstore.projection_replaying', true), '') = 'on';
$$;

COMMENT ON FUNCTION api.projection_replaying() IS 'True inside a projection handler call that replays events the projection has acted on already
(a version that is not live, a promoted one that was behind, a reset or rebuilt projection):
update the read model, send nothing again. False elsewhere.';
REVOKE ALL ON FUNCTION api.projection_replaying() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.projection_replaying() TO eventstore_reader;
