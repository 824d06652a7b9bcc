-- The log number of the last event appended with tags that a gap-free reader can read now:
-- the head a reader of a dynamic consistency boundary remembers when its read of a query
-- (api.read_tagged, with this as in_up_to) returns less than a full page (docs/dcb.md).

CREATE OR REPLACE FUNCTION api.last_tagged_number()
RETURNS numeric
LANGUAGE plpgsql
VOLATILE  -- its read needs a snapshot taken after its horizon (docs/read-horizon.md)
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_horizon record;
    l_last record;
BEGIN
    l_horizon := private.read_horizon();
    SELECT t.generation, t.transaction_id, t.global_position, t.created_at INTO l_last
    FROM data.event_tags AS t
    WHERE (t.generation, t.transaction_id) < (l_horizon.generation, l_horizon.transaction_id)
      AND EXISTS (SELECT FROM data.events AS e
                  WHERE e.created_at = t.created_at AND e.generation = t.generation
                    AND e.transaction_id = t.transaction_id AND e.global_position = t.global_position)
    ORDER BY t.generation DESC, t.transaction_id DESC, t.global_position DESC
    LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN private.log_number(l_last.generation, l_last.transaction_id, l_last.global_position, l_last.created_at);
END;
$$;

COMMENT ON FUNCTION api.last_tagged_number() IS 'The log number of the last event appended with tags that api.read_tagged can return now, NULL if none';
REVOKE ALL ON FUNCTION api.last_tagged_number() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.last_tagged_number() TO eventstore_reader;
