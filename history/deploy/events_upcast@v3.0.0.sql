-- Deploy eventstore:events_upcast to pg
-- requires: event_upcasters
-- requires: personal_data
-- private.events_upcast: data.events as every reader reads it (stream, whole log, by type,
-- correlation, subscriptions, aggregates and snapshots, projection handlers). Each payload
-- has its personal data opened (change personal_data: the plaintext while the subject's key
-- exists, JSON null after) and is upcast to the current version of its type. Made first by
-- event_upcasters; since v2.0.0 a change of its own. Only event types registered with
-- api.register_personal_data pay for the opening.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE VIEW private.events_upcast AS
SELECT e.id, e.stream_type, e.stream_id, e.version, e.event_type,
       CASE WHEN e.schema_version < t.current_version
            THEN private.upcast_event(e.event_type,
                                      CASE WHEN p.event_type IS NULL THEN e.event_data
                                           ELSE private.reveal_personal_data(e.event_data) END,
                                      e.schema_version, t.current_version)
            WHEN p.event_type IS NULL THEN e.event_data
            ELSE private.reveal_personal_data(e.event_data) END AS event_data,
       CASE WHEN e.schema_version < t.current_version AND e.metadata ? 'version'
            THEN e.metadata || pg_catalog.jsonb_build_object('version', t.current_version)
            ELSE e.metadata END AS metadata,
       e.created_at, e.global_position, e.transaction_id, e.generation,
       GREATEST(e.schema_version, t.current_version) AS schema_version
FROM data.events AS e
LEFT JOIN data.event_types AS t ON t.event_type = e.event_type
LEFT JOIN data.personal_data AS p ON p.event_type = e.event_type;

COMMENT ON VIEW private.events_upcast IS
    'data.events as readers read it: personal data opened (null once forgotten), payloads upcast to the current version';

COMMIT;
