-- Reserves a tracker (api.record_tracking) for one role, or hands it to another: from then on
-- only members of that role (and admins) record it, whatever role recorded it first. What
-- roles that are not members recorded for it is deleted: a position someone else recorded
-- under the name (a squatter's, or a mistake) is not the new owner's progress. NULL lifts the
-- reservation (the tracker is moved by the role that recorded each upstream's row).

CREATE OR REPLACE FUNCTION api.set_tracker_role(in_tracker text, in_role name)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_tracker IS NULL OR in_tracker = '' OR pg_catalog.char_length(in_tracker) > 200 THEN
        RAISE EXCEPTION 'in_tracker must be a non-empty text of at most 200 characters'
            USING ERRCODE = 'ZE003';
    END IF;
    IF in_role IS NULL THEN
        DELETE FROM data.tracker_roles AS r WHERE r.tracker = in_tracker;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r
                   WHERE r.rolname = in_role
                     AND (pg_catalog.pg_has_role(r.oid, 'eventstore_writer', 'MEMBER')
                          OR pg_catalog.pg_has_role(r.oid, 'eventstore_projector', 'MEMBER'))) THEN
        RAISE EXCEPTION 'in_role must be NULL or a role that may record tracking (a member of eventstore_writer or eventstore_projector), got %',
                pg_catalog.quote_literal(in_role)
            USING ERRCODE = 'ZE003';
    END IF;
    INSERT INTO data.tracker_roles AS r (tracker, consumer_role) VALUES (in_tracker, in_role)
    ON CONFLICT (tracker) DO UPDATE SET consumer_role = excluded.consumer_role;
    DELETE FROM data.tracking AS t
    WHERE t.tracker = in_tracker AND t.owner <> in_role
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r  -- an owner dropped since: not a member
                      WHERE r.rolname = t.owner AND pg_catalog.pg_has_role(r.oid, in_role, 'MEMBER'));
    UPDATE data.tracking AS t SET owner = in_role WHERE t.tracker = in_tracker AND t.owner <> in_role;
END;
$$;

COMMENT ON FUNCTION api.set_tracker_role(in_tracker text, in_role name) IS 'Reserves a tracker for one role (members of it and admins record it; any other role gets ZE019),
deleting what roles outside it recorded under that name; NULL lifts the reservation.
Errors: ZE003 a bad name or a role that cannot record tracking.';
REVOKE ALL ON FUNCTION api.set_tracker_role(in_tracker text, in_role name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.set_tracker_role(in_tracker text, in_role name) TO eventstore_admin;
