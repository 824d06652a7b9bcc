-- Verify eventstore:event_tags on pg

BEGIN;

SELECT generation, transaction_id, global_position, created_at, event_type, tags FROM data.event_tags WHERE false;
SELECT 'data.event_tags_tags_idx'::pg_catalog.regclass, 'data.event_tags_type_idx'::pg_catalog.regclass;

ROLLBACK;
