-- Makes a version of a projection the live one, in one transaction: it finishes catching up
-- with the live version here (at most eventstore.promotion_max_lag events, 1000 when unset),
-- takes the projection's name, and the version that was live stops (paused, as name@N, its
-- read model kept). Readers that choose their read model by api.projection_live_version
-- switch at their next snapshot, each seeing one complete version. A paused version (one
-- that was live before) is promoted the same way: a rollback is one call.

CREATE OR REPLACE FUNCTION api.promote_projection(in_projection_name text, in_version integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_bound bigint;
    l_live data.projections;
    l_new data.projections;
    l_c data.projection_checkpoints;
    l_acted record;
    l_lag bigint;
    l_before record;
BEGIN
    l_bound := private.promotion_max_lag();
    IF l_bound IS NULL THEN
        RAISE EXCEPTION 'eventstore.promotion_max_lag must be a number of events (0 or more), got %',
                pg_catalog.quote_literal(pg_catalog.current_setting('eventstore.promotion_max_lag'))
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_version IS NULL THEN
        RAISE EXCEPTION 'in_version must not be NULL' USING ERRCODE = 'ZE003';
    END IF;
    PERFORM private.lock_projection_versions(in_projection_name);
    SELECT p.* INTO l_live FROM data.projections AS p WHERE p.projection_name = in_projection_name;
    SELECT p.* INTO l_new FROM data.projections AS p
    WHERE p.version_of = in_projection_name AND p.version = in_version;
    IF NOT FOUND THEN
        PERFORM private.raise_unknown_projection_version(in_projection_name, in_version);
    END IF;
    IF l_new.projection_name = in_projection_name THEN
        RETURN;  -- live already
    END IF;
    SELECT c.* INTO l_c FROM data.projection_checkpoints AS c WHERE c.projection_name = l_new.projection_name;
    IF l_c.status = 'paused' THEN
        -- A version that was live before (a rollback is one call): it runs again from where it
        -- stopped, caught up below like any other (all undone if the promotion fails).
        UPDATE data.projection_checkpoints AS c SET status = 'running'
        WHERE c.projection_name = l_new.projection_name;
        l_c.status := 'running';
    END IF;
    IF l_c.status NOT IN ('running', 'rebuilding') THEN
        RAISE EXCEPTION 'version % of projection % is %: it cannot be promoted', in_version, in_projection_name,
                l_c.status
            USING ERRCODE = 'ZE011',
                  DETAIL = COALESCE('It failed on event ' || l_c.failed_event_id::text || ': ' || l_c.error_message, ''),
                  HINT = pg_catalog.format('Fix its handler, resume it (api.resume_projection(%L)) and let it catch up first.',
                                           l_new.projection_name);
    END IF;

    -- How far behind the live version it is, counted up to the bound.
    SELECT a.* INTO l_acted FROM private.projection_acted_until(in_projection_name) AS a;
    SELECT count(*) INTO l_lag
    FROM (SELECT FROM data.events AS e
          WHERE (e.generation, e.transaction_id, e.global_position) > (l_c.generation, l_c.transaction_id, l_c.global_position)
            AND (e.generation, e.transaction_id, e.global_position)
                <= (l_acted.generation, l_acted.transaction_id, l_acted.global_position)
            AND (l_new.event_types IS NULL OR e.event_type = ANY (l_new.event_types))
            AND (l_new.stream_types IS NULL OR e.stream_type = ANY (l_new.stream_types))
          LIMIT l_bound + 1) AS behind;
    IF l_lag > l_bound THEN
        RAISE EXCEPTION 'version % of projection % is more than % events behind the live version: it cannot be promoted yet',
                in_version, in_projection_name, l_bound
            USING ERRCODE = 'ZE011',
                  HINT = 'Let the projection runner catch it up (api.projection_status: ready_to_promote), or raise eventstore.promotion_max_lag.';
    END IF;

    -- The rest of the catch-up, here: the live version's checkpoint is locked, so it stays put.
    LOOP
        SELECT c.generation, c.transaction_id, c.global_position INTO l_before
        FROM data.projection_checkpoints AS c WHERE c.projection_name = l_new.projection_name;
        PERFORM private.run_projection_batch(l_new.projection_name, NULL);
        SELECT c.* INTO l_c FROM data.projection_checkpoints AS c WHERE c.projection_name = l_new.projection_name;
        IF l_c.status = 'failed' THEN
            RAISE EXCEPTION 'version % of projection % failed on event % while catching up: %', in_version,
                    in_projection_name, l_c.failed_event_id, l_c.error_message
                USING ERRCODE = 'ZE012',
                      HINT = 'Nothing was changed. Fix its handler, resume it and promote again.';
        END IF;
        EXIT WHEN (l_c.generation, l_c.transaction_id, l_c.global_position)
                  >= (l_acted.generation, l_acted.transaction_id, l_acted.global_position)
               OR (l_c.generation, l_c.transaction_id, l_c.global_position)
                  = (l_before.generation, l_before.transaction_id, l_before.global_position);
    END LOOP;
    IF (l_c.generation, l_c.transaction_id, l_c.global_position)
       < (l_acted.generation, l_acted.transaction_id, l_acted.global_position) THEN
        RAISE EXCEPTION 'version % of projection % could not catch up with the live version', in_version,
                in_projection_name
            USING ERRCODE = 'ZE011',
                  HINT = 'An appending transaction may hold the log back (api.projection_status): try again.';
    END IF;

    -- The swap: the old live version takes its versioned name and stops, the new one takes the
    -- name and knows what the old one acted on (it replays nothing of it with side effects).
    UPDATE data.projections AS p
    SET projection_name = in_projection_name || '@' || p.version::text
    WHERE p.projection_name = in_projection_name;
    UPDATE data.projections AS p
    SET projection_name = in_projection_name,
        replay_generation = l_acted.generation,
        replay_transaction_id = l_acted.transaction_id,
        replay_global_position = l_acted.global_position
    WHERE p.projection_name = l_new.projection_name;
    UPDATE data.projection_checkpoints AS c
    SET status = 'paused'
    WHERE c.projection_name = l_live.version_of || '@' || l_live.version::text
      AND c.status IN ('running', 'rebuilding');
    UPDATE data.projection_checkpoints AS c
    SET status = 'running'
    WHERE c.projection_name = in_projection_name;
END;
$$;

COMMENT ON FUNCTION api.promote_projection(in_projection_name text, in_version integer) IS 'Makes version in_version of a projection the live one, in one transaction: it catches up the
rest (at most eventstore.promotion_max_lag events behind the live version, 1000 when unset)
and takes the projection''s name; the version that was live stops (paused, as name@version,
its read model kept until the application drops it) and can be promoted back in one call.
Readers choosing their read model by api.projection_live_version switch at their next
snapshot. Promoting the live version does nothing. Errors: ZE003 a NULL version or
a bad eventstore.promotion_max_lag, ZE005 unknown projection or version, ZE011 the version is
failed, or too far behind, ZE012 it failed while catching up (nothing changed).';
REVOKE ALL ON FUNCTION api.promote_projection(in_projection_name text, in_version integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.promote_projection(in_projection_name text, in_version integer) TO eventstore_admin;
