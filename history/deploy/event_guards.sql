-- Deploy eventstore:event_guards to pg
-- requires: events_append_only
-- requires: event_partitions
-- requires: registered_code
-- Event triggers guard what the row and TRUNCATE triggers cannot: the owner of the bundle
-- (a superuser, often) could destroy events by DROP TABLE of a partition, by DETACH then
-- DELETE, or by disabling the append-only triggers; and anyone who can drop a registered
-- function with CASCADE, or an invoker, would leave a registration that fails every reader.
-- Refused, with ZE008 (events) and ZE010 (registrations):
--   * ALTER TABLE that leaves an append-only trigger of data.events or a partition not
--     ENABLE ALWAYS (DISABLE TRIGGER, ENABLE REPLICA TRIGGER ...);
--   * a month detached other than by api.detach_event_partitions (which records it in
--     data.retired_event_partitions);
--   * DROP of data.events, of a partition still attached, or of data.events_default;
--   * DROP of an invoker a registration uses (DROP FUNCTION ... CASCADE, DROP OWNED).
-- Creating event triggers takes a superuser: deployed by another role, this change creates
-- none and says so (README: Security lists what no trigger can guard).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION private.guard_events_ddl()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER  -- it reads the registries, whoever runs the DDL
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_bad text;
BEGIN
    IF pg_catalog.current_setting('eventstore.partition_maintenance', true) = 'on'
       OR NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger_ddl_commands() AS c WHERE c.schema_name = 'data') THEN
        RETURN;
    END IF;

    SELECT pg_catalog.format('trigger %s of %s is %s', t.tgname, t.tgrelid::pg_catalog.regclass,
                             CASE t.tgenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica only'
                                              ELSE 'origin only' END)
    INTO l_bad
    FROM pg_catalog.pg_trigger AS t
    WHERE t.tgname IN ('events_refuse_update_delete', 'events_refuse_truncate')
      AND (t.tgrelid = 'data.events'::pg_catalog.regclass
           OR t.tgrelid IN (SELECT i.inhrelid FROM pg_catalog.pg_inherits AS i
                            WHERE i.inhparent = 'data.events'::pg_catalog.regclass))
      AND t.tgenabled <> 'A'
    LIMIT 1;
    IF l_bad IS NULL THEN
        SELECT pg_catalog.format('data.%s was detached from data.events', c.relname) INTO l_bad
        FROM pg_catalog.pg_class AS c
        WHERE c.relnamespace = 'data'::pg_catalog.regnamespace AND c.relkind = 'r'
          AND c.relname ~ '^events_([0-9]{4}_[0-9]{2}|default)$'
          AND NOT c.relispartition
          AND NOT EXISTS (SELECT FROM data.retired_event_partitions AS r WHERE r.partition_name = c.relname)
        LIMIT 1;
    END IF;
    IF l_bad IS NOT NULL THEN
        RAISE EXCEPTION 'data.events is append-only: % refused (%)', tg_tag, l_bad
            USING ERRCODE = 'ZE008',
                  HINT = 'Old months are retired with api.detach_event_partitions.';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION private.guard_drops()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER  -- it reads the registries, whoever runs the DDL
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_dropped record;
BEGIN
    FOR l_dropped IN SELECT * FROM pg_catalog.pg_event_trigger_dropped_objects() LOOP
        IF l_dropped.object_type = 'table' AND l_dropped.schema_name = 'data'
           AND (l_dropped.object_name = 'events' OR l_dropped.object_name = 'events_default'
                OR (l_dropped.object_name ~ '^events_[0-9]{4}_[0-9]{2}$'
                    AND NOT EXISTS (SELECT FROM data.retired_event_partitions AS r
                                    WHERE r.partition_name = l_dropped.object_name))) THEN
            RAISE EXCEPTION 'data.events is append-only: % of % refused', tg_tag, l_dropped.object_identity
                USING ERRCODE = 'ZE008',
                      HINT = 'Retire a month with api.detach_event_partitions, archive it, then drop it.';
        END IF;
        IF l_dropped.object_type = 'function' AND l_dropped.schema_name = 'registered'
           AND (EXISTS (SELECT FROM data.projections AS p
                        WHERE l_dropped.objid IN (p.handler_invoker, p.reset_handler_invoker))
                OR EXISTS (SELECT FROM data.event_upcasters AS u WHERE u.upcaster_invoker = l_dropped.objid)
                OR EXISTS (SELECT FROM data.reducers AS r WHERE r.reducer_invoker = l_dropped.objid)) THEN
            RAISE EXCEPTION '% of % refused: a registration runs it', tg_tag, l_dropped.object_identity
                USING ERRCODE = 'ZE010',
                      HINT = 'Register another function in its place first.';
        END IF;
    END LOOP;
END;
$$;

REVOKE ALL ON FUNCTION private.guard_events_ddl() FROM PUBLIC;
REVOKE ALL ON FUNCTION private.guard_drops() FROM PUBLIC;

DO $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) THEN
        CREATE EVENT TRIGGER eventstore_guard_events_ddl ON ddl_command_end
            WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION private.guard_events_ddl();
        CREATE EVENT TRIGGER eventstore_guard_drops ON sql_drop
            EXECUTE FUNCTION private.guard_drops();
    ELSE
        RAISE NOTICE 'event_guards: % is not a superuser: no event triggers guard data.events and the invokers (README: Security)',
            current_user;
    END IF;
END
$$;

COMMIT;
