-- Verify eventstore:event_registry on pg

BEGIN;

SELECT event_type, version, schema, created_at FROM data.event_schemas WHERE false;
SELECT event_type, from_version, upcaster, registered_at FROM data.event_upcasters WHERE false;
SELECT event_type, current_version FROM data.event_types WHERE false;

DO $$
BEGIN
    INSERT INTO data.event_schemas (event_type, version, schema) VALUES ('VerifyType', 3, '{}');
    PERFORM private.refresh_event_type('VerifyType');
    ASSERT (SELECT t.current_version FROM data.event_types AS t WHERE t.event_type = 'VerifyType') = 3,
        'the current version follows the schemas';
END
$$;

ROLLBACK;
