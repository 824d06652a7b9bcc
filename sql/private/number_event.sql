-- Trigger: the log number of an event inserted into data.events without one, by anything but
-- api.append_events (which numbers its own events): a DBA's import, a test's fixture. The
-- number is the one api.append_events would store, private.log_number; the first event of a
-- transaction (the first global position it took) starts its block, so the events of one
-- transaction must come in global position order, as they do from a sequence.

CREATE OR REPLACE FUNCTION private.number_event()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.log_number := COALESCE(private.log_number_base(NEW.generation, NEW.transaction_id, NEW.created_at),
                               private.log_block(NEW.generation, NEW.transaction_id) + 1 - NEW.global_position)
                      + NEW.global_position;
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION private.number_event() IS 'Trigger: the log number of an event inserted without one (private.log_number)';
REVOKE ALL ON FUNCTION private.number_event() FROM PUBLIC;
