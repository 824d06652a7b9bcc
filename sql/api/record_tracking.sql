-- Records that a consumer (in_tracker: an eventsourcing process application, a follower of
-- api.read_log) has processed the log it follows (in_upstream) up to in_position, in the
-- caller's transaction: together with what the consumer wrote, or not at all. A position is
-- recorded once and only grows (ZE018 otherwise: the event was processed already), and is a
-- number some log of this store can reach: an integer from 0 below (newest generation + 1) *
-- 2^96 (private.log_number), so that no position recorded by mistake (NaN, Infinity, 1e30)
-- stops the tracker for good. Who may move a tracker: the members of the role an admin
-- reserved it for (api.set_tracker_role), else the role that first recorded it; another
-- role's record is ZE019 (an admin may move any), so one consumer cannot move or stop
-- another's.

CREATE OR REPLACE FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_role name := private.calling_role();
    l_reserved name;
    l_recorded data.tracking;
    l_ceiling numeric;
BEGIN
    IF in_tracker IS NULL OR in_tracker = '' OR pg_catalog.char_length(in_tracker) > 200
       OR in_upstream IS NULL OR in_upstream = '' OR pg_catalog.char_length(in_upstream) > 200 THEN
        RAISE EXCEPTION 'in_tracker and in_upstream must be non-empty texts of at most 200 characters'
            USING ERRCODE = 'ZE003';
    END IF;
    SELECT (COALESCE(pg_catalog.max(g.generation), 1) + 1)::numeric * 79228162514264337593543950336  -- 2^96
    INTO l_ceiling
    FROM data.store_generations AS g;
    IF in_position IS NULL OR in_position = 'NaN'::numeric OR in_position < 0 OR in_position >= l_ceiling
       OR in_position <> pg_catalog.trunc(in_position) THEN
        RAISE EXCEPTION 'in_position must be an integer from 0 that a log of this store can reach (below %), got %',
                l_ceiling, COALESCE(pg_catalog.left(in_position::text, 60), 'NULL')
            USING ERRCODE = 'ZE003';
    END IF;

    SELECT r.consumer_role INTO l_reserved FROM data.tracker_roles AS r WHERE r.tracker = in_tracker;
    IF l_reserved IS NOT NULL AND NOT private.calling_admin()
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r  -- a role dropped since: nobody's
                       WHERE r.rolname = l_reserved AND pg_catalog.pg_has_role(l_role, r.oid, 'MEMBER')) THEN
        RAISE EXCEPTION 'tracker % is reserved for role %', in_tracker, l_reserved
            USING ERRCODE = 'ZE019',
                  HINT = 'An admin reserves a tracker for a role with api.set_tracker_role.';
    END IF;

    INSERT INTO data.tracking AS t (tracker, upstream, position, owner)
    VALUES (in_tracker, in_upstream, in_position, COALESCE(l_reserved, l_role))
    ON CONFLICT (tracker, upstream) DO UPDATE
        SET position = excluded.position, recorded_at = pg_catalog.now()
        WHERE t.position < excluded.position
          AND (l_reserved IS NOT NULL OR t.owner = excluded.owner OR private.calling_admin())
    RETURNING t.* INTO l_recorded;
    IF l_recorded.tracker IS NOT NULL THEN
        RETURN;
    END IF;
    -- The row is there and locked by the statement above: why it stayed.
    SELECT t.* INTO l_recorded FROM data.tracking AS t WHERE t.tracker = in_tracker AND t.upstream = in_upstream;
    IF l_reserved IS NULL AND l_recorded.owner <> l_role AND NOT private.calling_admin() THEN
        RAISE EXCEPTION 'tracker % of % is recorded by another role', in_tracker, in_upstream
            USING ERRCODE = 'ZE019',
                  HINT = 'A tracker is moved by the role an admin reserved it for (api.set_tracker_role), else by the role that first recorded it.';
    END IF;
    RAISE EXCEPTION 'tracker % has processed % up to %: position % is not past it', in_tracker, in_upstream,
            l_recorded.position, in_position
        USING ERRCODE = 'ZE018',
              DETAIL = pg_catalog.jsonb_build_object('tracker', in_tracker, 'upstream', in_upstream,
                                                     'position', l_recorded.position, 'given', in_position)::text;
END;
$$;

COMMENT ON FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric) IS 'Records, in the caller''s transaction, that in_tracker has processed in_upstream up to in_position
(an integer from 0 that a log of this store can reach). The tracker is moved by members of the
role an admin reserved it for (api.set_tracker_role), else by the role that first recorded it,
and by admins. Errors: ZE003 bad argument, ZE018 the position is not past the recorded one,
ZE019 the tracker is another role''s.';
REVOKE ALL ON FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.record_tracking(in_tracker text, in_upstream text, in_position numeric) TO eventstore_writer, eventstore_projector;
