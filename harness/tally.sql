-- The core tests' and benches' own domain: tallies. Not part of the bundle (the Order example in
-- examples/orders is an application of the store with tests of its own); the test template
-- gets it after the core is deployed, as an application would be deployed on the store.
--
-- A tally (stream type Tally) is opened by an owner with some marks, gets more marks, and
-- is closed or voided. Events:
--   TallyOpened {owner_id: uuid, marks: [{label, count, weight}]}
--   Marked      {label, count, weight}
--   TallyClosed {}
--   TallyVoided {reason}
-- The read model tally.tallies is projection "tallies" (set-based, like a real read model:
-- a bad owner_id makes it fail); the reducer folds the same events for stream type Tally
-- with a snapshot every 100 events. harness/tally_model.py computes tally.tallies from the
-- log in one statement: the oracle the tests compare the projection with.
--
-- Everything here is the store's public surface only (api and the data.events row type),
-- run as a superuser: the schema tally is its owner's.

\set ON_ERROR_STOP on
BEGIN;

CREATE SCHEMA tally;
GRANT USAGE ON SCHEMA tally TO eventstore_reader, eventstore_writer, eventstore_projector, eventstore_admin;

CREATE TABLE tally.tallies (
    tally_id     uuid PRIMARY KEY,
    owner_id     uuid NOT NULL,
    status       text NOT NULL,
    total_count  integer NOT NULL DEFAULT 0,
    total_weight numeric(15,2) NOT NULL DEFAULT 0,
    opened_at    timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX tallies_owner_idx ON tally.tallies (owner_id, opened_at DESC);
GRANT SELECT ON tally.tallies TO eventstore_reader;

-- count and weight (count x weight, a missing weight counts 0) of a list of marks
CREATE FUNCTION tally.marks_total(in_marks jsonb, OUT count integer, OUT weight numeric)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE(sum((m.mark ->> 'count')::integer), 0),
           COALESCE(sum(COALESCE((m.mark ->> 'weight')::numeric, 0) * (m.mark ->> 'count')::integer), 0)
    FROM pg_catalog.jsonb_array_elements(COALESCE(in_marks, '[]'::jsonb)) AS m(mark);
$$;

CREATE FUNCTION tally.apply_events(in_events data.events[])
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO tally.tallies (tally_id, owner_id, status, total_count, total_weight, opened_at, updated_at)
    SELECT e.stream_id, (e.event_data ->> 'owner_id')::uuid, 'open', t.count, t.weight, e.created_at, e.created_at
    FROM pg_catalog.unnest(in_events) AS e
    CROSS JOIN LATERAL tally.marks_total(e.event_data -> 'marks') AS t
    WHERE e.stream_type = 'Tally' AND e.event_type = 'TallyOpened';

    UPDATE tally.tallies AS s
    SET total_count = s.total_count + c.count,
        total_weight = s.total_weight + c.weight,
        status = COALESCE(c.status, s.status),
        updated_at = GREATEST(s.updated_at, c.updated_at)
    FROM (
        SELECT e.stream_id,
               COALESCE(sum(t.count), 0) AS count,
               COALESCE(sum(t.weight), 0) AS weight,
               (pg_catalog.array_agg(CASE e.event_type WHEN 'TallyClosed' THEN 'closed' ELSE 'voided' END
                                     ORDER BY e.version DESC)
                   FILTER (WHERE e.event_type IN ('TallyClosed', 'TallyVoided')))[1] AS status,
               max(e.created_at) AS updated_at
        FROM pg_catalog.unnest(in_events) AS e
        LEFT JOIN LATERAL tally.marks_total(pg_catalog.jsonb_build_array(e.event_data)) AS t
               ON e.event_type = 'Marked'
        WHERE e.stream_type = 'Tally' AND e.event_type IN ('Marked', 'TallyClosed', 'TallyVoided')
        GROUP BY e.stream_id
    ) AS c
    WHERE s.tally_id = c.stream_id;
END;
$$;

CREATE FUNCTION tally.reset()
RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$ DELETE FROM tally.tallies; $$;

CREATE FUNCTION tally.fold(in_state jsonb, in_event data.events)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_total record;
BEGIN
    CASE in_event.event_type
        WHEN 'TallyOpened' THEN
            l_total := tally.marks_total(in_event.event_data -> 'marks');
            RETURN pg_catalog.jsonb_build_object(
                'tally_id', in_event.stream_id, 'owner_id', in_event.event_data -> 'owner_id', 'status', 'open',
                'marks', COALESCE(in_event.event_data -> 'marks', '[]'::jsonb),
                'total_count', l_total.count, 'total_weight', l_total.weight);
        WHEN 'Marked' THEN
            l_total := tally.marks_total(pg_catalog.jsonb_build_array(in_event.event_data));
            RETURN in_state || pg_catalog.jsonb_build_object(
                'marks', COALESCE(in_state -> 'marks', '[]'::jsonb) || pg_catalog.jsonb_build_array(in_event.event_data),
                'total_count', COALESCE((in_state ->> 'total_count')::integer, 0) + l_total.count,
                'total_weight', COALESCE((in_state ->> 'total_weight')::numeric, 0) + l_total.weight);
        WHEN 'TallyClosed' THEN
            RETURN in_state || '{"status": "closed"}'::jsonb;
        WHEN 'TallyVoided' THEN
            RETURN in_state || pg_catalog.jsonb_build_object('status', 'voided', 'reason', in_event.event_data -> 'reason');
        ELSE
            RETURN in_state;
    END CASE;
END;
$$;

-- Commands: append through api.append_events (a writer's right), no rules beyond the
-- expected version: the tests exercise the store, not a domain.
CREATE FUNCTION tally.open(in_owner_id uuid, in_marks jsonb DEFAULT '[]', in_tally_id uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_id uuid := COALESCE(in_tally_id, pg_catalog.gen_random_uuid());
    l_version integer;
BEGIN
    CALL api.append_events('Tally', l_id, 0, pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
        'event_type', 'TallyOpened',
        'event_data', pg_catalog.jsonb_build_object('owner_id', in_owner_id, 'marks', in_marks))), l_version);
    RETURN l_id;
END;
$$;

CREATE FUNCTION tally.append(in_tally_id uuid, in_event_type text, in_data jsonb)
RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_version integer := api.get_stream_version('Tally', in_tally_id);
BEGIN
    CALL api.append_events('Tally', in_tally_id, l_version, pg_catalog.jsonb_build_array(
        pg_catalog.jsonb_build_object('event_type', in_event_type, 'event_data', in_data)), l_version);
    RETURN l_version;
END;
$$;

CREATE FUNCTION tally.mark(in_tally_id uuid, in_label text, in_count integer, in_weight numeric)
RETURNS integer
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN tally.append(in_tally_id, 'Marked',
                    pg_catalog.jsonb_build_object('label', in_label, 'count', in_count, 'weight', in_weight));

CREATE FUNCTION tally.close(in_tally_id uuid)
RETURNS integer
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN tally.append(in_tally_id, 'TallyClosed', '{}');

CREATE FUNCTION tally.void(in_tally_id uuid, in_reason text)
RETURNS integer
LANGUAGE sql SET search_path = pg_catalog, pg_temp
RETURN tally.append(in_tally_id, 'TallyVoided', pg_catalog.jsonb_build_object('reason', in_reason));

-- A reader of the read model (for readers on a standby, say)
CREATE FUNCTION tally.owner_tallies(in_owner_id uuid)
RETURNS SETOF tally.tallies
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM tally.tallies WHERE owner_id = in_owner_id ORDER BY opened_at DESC, tally_id $$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tally FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tally.open(uuid, jsonb, uuid), tally.append(uuid, text, jsonb),
    tally.mark(uuid, text, integer, numeric), tally.close(uuid), tally.void(uuid, text)
    TO eventstore_writer;
GRANT EXECUTE ON FUNCTION tally.owner_tallies(uuid) TO eventstore_reader;

SELECT api.register_projection(
    in_projection_name := 'tallies',
    in_handler := 'tally.apply_events(data.events[])',
    in_reset_handler := 'tally.reset()',
    in_stream_types := ARRAY['Tally'],
    in_batch_size := 500);
SELECT api.register_reducer('Tally', 'tally.fold(jsonb, data.events)', 1, 100);

COMMIT;
