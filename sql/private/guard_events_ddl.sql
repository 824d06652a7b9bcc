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
-- none and says so (docs/security.md lists what no trigger can guard).

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

REVOKE ALL ON FUNCTION private.guard_events_ddl() FROM PUBLIC;
