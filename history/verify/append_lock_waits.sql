-- Verify eventstore:append_lock_waits on pg

BEGIN;

SELECT waiting_pid, waiting_user, waiting_for, holder_pid, holder_user, holder_application, holder_state,
       holder_xact_age, holder_is_writer, key1, key2
FROM api.append_lock_waits WHERE false;

DO $$
BEGIN
    IF NOT pg_catalog.has_table_privilege('eventstore_reader', 'api.append_lock_waits', 'SELECT') THEN
        RAISE EXCEPTION 'readers must see api.append_lock_waits';
    END IF;
END
$$;

ROLLBACK;
