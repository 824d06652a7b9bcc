-- Revert eventstore:events_append_only from pg
-- The guard as the version before had it: every UPDATE, DELETE and TRUNCATE refused. (Its
-- triggers are those of the first version of this change.)

BEGIN;

CREATE OR REPLACE FUNCTION private.refuse_event_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'ZE008',
              HINT = 'Events are facts; correct one by appending a compensating event. '
                     'Old months are retired with api.detach_event_partitions.';
END;
$$;

COMMENT ON FUNCTION private.refuse_event_change() IS
    'Trigger: refuses UPDATE, DELETE and TRUNCATE of events (SQLSTATE ZE008)';

COMMIT;
