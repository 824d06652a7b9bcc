-- Verify eventstore:event_registry on pg

BEGIN;

SELECT event_type, version, schema, created_at FROM data.event_schemas WHERE false;
SELECT event_type, from_version, upcaster, registered_at FROM data.event_upcasters WHERE false;
SELECT event_type, current_version FROM data.event_types WHERE false;
SELECT 'private.refresh_event_type(text)'::pg_catalog.regprocedure;

ROLLBACK;
