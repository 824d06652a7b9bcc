-- Revert eventstore:events_upcast from pg
-- The view as event_upcasters made it (no personal data opened).

BEGIN;

CREATE OR REPLACE VIEW private.events_upcast AS
SELECT e.id, e.stream_type, e.stream_id, e.version, e.event_type,
       CASE WHEN e.schema_version < t.current_version
            THEN private.upcast_event(e.event_type, e.event_data, e.schema_version, t.current_version)
            ELSE e.event_data END AS event_data,
       CASE WHEN e.schema_version < t.current_version AND e.metadata ? 'version'
            THEN e.metadata || pg_catalog.jsonb_build_object('version', t.current_version)
            ELSE e.metadata END AS metadata,
       e.created_at, e.global_position, e.transaction_id, e.generation,
       GREATEST(e.schema_version, t.current_version) AS schema_version
FROM data.events AS e
LEFT JOIN data.event_types AS t ON t.event_type = e.event_type;

COMMENT ON VIEW private.events_upcast IS
    'data.events with each payload upcast to the current version of its type (what every reader reads)';

COMMIT;
